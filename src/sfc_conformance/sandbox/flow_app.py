"""The merchant's side as a browser app: the sandbox's other flow style (``--flow-style app``).

Many real flows are single-page apps: the flow URL's document loads with 200
whatever its OTP, and the app's own request carrying the OTP is the one
answered 401 (profile, "What the merchant sees").  This style plays that:

* ``GET`` the flow URL: always 200, one small HTML document with an inline
  script (:file:`flow_app.js`; no framework, no build step, nothing fetched
  from elsewhere).  Loading it changes nothing.
* ``POST /flow-api/{clientId}/{commerceKey}/{accountingKey}/session`` with
  ``{"otp", "merchantIdentifier"}``: the script trades the OTP for a session
  (OTP-1..5: 401 for an expired, changed, other merchant's or used OTP) and
  gets the first screen.
* ``/flow-api/s/{token}/...``: authorize, configure, settings, de-authorize —
  every one calls the :class:`SandboxState` method the pages and the API call
  (FLOW-1), and answers the next screen as data the script draws.

Screens carry the ids and field names of the server-rendered pages
(:mod:`.pages`), so a driver that knows the sandbox walks either style.
"""

from __future__ import annotations

import base64
import hashlib
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
from sfc_conformance.sandbox.flow_forms import INCOMPLETE, apply_form, choice_fieldsets, redirect_location
from sfc_conformance.sandbox.rendering import STYLE, render, time_zones
from sfc_conformance.sandbox.state import SandboxState

SCRIPT = Path(__file__).with_name("flow_app.js").read_text(encoding="utf-8")
TITLE = "Sync your sales"


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


