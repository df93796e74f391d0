"""The integrations the sandbox offers, and their branding (INT-1, INT-2).

Every platform the sandbox knows (:data:`~.platforms.PLATFORMS`: the commerce
key ``lqai`` and the accounting keys) is an integration, listed a page at a
time as the other lists are (API-4), with ``query`` and ``orderBy`` as Codat
reads them (:mod:`.querying`).  An integration's branding names its logo
(full and square) and its button (default and hover) by absolute URLs that
the sandbox serves itself, as small SVG images drawn from the platform's name
(:func:`asset_routes`; no API key needed: a browser loads them in an
``<img>``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sfc_conformance.core.account import PLATFORM_KEY
from sfc_conformance.sandbox.errors import ApiError, not_found
from sfc_conformance.sandbox.paging import page_of, paging
from sfc_conformance.sandbox.platforms import PLATFORMS, Platform
from sfc_conformance.sandbox.querying import select
from sfc_conformance.sandbox.records import Records
from sfc_conformance.sandbox.rendering import render

ASSETS = "/branding/"  # where the images live: {ASSETS}{key}/{image}.svg
# What a query or an order may name.
PROPERTIES = ("key", "name", "enabled", "sourceType", "sourceId", "integrationId", "isBeta", "isOfflineConnector")


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    radius: int
    font_size: int
    label: str  # "name", "initials" or "button": what the image shows
    darker: bool = False


# The images of an integration's branding, by the name its URL ends in.
IMAGES: Mapping[str, Image] = {
    "logo-full": Image(240, 64, 8, 24, "name"),
    "logo-square": Image(64, 64, 12, 26, "initials"),
    "button-default": Image(220, 44, 6, 16, "button"),
    "button-hover": Image(220, 44, 6, 16, "button", darker=True),
}


def asset_url(base: str, key: str, image: str) -> str:
    return f"{base.rstrip('/')}{ASSETS}{key}/{image}.svg"


def integration_json(platform: Platform, base: str) -> dict[str, Any]:
    return {
        "key": platform.key,
        "name": platform.name,
        "logoUrl": asset_url(base, platform.key, "logo-square"),  # INT-1: absolute, served here
        "enabled": True,
        "sourceId": platform.source_id,
        "sourceType": platform.source_type,
        "integrationId": platform.integration_id,
        "isOfflineConnector": False,
        "isBeta": False,
    }


def branding_json(platform: Platform, base: str) -> dict[str, Any]:
    def image(name: str, alt: str) -> dict[str, Any]:
        return {"image": {"src": asset_url(base, platform.key, name), "alt": alt}}

    return {
        "logo": {"full": image("logo-full", f"{platform.name} logo"),
                 "square": image("logo-square", f"{platform.name} icon")},
        "button": {"default": image("button-default", f"Connect to {platform.name}"),
                   "hover": image("button-hover", f"Connect to {platform.name}")},
        "sourceId": platform.source_id,
    }


class Integrations(Records):
    def list_integrations(self, params: Mapping[str, str], base: str) -> dict[str, Any]:
        """INT-1: every integration, paged as the other lists are (API-4), filtered and ordered as asked."""
        page, size = paging(params.get("page"), params.get("pageSize"))
        every = [integration_json(platform, base) for platform in PLATFORMS.values()]
        chosen = select(every, lambda item: item, params.get("query"), params.get("orderBy"), "Integration",
                        PROPERTIES)
        first = (page - 1) * size
        shown = chosen[first:first + size] if self.policy.pages_integrations else chosen  # INT-1, API-4
        return page_of("/config/integrations", shown, page, size, len(chosen))

    def integration_branding(self, platform_key: str, base: str) -> dict[str, Any]:
        """INT-2: the logo and button images of a listed integration; 404 for a key none has."""
        if platform_key not in PLATFORMS and self.policy.brands_unknown_keys:  # INT-2: a 404, not a fallback
            return branding_json(Platform("generic", "Your integration", "Other"), base)
        return branding_json(_platform(platform_key), base)


def _platform(key: str) -> Platform:
    platform = PLATFORMS.get(key)
    if platform is None:  # INT-2: a key no listed integration has, malformed or not (the OAS documents 404 only)
        shown = key[:16] if PLATFORM_KEY.fullmatch(key) else f"{key[:16]} (platform keys are four lower-case letters)"
        raise not_found(f"No integration has the platform key {shown}.")
    return platform


# -- the images, served without the API key ------------------------------------------------------------


def asset_routes() -> list[Route]:
    return [Route(ASSETS + "{platformKey}/{image}.svg", _asset, methods=["GET"])]


async def _asset(request: Request) -> Response:
    platform = PLATFORMS.get(request.path_params["platformKey"])
    shape = IMAGES.get(request.path_params["image"])
    if platform is None or shape is None:
        raise ApiError(404, "No such image.")
    return Response(drawn(platform, request.path_params["image"]), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


def drawn(platform: Platform, image: str) -> str:
    """One image of ``platform``'s branding, as SVG."""
    shape = IMAGES[image]
    label = {"name": platform.name, "initials": "".join(word[0] for word in platform.name.split()[:2]).upper(),
             "button": f"Connect to {platform.name}"}[shape.label]
    alt = {"name": f"{platform.name} logo", "initials": f"{platform.name} icon"}.get(shape.label, label)
    return render("integration.svg", width=shape.width, height=shape.height, radius=shape.radius,
                  font_size=shape.font_size, label=label, alt=alt, background=_colour(platform.key, shape.darker))


def _colour(key: str, darker: bool) -> str:
    """A colour of its own for each platform, the same every time."""
    hue = int.from_bytes(hashlib.sha256(key.encode()).digest()[:2], "big") % 360
    return f"hsl({hue}, 55%, {32 if darker else 42}%)"
