"""The merchant's side as a browser app: the sandbox's other flow style (``--flow-style app``).

Many real flows are single-page apps: the flow URL's document loads with 200
whatever its OTP, and the app's own request carrying the OTP is the one
answered 401 (profile, "What the merchant sees").  This style plays that:

* ``GET`` the flow URL: always 200, one small HTML document with an inline
  script (:file:`flow_app.js`; no framework, no build step, nothing fetched
  from elsewhere but the partner's logo, when the partner has one).  Loading
  it changes nothing.
* ``POST /flow-api/{clientId}/{commerceKey}/{accountingKey}/session`` with
  ``{"otp", "merchantIdentifier"}``: the script trades the OTP for a session
  (OTP-1..5: 401 for an expired, changed, other merchant's or used OTP) and
  gets the first screen.
* ``/flow-api/s/{token}/...``: authorize, configure, settings, de-authorize —
  every one calls the :class:`SandboxState` method the pages and the API call
  (FLOW-1), and answers the next screen as data the script draws.

Screens carry the ids and field names of the server-rendered pages
(:mod:`.pages`), so a driver that knows the sandbox walks either style.  They
show the partner's customization as the pages do (CUST-5): the script sends
the locale of the page's URL (``&locale=fr-fr``) as ``?locale=`` on every call
of the flow API, each screen names its texts' keys (drawn as
``data-textkey``) and the languages of the switch the script draws
(``nav#language``), and the configure screen offers only the visible account
entries.  The partner's logo and colours are in the document itself.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from sfc_conformance.core.clock import isoformat
from sfc_conformance.sandbox.api import read_json
from sfc_conformance.sandbox.errors import ApiError, bad_request
from sfc_conformance.sandbox.flow_forms import (
    INCOMPLETE,
    Customized,
    FieldSet,
    ShownText,
    apply_form,
    configure_form,
    customized,
    languages,
    redirect_location,
)
from sfc_conformance.sandbox.rendering import STYLE, PartnerBranding, render, time_zones
from sfc_conformance.sandbox.state import SandboxState

SCRIPT = Path(__file__).with_name("flow_app.js").read_text(encoding="utf-8")
TITLE = "Sync your sales"


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def document_headers(branding: PartnerBranding) -> dict[str, str]:
    """The document's headers: only its own script and styles run, and the script talks to this origin only."""
    images = ""  # no image at all, unless the partner has a logo: the sandbox's own, or from the logo's origin
    if branding.logo_src is not None:
        images = f"img-src 'self' {branding.logo_origin}; " if branding.logo_origin else "img-src 'self'; "
    return {
        "Content-Security-Policy": (f"default-src 'none'; script-src {_csp_hash(SCRIPT)}; "
                                    f"style-src {_csp_hash(STYLE)} {_csp_hash(branding.style)}; {images}"
                                    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"),
        "Referrer-Policy": "no-referrer",  # the OTP is in the URL: no Referer carries it anywhere
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


_API_HEADERS = {"Cache-Control": "no-store"}


def _screen(screen: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse({"screen": screen}, status_code=status, headers=_API_HEADERS)


def _shown(text: ShownText | None) -> dict[str, Any] | None:
    """A text of a screen: the script draws it with ``data-textkey`` when it has a key (CUST-5)."""
    return None if text is None else {"text": text.text, "textkey": text.key}


def _select(name: str, label: str, options: list[tuple[str, str]], value: str | None, *,
            blank: bool = True) -> dict[str, Any]:
    return {"kind": "select", "name": name, "label": label, "options": options, "value": value, "blank": blank}


def _when(element_id: str, label: str, moment: datetime | None, absent: str) -> dict[str, Any]:
    if moment is None:
        return {"label": label, "id": element_id, "text": absent}
    return {"label": label, "id": element_id, "datetime": isoformat(moment), "text": f"{moment:%Y-%m-%d %H:%M} UTC"}


def _fieldset(legend: str, fields: list[dict[str, Any]], **texts: dict[str, Any] | str | None) -> dict[str, Any]:
    return {"legend": legend, "fields": fields, **texts}


def _form(form_id: str, submit: str, *fieldsets: dict[str, Any], note: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"form": {"id": form_id, "action": form_id, "submit": submit, "note": note, "fieldsets": list(fieldsets)}}


def _choices(fieldset: FieldSet) -> dict[str, Any]:
    return _fieldset(fieldset.legend.text, [{"kind": "select", **asdict(choice)} for choice in fieldset.choices],
                     legendKey=fieldset.legend.key, description=_shown(fieldset.description),
                     section=_shown(fieldset.section), sectionDescription=_shown(fieldset.section_description))


class FlowApp:
    prefixes: tuple[str, ...] = ("/sync-flow/", "/flow-api/")

    def __init__(self, state: SandboxState, branding: PartnerBranding | None = None) -> None:
        self.state = state
        self.branding = branding or PartnerBranding()
        # This package's own script, as it is; the partner's branding, drawn once.
        self._document = render("app.html", title=TITLE, script=Markup(SCRIPT), branding=self.branding)
        self._document_headers = document_headers(self.branding)

    def routes(self) -> list[Route]:
        return [
            Route("/sync-flow/{clientId}/{commerceKey}/{accountingKey}/start", self.document, methods=["GET"]),
            Route("/flow-api/{clientId}/{commerceKey}/{accountingKey}/session", self.open, methods=["POST"]),
            Route("/flow-api/s/{token}/screens/{screen}", self.show, methods=["GET"]),
            Route("/flow-api/s/{token}/authorize", self.authorize, methods=["POST"]),
            Route("/flow-api/s/{token}/configure", self.configure, methods=["POST"]),
            Route("/flow-api/s/{token}/settings", self.change_settings, methods=["POST"]),
            Route("/flow-api/s/{token}/deauthorize", self.deauthorize, methods=["POST"]),
            *self.branding.routes(),
        ]

    def refusal(self, request: Request, error: ApiError) -> Response | None:
        """The app draws a refusal from the API's own ErrorMessage: none of its own."""
        return None

    # -- the document and the OTP (OTP-1..5) -------------------------------------------

    async def document(self, request: Request) -> Response:
        # 200 whatever the OTP: judging it is the flow API's job, and the app shows the answer.
        return HTMLResponse(self._document, headers=self._document_headers)

    async def open(self, request: Request) -> Response:
        p = request.path_params
        body = await self._fields(request)
        if p["clientId"] != self.state.client_id:
            raise ApiError(401, "This sync flow link is not valid.")
        params = {"otp": body.get("otp", ""), "merchantIdentifier": body.get("merchantIdentifier", "")}
        session = self.state.open_flow(p["commerceKey"], p["accountingKey"], params)
        screen = self._first_screen(session.company_id, self._custom(request, session.company_id))
        return JSONResponse({"token": session.token, "screen": screen}, headers=_API_HEADERS)

    def _custom(self, request: Request, company_id: str) -> Customized:
        """The partner's customization in the locale the script asks for (``?locale=``, from the page's URL)."""
        return customized(self.state, company_id, request.query_params.get("locale"))

    def _first_screen(self, company_id: str, custom: Customized) -> dict[str, Any]:
        linked, configured = self.state.company_flow_state(company_id)
        if not linked:
            return self._authorize_screen(custom)
        if not configured:
            return self._configure_screen(company_id, custom)
        return self._settings_screen(company_id, custom)

    @staticmethod
    def _around(name: str, custom: Customized, title: str, **screen: Any) -> dict[str, Any]:
        """A screen, with what every screen shows around it: its language and the language switch."""
        return {"name": name, "title": title, "locale": custom.locale, "lang": custom.lang,
                "languages": [{"locale": locale, "name": shown, "lang": tag, "current": current}
                              for locale, shown, tag, current in languages(custom.locale)],
                "words": {"language": custom.words["language"], "none": custom.words["none"]}, **screen}

    async def _fields(self, request: Request) -> dict[str, str]:
        """The request's JSON object of strings: what the app's forms send."""
        body = await read_json(request, self.state.policy)
        if body is None:
            return {}
        if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
            raise bad_request("The request body must be a JSON object of strings.")
        return body

    def _company(self, request: Request) -> tuple[str, str, Customized]:
        token = request.path_params["token"]
        company_id = self.state.session(token).company_id
        return token, company_id, self._custom(request, company_id)

    async def show(self, request: Request) -> Response:
        _, company_id, custom = self._company(request)
        screen = request.path_params["screen"]
        if screen == "authorize":
            return _screen(self._authorize_screen(custom))
        if screen == "configure":
            return _screen(self._configure_screen(company_id, custom))
        if screen == "success" and self.state.company_flow_state(company_id)[1]:
            return _screen(self._success_screen(custom))
        if screen == "success":  # not configured: nothing to celebrate yet
            return _screen(self._first_screen(company_id, custom))
        if screen == "settings":
            return _screen(self._settings_screen(company_id, custom))
        raise ApiError(404, f"The sync flow has no screen {screen[:40]!r}.")

    # -- authorize (seed §2) ------------------------------------------------------------

    def _authorize_screen(self, custom: Customized) -> dict[str, Any]:
        words = custom.words
        fields = [
            {"kind": "input", "type": "text", "name": "username", "label": words["username"],
             "autocomplete": "username"},
            {"kind": "input", "type": "password", "name": "password", "label": words["password"],
             "autocomplete": "current-password"},
        ]
        return self._around("authorize", custom, words["authorize_title"],
                            parts=[_form("authorize", words["authorize"], _fieldset("", fields))])

    async def authorize(self, request: Request) -> Response:
        _, company_id, custom = self._company(request)
        form = await self._fields(request)
        connection_id = self.state.accounting_connection_id(company_id)
        if connection_id is None:
            raise ApiError(409, "This company has no accounting connection to authorize.")
        credentials = {k: v for k, v in form.items() if k in ("username", "password")}
        self.state.authorize(company_id, connection_id, credentials, str(request.base_url))
        return _screen(self._configure_screen(company_id, custom))

    # -- configure (seed §3) and the end of the flow (FLOW-2) -----------------------------

    def _schedule_fieldset(self, doc: dict[str, Any], words: Mapping[str, str]) -> dict[str, Any]:
        sched = doc["schedule"]
        return _fieldset(words["schedule"], [
            _select("selectedFrequency", words["frequency"], [(f, f) for f in sched["frequencyOptions"]],
                    sched["selectedFrequency"], blank=False),
            {"kind": "input", "type": "number", "name": "syncHour", "label": words["hour"], "min": 0, "max": 23,
             "value": str(sched["syncHour"])},
            _select("timeZone", words["time_zone"], time_zones(), sched["timeZone"], blank=False),
            {"kind": "input", "type": "date", "name": "startDate", "label": words["start_date"],
             "value": str(sched.get("startDate") or "")[:10]},  # the day; a schedule starts at midnight UTC
            {"kind": "checkbox", "name": "enable", "label": words["sync_enabled"],
             "checked": bool(doc.get("enable", doc.get("enabled")))},  # either spelling (READY-3)
        ])

    def _configure_screen(self, company_id: str, custom: Customized) -> dict[str, Any]:
        doc = self.state.get_configuration(company_id)
        form = configure_form(doc, custom)  # CUST-5: the keyed texts, and the entries the partner shows
        fieldsets = [*map(_choices, form.fieldsets), self._schedule_fieldset(doc, custom.words)]
        note = {"marker": custom.words["required"], "text": _shown(form.required_note)}
        steps = {"title": _shown(form.steps_title), "items": [_shown(step) for step in form.steps]}
        return self._around("configure", custom, custom.words["configure_title"], steps=steps,
                            parts=[_form("configure", custom.words["save"], *fieldsets, note=note)])

    def _success_screen(self, custom: Customized) -> dict[str, Any]:
        words = custom.words
        return self._around("success", custom, words["success_title"],
                            paragraphs=[{"id": "success", "text": words["success"]}],
                            parts=[{"link": {"id": "review-settings", "screen": "settings",
                                             "text": words["review_settings"]}}])

    async def configure(self, request: Request) -> Response:
        token, company_id, custom = self._company(request)
        form = await self._fields(request)
        stored = apply_form(self.state, company_id, form, schedule_only=False)
        if not stored["configured"]:  # the flow ends only once every required account is chosen
            raise bad_request(INCOMPLETE)
        redirect_url = self.state.session(token).redirect_url
        if redirect_url:  # FLOW-2: the partner's redirect, or the success screen
            return JSONResponse({"redirect": redirect_location(redirect_url)}, headers=_API_HEADERS)
        return _screen(self._success_screen(custom))

    # -- review (seed §4, FLOW-3) ------------------------------------------------------

    def _settings_screen(self, company_id: str, custom: Customized) -> dict[str, Any]:
        words = custom.words
        view = self.state.schedule_view(company_id)
        doc = view["configuration"]
        sched = doc["schedule"]
        accounting = view["accounting"]
        return self._around("settings", custom, words["settings_title"], facts=[
            {"label": words["sync"], "id": "sync-enabled", "strong": True,
             "text": words["enabled"] if view["enable"] else words["disabled"]},
            {"label": words["schedule"], "id": "schedule",
             "text": f'{sched["selectedFrequency"]} {words["at"]} {sched["syncHour"]:02d}:00 {sched["timeZone"]}'},
            _when("last-sync", words["last_sync"], view["last"], words["never"]),
            _when("next-sync", words["next_sync"], view["next"], words["not_scheduled"]),
            {"label": words["accounting_connection"], "id": "accounting-status",
             "text": accounting.status if accounting else "deleted"},
        ], parts=[
            _form("settings", words["save"], self._schedule_fieldset(doc, words)),
            {"link": {"id": "review-mapping", "screen": "configure", "text": words["review_mapping"]}},
            _form("deauthorize", words["deauthorize"]),
        ])

    async def change_settings(self, request: Request) -> Response:
        _, company_id, custom = self._company(request)
        form = await self._fields(request)
        apply_form(self.state, company_id, form, schedule_only=True)
        return _screen(self._settings_screen(company_id, custom))

    async def deauthorize(self, request: Request) -> Response:
        _, company_id, custom = self._company(request)
        connection_id = self.state.accounting_connection_id(company_id)
        if connection_id is not None:
            self.state.update_connection(company_id, connection_id, {"status": "Deauthorized"}, str(request.base_url))
        return _screen(self._settings_screen(company_id, custom))