_DOCUMENT = render("app.html", title=TITLE, script=Markup(SCRIPT))  # this package's own script, as it is
_DOCUMENT_HEADERS = {
    # Only this document's own script and style run, and the script talks to this origin only.
    "Content-Security-Policy": (f"default-src 'none'; script-src {_csp_hash(SCRIPT)}; style-src {_csp_hash(STYLE)}; "
                                "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"),
    "Referrer-Policy": "no-referrer",  # the OTP is in the URL: no Referer carries it anywhere
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
_API_HEADERS = {"Cache-Control": "no-store"}


def _screen(screen: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse({"screen": screen}, status_code=status, headers=_API_HEADERS)


def _select(name: str, label: str, options: list[tuple[str, str]], value: str | None, *,
            blank: bool = True) -> dict[str, Any]:
    return {"kind": "select", "name": name, "label": label, "options": options, "value": value, "blank": blank}


def _when(element_id: str, label: str, moment: datetime | None, absent: str) -> dict[str, Any]:
    if moment is None:
        return {"label": label, "id": element_id, "text": absent}
    return {"label": label, "id": element_id, "datetime": isoformat(moment), "text": f"{moment:%Y-%m-%d %H:%M} UTC"}


def _form(form_id: str, submit: str, *fieldsets: tuple[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"form": {"id": form_id, "action": form_id, "submit": submit,
                     "fieldsets": [{"legend": legend, "fields": fields} for legend, fields in fieldsets]}}


class FlowApp:
    prefixes: tuple[str, ...] = ("/sync-flow/", "/flow-api/")

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            Route("/sync-flow/{clientId}/{commerceKey}/{accountingKey}/start", self.document, methods=["GET"]),
            Route("/flow-api/{clientId}/{commerceKey}/{accountingKey}/session", self.open, methods=["POST"]),
            Route("/flow-api/s/{token}/screens/{screen}", self.show, methods=["GET"]),
            Route("/flow-api/s/{token}/authorize", self.authorize, methods=["POST"]),
            Route("/flow-api/s/{token}/configure", self.configure, methods=["POST"]),
            Route("/flow-api/s/{token}/settings", self.change_settings, methods=["POST"]),
            Route("/flow-api/s/{token}/deauthorize", self.deauthorize, methods=["POST"]),
        ]

    def refusal(self, request: Request, error: ApiError) -> Response | None:
        """The app draws a refusal from the API's own ErrorMessage: none of its own."""
        return None

    # -- the document and the OTP (OTP-1..5) -------------------------------------------

    async def document(self, request: Request) -> Response:
        # 200 whatever the OTP: judging it is the flow API's job, and the app shows the answer.
        return HTMLResponse(_DOCUMENT, headers=_DOCUMENT_HEADERS)

    async def open(self, request: Request) -> Response:
        p = request.path_params
        body = await self._fields(request)
        if p["clientId"] != self.state.client_id:
            raise ApiError(401, "This sync flow link is not valid.")
        params = {"otp": body.get("otp", ""), "merchantIdentifier": body.get("merchantIdentifier", "")}
        session = self.state.open_flow(p["commerceKey"], p["accountingKey"], params)
        screen = self._first_screen(session.company_id)
        return JSONResponse({"token": session.token, "screen": screen}, headers=_API_HEADERS)

    def _first_screen(self, company_id: str) -> dict[str, Any]:
        linked, configured = self.state.company_flow_state(company_id)
        if not linked:
            return self._authorize_screen()
        if not configured:
            return self._configure_screen(company_id)
        return self._settings_screen(company_id)

    async def _fields(self, request: Request) -> dict[str, str]:
        """The request's JSON object of strings: what the app's forms send."""
        body = await read_json(request, self.state.policy)
        if body is None:
            return {}
        if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
            raise bad_request("The request body must be a JSON object of strings.")
        return body

    def _company(self, request: Request) -> tuple[str, str]:
        token = request.path_params["token"]
        return token, self.state.session(token).company_id

    async def show(self, request: Request) -> Response:
        _, company_id = self._company(request)
        screen = request.path_params["screen"]
        if screen == "configure":
            return _screen(self._configure_screen(company_id))
        if screen == "settings":
            return _screen(self._settings_screen(company_id))
        raise ApiError(404, f"The sync flow has no screen {screen[:40]!r}.")

    # -- authorize (seed §2) ------------------------------------------------------------

    def _authorize_screen(self) -> dict[str, Any]:
        fields = [
            {"kind": "input", "type": "text", "name": "username", "label": "Username", "autocomplete": "username"},
            {"kind": "input", "type": "password", "name": "password", "label": "Password",
             "autocomplete": "current-password"},
        ]
        return {"name": "authorize", "title": "Connect your accounting software",
                "parts": [_form("authorize", "Authorize", ("", fields))]}

    async def authorize(self, request: Request) -> Response:
        _, company_id = self._company(request)
        form = await self._fields(request)
        connection_id = self.state.accounting_connection_id(company_id)
        if connection_id is None:
            raise ApiError(409, "This company has no accounting connection to authorize.")
        credentials = {k: v for k, v in form.items() if k in ("username", "password")}
        self.state.authorize(company_id, connection_id, credentials, str(request.base_url))
        return _screen(self._configure_screen(company_id))

    # -- configure (seed §3) and the end of the flow (FLOW-2) -----------------------------

    def _schedule_fieldset(self, doc: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        sched = doc["schedule"]
        return ("Schedule", [
            _select("selectedFrequency", "Frequency", [(f, f) for f in sched["frequencyOptions"]],
                    sched["selectedFrequency"], blank=False),
            {"kind": "input", "type": "number", "name": "syncHour", "label": "Hour", "min": 0, "max": 23,
             "value": str(sched["syncHour"])},
            _select("timeZone", "Time zone", time_zones(), sched["timeZone"], blank=False),
            {"kind": "input", "type": "date", "name": "startDate", "label": "Start date",
             "value": str(sched.get("startDate") or "")[:10]},  # the day; a schedule starts at midnight UTC
            {"kind": "checkbox", "name": "enable", "label": "Sync enabled",
             "checked": bool(doc.get("enable", doc.get("enabled")))},  # either spelling (READY-3)
        ])

    def _configure_screen(self, company_id: str) -> dict[str, Any]:
        doc = self.state.get_configuration(company_id)
        fieldsets = [(legend, [{"kind": "select", **asdict(choice)} for choice in choices])
                     for legend, choices in choice_fieldsets(doc)]
        fieldsets.append(self._schedule_fieldset(doc))
        return {"name": "configure", "title": "Configure your sync", "parts": [_form("configure", "Save", *fieldsets)]}

    async def configure(self, request: Request) -> Response:
        token, company_id = self._company(request)
        form = await self._fields(request)
        stored = apply_form(self.state, company_id, form, schedule_only=False)
        if not stored["configured"]:  # the flow ends only once every required account is chosen
            raise bad_request(INCOMPLETE)
        redirect_url = self.state.session(token).redirect_url
        if redirect_url:  # FLOW-2: the partner's redirect, or the success screen
            return JSONResponse({"redirect": redirect_location(redirect_url)}, headers=_API_HEADERS)
        return _screen({
            "name": "success", "title": "You're all set",
            "paragraphs": [{"id": "success", "text": "Your sync is configured. You can close this window."}],
            "parts": [{"link": {"id": "review-settings", "screen": "settings", "text": "Review settings"}}],
        })

    # -- review (seed §4, FLOW-3) ------------------------------------------------------

    def _settings_screen(self, company_id: str) -> dict[str, Any]:
        view = self.state.schedule_view(company_id)
        doc = view["configuration"]
        sched = doc["schedule"]
        accounting = view["accounting"]
        return {"name": "settings", "title": "Sync settings", "facts": [
            {"label": "Sync", "id": "sync-enabled", "strong": True,
             "text": "Enabled" if view["enable"] else "Disabled"},
            {"label": "Schedule", "id": "schedule",
             "text": f'{sched["selectedFrequency"]} at {sched["syncHour"]:02d}:00 {sched["timeZone"]}'},
            _when("last-sync", "Last sync", view["last"], "never"),
            _when("next-sync", "Next sync", view["next"], "not scheduled"),
            {"label": "Accounting connection", "id": "accounting-status",
             "text": accounting.status if accounting else "deleted"},
        ], "parts": [
            _form("settings", "Save", self._schedule_fieldset(doc)),
            {"link": {"id": "review-mapping", "screen": "configure", "text": "Review accounts and tax rates"}},
            _form("deauthorize", "De-authorize accounting connection"),
        ]}

    async def change_settings(self, request: Request) -> Response:
        _, company_id = self._company(request)
        form = await self._fields(request)
        apply_form(self.state, company_id, form, schedule_only=True)
        return _screen(self._settings_screen(company_id))

    async def deauthorize(self, request: Request) -> Response:
        _, company_id = self._company(request)
        connection_id = self.state.accounting_connection_id(company_id)
        if connection_id is not None:
            self.state.update_connection(company_id, connection_id, {"status": "Deauthorized"}, str(request.base_url))
        return _screen(self._settings_screen(company_id))
