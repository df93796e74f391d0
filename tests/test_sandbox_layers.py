"""The sandbox's layers around its healthy rules: the fault catalog, the layer that reshapes what it
sends, the one handler of its refusals, what faults remember, and its HTML from autoescaped templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from starlette.applications import Starlette

from sfc_conformance.core.profile import RULES
from sfc_conformance.sandbox import FLOW_STYLES, FlowStyle, rendering, shapes
from sfc_conformance.sandbox.app import Sandbox
from sfc_conformance.sandbox.faults import CATALOG, CHANGES, EXPOSED_BY, FAULTS, LIVE_BLIND, VARIANT_CATALOG, VARIANTS
from sfc_conformance.sandbox.policy import Policy

if TYPE_CHECKING:
    from tests.conftest import Embedded

# -- the catalog: one entry per fault, the rest are views of it ------------------------------------


def test_each_fault_is_defined_once_and_the_views_agree() -> None:
    assert FAULTS == {name: (fault.rule, fault.does) for name, fault in CATALOG.items()}
    assert VARIANTS == {name: variant.does for name, variant in VARIANT_CATALOG.items()}
    assert set(CHANGES) == set(CATALOG) | set(VARIANT_CATALOG) and not set(CATALOG) & set(VARIANT_CATALOG)
    assert LIVE_BLIND == {name: fault.live_blind for name, fault in CATALOG.items() if fault.live_blind}
    assert EXPOSED_BY == {name: fault.exposed_by for name, fault in CATALOG.items() if fault.exposed_by}
    assert all(fault.rule in RULES for fault in CATALOG.values())


def test_the_flow_styles_are_a_closed_set() -> None:
    assert FLOW_STYLES == ("pages", "app") == tuple(FlowStyle)
    with pytest.raises(ValueError, match="unknown flow style 'spa'"):
        Sandbox(flow_style="spa")


# -- what is reshaped for faults, and only for them ------------------------------------------------


def test_the_reshaping_layer_reads_fields_of_the_policy() -> None:
    fields = set(Policy.__dataclass_fields__)
    assert set(shapes._ANSWER_FIELDS) | set(shapes._ERROR_FIELDS) | set(shapes._EVENT_FIELDS) <= fields


@pytest.mark.parametrize("style", FLOW_STYLES)
def test_the_healthy_sandbox_answers_without_the_reshaping_layer(style: str) -> None:
    sandbox = Sandbox(flow_style=style)
    try:
        assert isinstance(sandbox.app, Starlette)
    finally:
        sandbox.close()


@pytest.mark.parametrize("fault", ["api-key-echoed", "plain-text-errors", "non-iso-dates", "unknown-fields"])
def test_a_fault_that_reshapes_answers_wraps_the_app(fault: str) -> None:
    sandbox = Sandbox(faults=[fault])
    try:
        assert isinstance(sandbox.app, shapes.AnswerShapes)
    finally:
        sandbox.close()


def test_a_crash_is_reshaped_too(embedded: Callable[..., Embedded]) -> None:
    """The layer sits outside the app's error handlers: the 500 of a crash is as plain as any refusal."""
    e = embedded(faults=["crash-on-bad-json", "plain-text-errors"], checked=False)
    answer = e.api.client.request("POST", "/companies", content=b"{", retry=False)
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("text/plain") and answer.text == "The sandbox failed unexpectedly."


def test_a_flow_page_refusal_stays_a_page(embedded: Callable[..., Embedded]) -> None:
    e = embedded(faults=["plain-text-errors", "error-status-mismatch"], checked=False)
    answer = e.api.client.http.get(f"{e.target.base_url}/sync-flow/s/no-such-session/settings")
    assert answer.status_code == 401 and answer.headers["content-type"].startswith("text/html")
    assert "id=refused" in answer.text


def test_the_flow_apps_refusals_are_errormessages_reshaped_like_the_apis(embedded: Callable[..., Embedded]) -> None:
    e = embedded(faults=["error-status-mismatch"], checked=False, flow_style="app")
    answer = e.api.client.http.get(f"{e.target.base_url}/flow-api/s/no-such-session/screens/settings")
    assert answer.status_code == 401 and answer.json()["statusCode"] == 400


def test_the_key_is_echoed_only_on_the_apis_answers(embedded: Callable[..., Embedded]) -> None:
    e = embedded(faults=["api-key-echoed"], checked=False)
    assert "x-api-key-used" in e.api.get_company(e.steps.company()).headers
    assert "x-api-key-used" not in e.api.get_company("unknown").headers  # a refusal echoes nothing
    page = e.api.client.http.get(e.steps.flow_url(e.steps.company()))
    assert page.status_code == 200 and "x-api-key-used" not in page.headers


# -- refusals: raised by the handlers, rendered once -----------------------------------------------


def test_a_refusal_on_the_api_is_an_errormessage_and_on_a_flow_page_a_page(embedded: Callable[..., Embedded]) -> None:
    e = embedded()
    e.steps.error(e.api.get_company("unknown"), 404)
    url = e.steps.flow_url(e.steps.company())
    e.target.clock.advance(30)
    page = e.api.client.http.get(url)
    assert page.status_code == 401 and '<p class=error id=refused>' in page.text


# -- what faults remember ----------------------------------------------------------------------------


def test_the_healthy_sandbox_remembers_no_claimed_configured(embedded: Callable[..., Embedded]) -> None:
    e = embedded()
    merchant = e.steps.linked()
    document = e.steps.configuration(merchant.company_id)
    document["configured"] = True
    assert e.steps.configure(merchant.company_id, document)["configured"] is False
    state = e.target.sandbox.state
    assert state._fault_memory.claimed_configured == {}


# -- HTML from templates, autoescaped ----------------------------------------------------------------


def test_every_value_a_template_shows_is_escaped() -> None:
    shown = rendering.render("refused.html", message='<script>alert("x")</script> & more')
    assert "<script>" not in shown and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in shown


def test_the_flow_style_sheet_goes_in_as_it_is() -> None:
    shown = rendering.render("refused.html", message="gone")
    assert f"<style>{rendering.STYLE}</style>" in shown and "&gt;" not in rendering.STYLE


def test_every_template_the_sandbox_renders_is_in_the_package() -> None:
    package = rendering.TEMPLATES
    assert package.parent.name == "sandbox"
    used = set()
    for module in ("pages.py", "flow_app.py", "rendering.py"):
        used |= set(re.findall(r'"(\w+\.(?:html|css))"', (package.parent / module).read_text(encoding="utf-8")))
    for template in package.glob("*.html"):
        used |= set(re.findall(r'(?:extends|import) "(\w+\.html)"', template.read_text(encoding="utf-8")))
    assert used and all((package / name).is_file() for name in used), sorted(used)


def test_the_app_document_carries_its_own_script_unescaped(embedded: Callable[..., Embedded]) -> None:
    e = embedded(flow_style="app")
    document = e.api.client.http.get(e.steps.flow_url(e.steps.company()))
    assert document.status_code == 200
    script = re.search(r"<script>(.*)</script>", document.text, re.S)
    assert script and '"use strict";' in script.group(1) and "&#34;" not in script.group(1)
