"""The merchant's side: the sync flow pages a flow URL opens (FLOW-1..3, OTP-*, CUST-5).

Plain server-rendered HTML forms, from the templates in ``templates/``
(:mod:`.rendering`).  Every action calls the same :class:`SandboxState` method
its API twin calls, so walking the pages and calling the API leave the same
state (FLOW-1).  Dates a test needs to read sit in ``<time id=... datetime=...>``
elements.  A refusal (an :class:`ApiError` a handler raises) is the "Link
expired" page, with the refusal's status (:meth:`FlowPages.refusal`).

The pages show the partner's customization (:func:`~.flow_forms.customized`):
the locale the flow URL names (``&locale=fr-fr``; ``en-us`` without one) is
carried on every link and form of the session (``?locale=fr-fr``, left out for
``en-us``), each page has a language switch (``nav#language``: links to the same
page in the other locale), every keyed text carries ``data-textkey``, the
configure page offers only the visible account entries, and every page shows
the partner's logo and colours (:class:`~.rendering.PartnerBranding`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sfc_conformance.sandbox.api import read_body
from sfc_conformance.sandbox.errors import ApiError
from sfc_conformance.sandbox.flow_forms import (
    DEFAULT_LOCALE,
    INCOMPLETE,
    LANGUAGES,
    WORDS,
    Customized,
    apply_form,
    configure_form,
    customized,
    flow_locale,
    languages,
    redirect_location,
)
from sfc_conformance.sandbox.rendering import PartnerBranding, page
from sfc_conformance.sandbox.state import SandboxState

PREFIX = "/sync-flow/"


@dataclass(frozen=True)
class PageLook:
    """What every flow page shows around its content: its language, the partner's branding, the language switch."""

    lang: str
    words: Mapping[str, str]
    languages: list[tuple[str, str, str, bool]]  # (locale, name, language tag, shown now)
    branding: PartnerBranding
    switch: Callable[[str], str]  # this page's address in another locale


def _at(token: str, locale: str) -> Callable[[str], str]:
    """A session page's address in ``locale``: the locale rides along on every link and form."""
    query = "" if locale == DEFAULT_LOCALE else f"?locale={locale}"
    return lambda screen: f"/sync-flow/s/{token}/{screen}{query}"


