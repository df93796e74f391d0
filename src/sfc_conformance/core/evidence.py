"""Evidence a run keeps besides text: what the merchant's browser showed."""

from __future__ import annotations

from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Screenshot:
    """One screen as the merchant saw it: a PNG, what it shows, and the page's address."""

    caption: str  # "refusal page", "authorization screen", "success page"...
    png: bytes
    url: str = ""

    @property
    def is_png(self) -> bool:
        return self.png.startswith(PNG_SIGNATURE)
