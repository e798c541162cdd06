"""The 2D barcode scanner in the kiosk cabinet: it reads a booking pass off a customer's phone.

A scanner sends what it read as one line, like a card reader: through a USB keyboard wedge
or a serial port (kiosk/devices/lines.py). A pass is a link of a few hundred characters;
anything longer, or not printable, is not a pass and is dropped here with a sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from kiosk.devices.lines import LineSource, SerialLines, WedgeLines
from lobby.device_settings import ScannerSettings

log = logging.getLogger(__name__)

MAX_SCAN_CHARS = 700


def open_scanner(settings: ScannerSettings) -> LineSource:
    if settings.kind == "wedge":
        return WedgeLines(settings.device, settings.scan_timeout_ms)
    if settings.kind == "serial":
        return SerialLines(settings.device, settings.baudrate, settings.scan_timeout_ms)
    raise ValueError("no barcode scanner configured ([kiosk.scanner] kind = \"none\")")


def scans(source: LineSource) -> Iterator[str]:
    """What the scanner read, one code at a time."""
    for line in source.lines():
        code = line.strip()
        if len(code) > MAX_SCAN_CHARS or not code.isprintable():
            log.info("the scanner read something that is not a booking pass (%d characters); ignored", len(code))
            continue
        yield code