class FlowPages:
    prefixes: tuple[str, ...] = (PREFIX,)

    def __init__(self, state: SandboxState, branding: PartnerBranding | None = None) -> None:
        self.state = state
        self.branding = branding or PartnerBranding()

    def routes(self) -> list[Route]:
        return [
            Route("/sync-flow/{clientId}/{commerceKey}/{accountingKey}/start", self.open, methods=["GET"]),
            Route("/sync-flow/s/{token}/authorize", self.authorize_page, methods=["GET"]),
            Route("/sync-flow/s/{token}/authorize", self.authorize, methods=["POST"]),
            Route("/sync-flow/s/{token}/configure", self.configure_form, methods=["GET"]),
            Route("/sync-flow/s/{token}/configure", self.configure, methods=["POST"]),
            Route("/sync-flow/s/{token}/success", self.success_page, methods=["GET"]),
            Route("/sync-flow/s/{token}/settings", self.settings_page, methods=["GET"]),
            Route("/sync-flow/s/{token}/settings", self.change_settings, methods=["POST"]),
            Route("/sync-flow/s/{token}/deauthorize", self.deauthorize, methods=["POST"]),
            *self.branding.routes(),
        ]

    def _page(self, template: str, token: str, custom: Customized, screen: str, status: int = 200,
              **context: Any) -> Response:
        """A page of the session ``token``, in the flow's locale; ``screen``: where its language switch leads."""
        look = PageLook(custom.lang, custom.words, languages(custom.locale), self.branding,
                        lambda locale: _at(token, locale)(screen))
        return page(template, status, token=token, look=look, at=_at(token, custom.locale), **context)

    def refusal(self, request: Request, error: ApiError) -> Response | None:
        """A refusal on a flow page is a page too, answered with the refusal's status (OTP-*: 401)."""
        if not request.url.path.startswith(PREFIX):
            return None
        locale = flow_locale(self.state.policy, request.query_params.get("locale"))
        look = PageLook(LANGUAGES[locale][1], WORDS[locale], languages(locale), self.branding,
                        lambda other: str(request.url.include_query_params(locale=other)))
        return page("refused.html", error.status, message=error.message, look=look)

    # -- entry ----------------------------------------------------------------

    async def open(self, request: Request) -> Response:
        p = request.path_params
        if p["clientId"] != self.state.client_id:
            raise ApiError(401, "This sync flow link is not valid.")
        session = self.state.open_flow(p["commerceKey"], p["accountingKey"], dict(request.query_params))
        custom = customized(self.state, session.company_id, request.query_params.get("locale"))
        return self._first_page(session.token, session.company_id, custom)

    def _first_page(self, token: str, company_id: str, custom: Customized) -> Response:
        linked, configured = self.state.company_flow_state(company_id)
        if not linked:
            return self._page("authorize.html", token, custom, "authorize")
        if not configured:
            return self._configure_page(token, company_id, custom)
        return self._settings_page(token, company_id, custom)

    def _session(self, request: Request) -> tuple[str, str, Customized]:
        """The session's token, its company, and the partner's customization in the locale the page names."""
        token = request.path_params["token"]
        company_id = self.state.session(token).company_id
        return token, company_id, customized(self.state, company_id, request.query_params.get("locale"))

    async def _form(self, request: Request) -> dict[str, str]:
        raw = await read_body(request)
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))

    # -- authorize (seed §2) ----------------------------------------------------

    async def authorize_page(self, request: Request) -> Response:
        token, _, custom = self._session(request)
        return self._page("authorize.html", token, custom, "authorize")

    async def authorize(self, request: Request) -> Response:
        token, company_id, custom = self._session(request)
        form = await self._form(request)
        connection_id = self.state.accounting_connection_id(company_id)
        if connection_id is None:
            raise ApiError(409, "This company has no accounting connection to authorize.")
        credentials = {k: v for k, v in form.items() if k in ("username", "password")}
        self.state.authorize(company_id, connection_id, credentials, str(request.base_url))
        return RedirectResponse(_at(token, custom.locale)("configure"), status_code=303)

    # -- configure (seed §3) ----------------------------------------------------

    def _configure_page(self, token: str, company_id: str, custom: Customized, problems: list[str] | None = None,
                        status: int = 200) -> Response:
        doc = self.state.get_configuration(company_id)
        return self._page("configure.html", token, custom, "configure", status, doc=doc,
                          form=configure_form(doc, custom), problems=problems or [])

    async def configure_form(self, request: Request) -> Response:
        token, company_id, custom = self._session(request)
        return self._configure_page(token, company_id, custom)

    async def configure(self, request: Request) -> Response:
        token, company_id, custom = self._session(request)
        form = await self._form(request)
        session = self.state.session(token)
        try:
            stored = apply_form(self.state, company_id, form, schedule_only=False)
        except ApiError as error:
            if error.status != 400:
                raise
            # The form again, with what was wrong with it.
            return self._configure_page(token, company_id, custom, [i.message for i in error.issues], 400)
        if not stored["configured"]:  # the flow ends only once every required account is chosen
            return self._configure_page(token, company_id, custom, [INCOMPLETE], 400)
        if session.redirect_url:  # FLOW-2: the partner's redirect, or the success page
            return RedirectResponse(redirect_location(session.redirect_url), status_code=303)
        return self._page("success.html", token, custom, "success")

    async def success_page(self, request: Request) -> Response:
        token, company_id, custom = self._session(request)
        if not self.state.company_flow_state(company_id)[1]:  # not configured: nothing to celebrate yet
            return self._first_page(token, company_id, custom)
        return self._page("success.html", token, custom, "success")

    # -- review (seed §4) -------------------------------------------------------

    def _settings_page(self, token: str, company_id: str, custom: Customized) -> Response:
        view = self.state.schedule_view(company_id)
        accounting = view["accounting"]
        context: dict[str, Any] = {
            "doc": view["configuration"], "enabled": view["enable"],
            "last": view["last"], "next": view["next"],  # FLOW-3: the last sync and the next one
            "accounting_status": accounting.status if accounting else "deleted",
        }
        return self._page("settings.html", token, custom, "settings", **context)

    async def settings_page(self, request: Request) -> Response:
        token, company_id, custom = self._session(request)
        return self._settings_page(token, company_id, custom)

    async def change_settings(self, request: Request) -> Response:
        token, company_id, custom = self._session(request)
        form = await self._form(request)
        apply_form(self.state, company_id, form, schedule_only=True)
        return RedirectResponse(_at(token, custom.locale)("settings"), status_code=303)

    async def deauthorize(self, request: Request) -> Response:
        token, company_id, custom = self._session(request)
        connection_id = self.state.accounting_connection_id(company_id)
        if connection_id is not None:
            self.state.update_connection(company_id, connection_id, {"status": "Deauthorized"}, str(request.base_url))
        return RedirectResponse(_at(token, custom.locale)("settings"), status_code=303)
