"""Colours, fonts and sizes of the touchscreen, in one place (no Kivy import: tests read it).

Colours are chosen for high contrast: every text colour on the background it is drawn on
reaches WCAG AAA (7:1); `CONTRAST_PAIRS` lists them and a test checks the ratios.
Sizes in the .kv files are written for the reference portrait screen (1080 px wide) and
scaled to the real window; touch targets are kept at least `MIN_TARGET_MM` (15 mm) at
the configured DPI whatever the scale, and `ELDER_TARGET_MM` in 长辈模式.
"""

from __future__ import annotations


def hex_rgba(value: str) -> tuple[float, float, float, float]:
    value = value.lstrip("#")
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)) + (1.0,)  # type: ignore[return-value]


NAVY = hex_rgba("#0B2545")  # header, primary buttons, the ticket number
NAVY_PRESSED = hex_rgba("#1D4E89")
INK = hex_rgba("#111827")  # body text
MUTED = hex_rgba("#374151")  # secondary lines, still 10:1 on white
PAGE = hex_rgba("#F1F4F8")  # screen background
CARD = hex_rgba("#FFFFFF")  # service buttons, panels
GOLD = hex_rgba("#E9C46A")  # the VIP greeting, on navy
GREEN = hex_rgba("#0B5D33")  # "no queue"
WARN_BG = hex_rgba("#FFF1DC")  # notices: card not read, printer unavailable
WARN_INK = hex_rgba("#6B3300")
WARN_EDGE = hex_rgba("#B45309")
ALERT_INK = hex_rgba("#8B1414")  # printer failure title
WHITE = hex_rgba("#FFFFFF")
BORDER = hex_rgba("#1F3A5F")

# (text, background) pairs actually used on screen.
CONTRAST_PAIRS = {
    "header text": (WHITE, NAVY),
    "body text": (INK, PAGE),
    "body on card": (INK, CARD),
    "secondary on card": (MUTED, CARD),
    "secondary on page": (MUTED, PAGE),
    "primary button": (WHITE, NAVY),
    "pressed button": (WHITE, NAVY_PRESSED),
    "secondary button": (NAVY, CARD),
    "no queue": (GREEN, CARD),
    "notice": (WARN_INK, WARN_BG),
    "greeting": (GOLD, NAVY),
    "printer failure title": (ALERT_INK, PAGE),
    "ticket number": (NAVY, CARD),
}

TEXT_FONT = "KioskSans"
NUMBER_FONT = "KioskNumber"  # Roboto Bold from Kivy's own data: the ticket number

REFERENCE_WIDTH = 1080
REFERENCE_HEIGHT = 1920
MIN_TARGET_MM = 15.0
ELDER_TARGET_MM = 20.0
ELDER_FONT_SCALE = 1.5  # the issue: text at least 1.5x the standard mode


def target_px(mm: float, dpi: float) -> float:
    """A physical length on the touchscreen, in pixels."""
    return mm / 25.4 * dpi


def relative_luminance(rgba: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: tuple[float, ...], bg: tuple[float, ...]) -> float:
    light, dark = sorted((relative_luminance(fg), relative_luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
