"""The merchant's side: the sync flow pages a flow URL opens (FLOW-1..3, OTP-*).

Plain server-rendered HTML forms.  Every action calls the same
:class:`SandboxState` method its API twin calls, so walking the pages and
calling the API leave the same state (FLOW-1).  Dates a test needs to read sit
in ``<time id=... datetime=...>`` elements.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from sfc_conformance.core.clock import isoformat
from sfc_conformance.sandbox.api import read_body
from sfc_conformance.sandbox.configuration import ACCOUNT_SLOTS, TAX_COMPONENTS, iana_time_zones
from sfc_conformance.sandbox.errors import ApiError
from sfc_conformance.sandbox.flow_forms import INCOMPLETE, apply_form, redirect_location
from sfc_conformance.sandbox.state import SandboxState

STYLE = """body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;color:#1b1b1f}
h1{font-size:1.4rem}fieldset{border:1px solid #ccd;border-radius:6px;margin:1rem 0}
label{display:block;margin:.4rem 0}button{padding:.4rem 1rem}.error{color:#a00}"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


def _select(name: str, options: list[tuple[str, str]], selected: str | None, *, blank: bool = True) -> str:
    items = ['<option value="">(none)</option>'] if blank else []
    for value, label in options:
        chosen = " selected" if value == selected else ""
        items.append(f'<option value="{html.escape(value)}"{chosen}>{html.escape(label)}</option>')
    return f'<select name="{html.escape(name)}">{"".join(items)}</select>'


def _time(element_id: str, moment: datetime | None, absent: str) -> str:
    if moment is None:
        return f'<span id="{element_id}">{absent}</span>'
    return f'<time id="{element_id}" datetime="{isoformat(moment)}">{moment:%Y-%m-%d %H:%M} UTC</time>'


class FlowPages:
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

    # -- entry ----------------------------------------------------------------

    async def open(self, request: Request) -> Response:
        p = request.path_params
        if p["clientId"] != self.state.client_id:
            return self._refused(ApiError(401, "This sync flow link is not valid."))
        try:
            session = self.state.open_flow(p["commerceKey"], p["accountingKey"], dict(request.query_params))
        except ApiError as error:
            return self._refused(error)
        linked, configured = self.state.company_flow_state(session.company_id)
        if not linked:
            return self._authorize_page(session.token)
        if not configured:
            return self._configure_page(session.token, session.company_id)
        return self._settings_page(session.token, session.company_id)

    def _refused(self, error: ApiError) -> Response:
        return _page("Link expired", f"<p class=error id=refused>{html.escape(error.message)}</p>", error.status)

    async def _session(self, request: Request) -> tuple[str, str]:
        token = request.path_params["token"]
        return token, self.state.session(token).company_id

    async def _form(self, request: Request) -> dict[str, str]:
        raw = await read_body(request)
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))

    # -- authorize (seed §2) ----------------------------------------------------

    def _authorize_page(self, token: str) -> Response:
        return _page("Connect your accounting software", f"""
<form method=post action="/sync-flow/s/{token}/authorize" id=authorize>
<label>Username <input name=username autocomplete=username></label>
<label>Password <input name=password type=password autocomplete=current-password></label>
<button type=submit>Authorize</button></form>""")

    async def authorize(self, request: Request) -> Response:
        try:
            token, company_id = await self._session(request)
            form = await self._form(request)
            connection_id = self.state.accounting_connection_id(company_id)
            if connection_id is None:
                raise ApiError(409, "This company has no accounting connection to authorize.")
            credentials = {k: v for k, v in form.items() if k in ("username", "password")}
            self.state.authorize(company_id, connection_id, credentials, str(request.base_url))
        except ApiError as error:
            return self._refused(error)
        return RedirectResponse(f"/sync-flow/s/{token}/configure", status_code=303)

    # -- configure (seed §3) ----------------------------------------------------

    def _configure_page(self, token: str, company_id: str, problems: list[str] | None = None,
                        status: int = 200) -> Response:
        doc = self.state.get_configuration(company_id)
        conf = doc["configuration"]
        parts = []
        if problems:
            items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
            parts.append(f"<ul class=error id=problems>{items}</ul>")
        parts.append(f'<form method=post action="/sync-flow/s/{token}/configure" id=configure>')
        for section, slots in ACCOUNT_SLOTS.items():
            parts.append(f"<fieldset><legend>{section.title()} accounts</legend>")
            for slot in slots:
                entry = conf[section]["accounts"][slot]
                options = [(o["id"], f'{o["nominalCode"]} {o["name"]}') for o in entry["accountOptions"] or []]
                required = " (required)" if entry["required"] else ""
                parts.append(f'<label>{html.escape(entry["labelText"])}{required} '
                             f'{_select(f"account.{section}.{slot}", options, entry["selectedAccountId"])}</label>')
            parts.append("</fieldset>")
        parts.append("<fieldset><legend>Tax rates</legend>")
        for component in TAX_COMPONENTS:
            entry = conf["sales"]["taxRates"][component]
            options = [(o["id"], o["name"]) for o in entry["taxRateOptions"] or []]
            parts.append(f'<label>{component} {_select(f"taxRate.{component}", options, entry["selectedTaxRateId"])}'
                         "</label>")
        parts.append("</fieldset><fieldset><legend>Invoices</legend>")
        status_doc = conf["sales"]["invoiceStatus"]
        parts.append("<label>Invoice status " + _select(
            "invoiceStatus", [(s, s) for s in status_doc["invoiceStatusOptions"] or []],
            status_doc["selectedInvoiceStatus"]) + "</label>")
        period = conf["sales"]["grouping"]["groupingPeriod"]
        parts.append("<label>Group sales " + _select(
            "groupingPeriod", [(s, s) for s in period["groupingPeriodOptions"] or []],
            period["selectedGroupingPeriod"]) + "</label></fieldset>")
        parts.append(self._schedule_fields(doc))
        parts.append("<button type=submit>Save</button></form>")
        return _page("Configure your sync", "".join(parts), status)

    def _schedule_fields(self, doc: dict[str, Any]) -> str:
        sched = doc["schedule"]
        zones = [(z, z) for z in sorted(iana_time_zones())]
        frequencies = [(f, f) for f in sched["frequencyOptions"]]
        checked = " checked" if doc.get("enable", doc.get("enabled")) else ""  # either spelling (READY-3)
        start = html.escape(str(sched.get("startDate") or "")[:10])  # the day; a schedule starts at midnight UTC
        return ("<fieldset><legend>Schedule</legend>"
                f"<label>Start date <input name=startDate type=date value=\"{start}\"></label>"
                f"<label>Frequency {_select('selectedFrequency', frequencies, sched['selectedFrequency'], blank=False)}"
                "</label>"
                f"<label>Hour <input name=syncHour type=number min=0 max=23 value=\"{sched['syncHour']}\"></label>"
                f"<label>Time zone {_select('timeZone', zones, sched['timeZone'], blank=False)}</label>"
                f"<label><input type=checkbox name=enable value=on{checked}> Sync enabled</label></fieldset>")

    async def configure_form(self, request: Request) -> Response:
        try:
            token, company_id = await self._session(request)
        except ApiError as error:
            return self._refused(error)
        return self._configure_page(token, company_id)

    async def configure(self, request: Request) -> Response:
        try:
            token, company_id = await self._session(request)
            form = await self._form(request)
            session = self.state.session(token)
            try:
                stored = apply_form(self.state, company_id, form, schedule_only=False)
            except ApiError as error:
                if error.status != 400:
                    raise
                return self._configure_page(token, company_id, [i.message for i in error.issues], 400)
            if not stored["configured"]:  # the flow ends only once every required account is chosen
                return self._configure_page(token, company_id, [INCOMPLETE], 400)
        except ApiError as error:
            return self._refused(error)
        if not self.state.policy.success_page:
            return Response(status_code=204)
        if session.redirect_url:  # FLOW-2: the partner's redirect, or the success page
            return RedirectResponse(redirect_location(session.redirect_url), status_code=303)
        return _page("You're all set", "<p id=success>Your sync is configured. You can close this window.</p>"
                     f'<p><a id=review-settings href="/sync-flow/s/{token}/settings">Review settings</a></p>')

    # -- review (seed §4) -------------------------------------------------------

    def _settings_page(self, token: str, company_id: str) -> Response:
        view = self.state.schedule_view(company_id)
        doc = view["configuration"]
        sched = doc["schedule"]
        accounting = view["accounting"]
        status = accounting.status if accounting else "deleted"
        enabled = "Enabled" if view["enable"] else "Disabled"
        body = (f'<p>Sync: <strong id=sync-enabled>{enabled}</strong></p>'
                f'<p>Schedule: <span id=schedule>{html.escape(sched["selectedFrequency"])} at '
                f'{sched["syncHour"]:02d}:00 {html.escape(sched["timeZone"])}</span></p>'
                f'<p>Last sync: {_time("last-sync", view["last"], "never")}</p>'
                f'<p>Next sync: {_time("next-sync", view["next"], "not scheduled")}</p>'
                f'<p>Accounting connection: <span id=accounting-status>{status}</span></p>'
                f'<form method=post action="/sync-flow/s/{token}/settings" id=settings>'
                f'{self._schedule_fields(doc)}<button type=submit>Save</button></form>'
                f'<p><a id=review-mapping href="/sync-flow/s/{token}/configure">Review accounts and tax rates</a></p>'
                f'<form method=post action="/sync-flow/s/{token}/deauthorize" id=deauthorize>'
                '<button type=submit>De-authorize accounting connection</button></form>')
        return _page("Sync settings", body)

    async def settings_page(self, request: Request) -> Response:
        try:
            token, company_id = await self._session(request)
        except ApiError as error:
            return self._refused(error)
        return self._settings_page(token, company_id)

    async def change_settings(self, request: Request) -> Response:
        try:
            token, company_id = await self._session(request)
            form = await self._form(request)
            apply_form(self.state, company_id, form, schedule_only=True)
        except ApiError as error:
            return self._refused(error)
        return RedirectResponse(f"/sync-flow/s/{token}/settings", status_code=303)

    async def deauthorize(self, request: Request) -> Response:
        try:
            token, company_id = await self._session(request)
            connection_id = self.state.accounting_connection_id(company_id)
            if connection_id is not None:
                self.state.update_connection(company_id, connection_id, {"status": "Deauthorized"},
                                             str(request.base_url))
        except ApiError as error:
            return self._refused(error)
        return RedirectResponse(f"/sync-flow/s/{token}/settings", status_code=303)
