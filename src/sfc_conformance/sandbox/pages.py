"""The merchant's side: the sync flow pages a flow URL opens (FLOW-1..3, OTP-*).

Plain server-rendered HTML forms, from the templates in ``templates/``
(:mod:`.rendering`).  Every action calls the same :class:`SandboxState` method
its API twin calls, so walking the pages and calling the API leave the same
state (FLOW-1).  Dates a test needs to read sit in ``<time id=... datetime=...>``
elements.  A refusal (an :class:`ApiError` a handler raises) is the "Link
expired" page, with the refusal's status (:meth:`FlowPages.refusal`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sfc_conformance.sandbox.api import read_body
from sfc_conformance.sandbox.errors import ApiError
from sfc_conformance.sandbox.flow_forms import INCOMPLETE, apply_form, choice_fieldsets, redirect_location
from sfc_conformance.sandbox.rendering import page
from sfc_conformance.sandbox.state import SandboxState

PREFIX = "/sync-flow/"


class FlowPages:
    prefixes: tuple[str, ...] = (PREFIX,)

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            Route("/sync-flow/{clientId}/{commerceKey}/{accountingKey}/start", self.open, methods=["GET"]),
            Route("/sync-flow/s/{token}/authorize", self.authorize, methods=["POST"]),
            Route("/sync-flow/s/{token}/configure", self.configure_form, methods=["GET"]),
            Route("/sync-flow/s/{token}/configure", self.configure, methods=["POST"]),
            Route("/sync-flow/s/{token}/settings", self.settings_page, methods=["GET"]),
            Route("/sync-flow/s/{token}/settings", self.change_settings, methods=["POST"]),
            Route("/sync-flow/s/{token}/deauthorize", self.deauthorize, methods=["POST"]),
        ]

    def refusal(self, request: Request, error: ApiError) -> Response | None:
        """A refusal on a flow page is a page too, answered with the refusal's status (OTP-*: 401)."""
        if not request.url.path.startswith(PREFIX):
            return None
        return page("refused.html", error.status, message=error.message)

    # -- entry ----------------------------------------------------------------

    async def open(self, request: Request) -> Response:
        p = request.path_params
        if p["clientId"] != self.state.client_id:
            raise ApiError(401, "This sync flow link is not valid.")
        session = self.state.open_flow(p["commerceKey"], p["accountingKey"], dict(request.query_params))
        linked, configured = self.state.company_flow_state(session.company_id)
        if not linked:
            return page("authorize.html", token=session.token)
        if not configured:
            return self._configure_page(session.token, session.company_id)
        return self._settings_page(session.token, session.company_id)

    def _session(self, request: Request) -> tuple[str, str]:
        token = request.path_params["token"]
        return token, self.state.session(token).company_id

    async def _form(self, request: Request) -> dict[str, str]:
        raw = await read_body(request)
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))

    # -- authorize (seed §2) ----------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        token, company_id = self._session(request)
        form = await self._form(request)
        connection_id = self.state.accounting_connection_id(company_id)
        if connection_id is None:
            raise ApiError(409, "This company has no accounting connection to authorize.")
        credentials = {k: v for k, v in form.items() if k in ("username", "password")}
        self.state.authorize(company_id, connection_id, credentials, str(request.base_url))
        return RedirectResponse(f"/sync-flow/s/{token}/configure", status_code=303)

    # -- configure (seed §3) ----------------------------------------------------

    def _configure_page(self, token: str, company_id: str, problems: list[str] | None = None,
                        status: int = 200) -> Response:
        doc = self.state.get_configuration(company_id)
        return page("configure.html", status, token=token, doc=doc, choices=choice_fieldsets(doc),
                    problems=problems or [])

    async def configure_form(self, request: Request) -> Response:
        token, company_id = self._session(request)
        return self._configure_page(token, company_id)

    async def configure(self, request: Request) -> Response:
        token, company_id = self._session(request)
        form = await self._form(request)
        session = self.state.session(token)
        try:
            stored = apply_form(self.state, company_id, form, schedule_only=False)
        except ApiError as error:
            if error.status != 400:
                raise
            # The form again, with what was wrong with it.
            return self._configure_page(token, company_id, [i.message for i in error.issues], 400)
        if not stored["configured"]:  # the flow ends only once every required account is chosen
            return self._configure_page(token, company_id, [INCOMPLETE], 400)
        if session.redirect_url:  # FLOW-2: the partner's redirect, or the success page
            return RedirectResponse(redirect_location(session.redirect_url), status_code=303)
        return page("success.html", token=token)

    # -- review (seed §4) -------------------------------------------------------

    def _settings_page(self, token: str, company_id: str) -> Response:
        view = self.state.schedule_view(company_id)
        accounting = view["accounting"]
        context: dict[str, Any] = {
            "token": token, "doc": view["configuration"], "enabled": view["enable"],
            "last": view["last"], "next": view["next"],  # FLOW-3: the last sync and the next one
            "accounting_status": accounting.status if accounting else "deleted",
        }
        return page("settings.html", **context)

    async def settings_page(self, request: Request) -> Response:
        token, company_id = self._session(request)
        return self._settings_page(token, company_id)

    async def change_settings(self, request: Request) -> Response:
        token, company_id = self._session(request)
        form = await self._form(request)
        apply_form(self.state, company_id, form, schedule_only=True)
        return RedirectResponse(f"/sync-flow/s/{token}/settings", status_code=303)

    async def deauthorize(self, request: Request) -> Response:
        token, company_id = self._session(request)
        connection_id = self.state.accounting_connection_id(company_id)
        if connection_id is not None:
            self.state.update_connection(company_id, connection_id, {"status": "Deauthorized"}, str(request.base_url))
        return RedirectResponse(f"/sync-flow/s/{token}/settings", status_code=303)
