"""The merchant's side as HTML: the jinja2 templates in ``templates/``, autoescaped, and the partner's look.

The flow pages (:mod:`.pages`) and the browser app's document (:mod:`.flow_app`)
are rendered here and nowhere else.  Every value a template shows is escaped
by jinja2; only the flow's own style sheet and script, files of this package,
go in as they are (:data:`STYLE`, and the app's script, both hashed into its
Content-Security-Policy), and the partner's colours, checked to be colours
before they become CSS (:class:`PartnerBranding`).

The partner's branding (Codat sets it in its portal; the sandbox reads it from
a file, ``sfc-conformance sandbox --branding FILE``) is a small JSON document::

    {"name": "Acme Payments", "logo": "acme.svg", "primaryColour": "#0a7", "accentColour": "#f60"}

Every key is optional.  ``logo`` is an ``http(s)`` URL the merchant's browser
loads, or a file (SVG, PNG, JPEG, GIF or WebP, at most 1 MiB; a relative path
is read from the branding file's folder) that the sandbox serves itself at
:data:`LOGO_PATH`.  The colours are ``#rgb`` or ``#rrggbb``; the flow shows them
as the CSS custom properties ``--brand-primary`` and ``--brand-accent``.
``name`` is the logo's alternative text.  Without a file the flow is neutral:
no logo, grey-blue colours (``PartnerBranding()``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

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


# -- the partner's branding -------------------------------------------------------------------------------

LOGO_PATH = "/sync-flow/branding/logo"  # where the sandbox serves a logo file (under the flow's own prefix)
NEUTRAL_PRIMARY, NEUTRAL_ACCENT = "#3d5166", "#5b7083"
MAX_LOGO_BYTES = 1 << 20
BRANDING_KEYS = ("name", "logo", "primaryColour", "accentColour")
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
# A logo file's media type by its suffix, and how its content begins (a file that is not what it says is refused).
_LOGO_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".svg": ("image/svg+xml", ()),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
}


@dataclass(frozen=True)
class PartnerBranding:
    """The partner's logo and colours, as the merchant's flow shows them; ``PartnerBranding()`` is neutral."""

    name: str = ""
    logo_url: str | None = None  # an absolute http(s) URL the browser loads
    logo_image: bytes | None = None  # a file the sandbox serves at LOGO_PATH ...
    logo_type: str = ""  # ... with this media type
    primary_colour: str = NEUTRAL_PRIMARY
    accent_colour: str = NEUTRAL_ACCENT

    def __post_init__(self) -> None:
        for colour in (self.primary_colour, self.accent_colour):
            if not _COLOUR.fullmatch(colour):  # only a colour becomes CSS
                raise ValueError(f"{colour[:40]!r} is not a colour: use #rgb or #rrggbb")
        if self.logo_url is not None and not _web_address(self.logo_url):
            raise ValueError(f"logo {self.logo_url[:80]!r} is neither an http(s) URL nor a file")

    @property
    def logo_src(self) -> str | None:
        """What the flow's ``<img id=brand-logo>`` loads; None: no logo."""
        return LOGO_PATH if self.logo_image is not None else self.logo_url

    @property
    def logo_alt(self) -> str:
        return f"{self.name} logo" if self.name else "Logo"

    @property
    def logo_origin(self) -> str | None:
        """The origin a logo URL is loaded from (for a Content-Security-Policy); None for no logo or the sandbox's."""
        if self.logo_url is None or self.logo_image is not None:
            return None
        parts = urlsplit(self.logo_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def style(self) -> Markup:
        """The colours as CSS custom properties: checked colours only, so nothing else can go in."""
        return Markup(f":root{{--brand-primary:{self.primary_colour};--brand-accent:{self.accent_colour}}}")

    def routes(self) -> list[Route]:
        """The logo file, served without the API key (a browser loads it in an ``<img>``); none without one."""
        if self.logo_image is None:
            return []
        return [Route(LOGO_PATH, self._logo, methods=["GET"])]

    async def _logo(self, request: Request) -> Response:
        headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff",
                   # An SVG opened on its own runs nothing and loads nothing.
                   "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox"}
        return Response(self.logo_image, media_type=self.logo_type, headers=headers)

    @classmethod
    def from_file(cls, path: str | Path) -> PartnerBranding:
        """The branding a JSON file describes (see the module's docstring); ValueError saying what is wrong."""
        where = Path(path)
        try:
            text = where.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ValueError("no such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"cannot be read ({error})") from None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"is not JSON ({error})") from None
        return cls.from_json(document, where.parent)

    @classmethod
    def from_json(cls, document: Any, folder: Path) -> PartnerBranding:
        if not isinstance(document, dict):
            raise ValueError(f"must be a JSON object with some of {', '.join(BRANDING_KEYS)}")
        unknown = sorted(set(document) - set(BRANDING_KEYS))
        if unknown:
            raise ValueError(f"unknown key {unknown[0][:40]!r}: the keys are {', '.join(BRANDING_KEYS)}")
        for key, value in document.items():
            if not isinstance(value, str):
                raise ValueError(f"{key} must be a string")
        name = document.get("name", "").strip()
        if len(name) > 100:
            raise ValueError("name is longer than 100 characters")
        colours = {}
        for key, field in (("primaryColour", "primary_colour"), ("accentColour", "accent_colour")):
            if key in document:
                if not _COLOUR.fullmatch(document[key].strip()):
                    raise ValueError(f"{key} {document[key][:40]!r} is not a colour: use #rgb or #rrggbb")
                colours[field] = document[key].strip()
        logo = document.get("logo", "").strip()
        if not logo:
            return cls(name, **colours)
        if re.match(r"https?://", logo, re.IGNORECASE):
            if not _web_address(logo):
                raise ValueError(f"logo {logo[:80]!r} is not a usable http(s) URL")
            return cls(name, logo_url=logo, **colours)
        image, media_type = _logo_file(folder / logo)
        return cls(name, logo_image=image, logo_type=media_type, **colours)


def _web_address(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and len(url) <= 2048
            and not re.search(r"[\s\"'<>\\]", url))


def _logo_file(path: Path) -> tuple[bytes, str]:
    known = _LOGO_TYPES.get(path.suffix.lower())
    if known is None:
        raise ValueError(f"logo {path.name!r}: use an SVG, PNG, JPEG, GIF or WebP file, or an http(s) URL")
    try:
        size = path.stat().st_size
        if size > MAX_LOGO_BYTES:
            raise ValueError(f"logo {path} is {size} bytes: at most {MAX_LOGO_BYTES} (1 MiB)")
        image = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"logo {path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"logo {path} is a folder, not a file") from None
    except OSError as error:
        raise ValueError(f"logo {path} cannot be read ({error})") from None
    media_type, signatures = known
    is_svg = media_type == "image/svg+xml" and b"<svg" in image[:4096]
    if not (is_svg or (signatures and image.startswith(signatures))):
        raise ValueError(f"logo {path} is not the {media_type} image its name says")
    return image, media_type
