"""The merchant's side as HTML: the jinja2 templates in ``templates/``, autoescaped.

The flow pages (:mod:`.pages`) and the browser app's document (:mod:`.flow_app`)
are rendered here and nowhere else.  Every value a template shows is escaped
by jinja2; only the flow's own style sheet and script, files of this package,
go in as they are (:data:`STYLE`, and the app's script, both hashed into its
Content-Security-Policy).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse

from sfc_conformance.core.clock import isoformat
from sfc_conformance.sandbox.configuration import iana_time_zones

TEMPLATES = Path(__file__).with_name("templates")
STYLE = Markup(TEMPLATES.joinpath("flow.css").read_text(encoding="utf-8").rstrip("\n"))  # this package's own CSS


def _pairs(values: Iterable[str]) -> list[tuple[str, str]]:
    """Options whose value is what they show."""
    return [(value, value) for value in values]


_ENVIRONMENT = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                           trim_blocks=True, lstrip_blocks=True, auto_reload=False)
_ENVIRONMENT.filters["iso"] = isoformat
_ENVIRONMENT.filters["pairs"] = _pairs
_ENVIRONMENT.globals["style"] = STYLE


@cache
def time_zones() -> list[tuple[str, str]]:
    """The schedule's time zone options: every IANA zone, sorted."""
    return _pairs(sorted(iana_time_zones()))


@lru_cache(maxsize=64)
def _time_zone_select(selected: str) -> Markup:
    """The time zone ``<select>`` of the flow pages, with ``selected`` chosen: some 600 options, drawn once."""
    select: Markup = _ENVIRONMENT.get_template("fields.html").module.select(  # type: ignore[attr-defined]
        "timeZone", time_zones(), selected, blank=False)
    return select


_ENVIRONMENT.globals["time_zone_select"] = _time_zone_select


def render(template: str, **context: Any) -> str:
    return _ENVIRONMENT.get_template(template).render(**context)


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A flow page: ``template`` rendered with ``context``."""
    return HTMLResponse(render(template, **context), status_code=status)
