"""The one Chinese font the tickets, the kiosk and the reports are drawn with.

Debian's fonts-wqy-microhei (installed by the Makefile): Chinese and Latin in one face,
so a bilingual line never switches fonts mid-way. Noto CJK is taken when that is missing.
"""

from __future__ import annotations

from pathlib import Path

CJK_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)


class FontMissing(FileNotFoundError):
    """No Chinese font is installed; the message says which package to install."""


def cjk_font_path() -> Path:
    for candidate in CJK_FONT_CANDIDATES:
        if candidate.exists():
            return candidate
    raise FontMissing("no Chinese font found: install Debian's fonts-wqy-microhei (`apt-get install fonts-wqy-microhei`)")
