"""The cabinet's barcode scanner on its own thread, feeding booking passes to the touchscreen."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.device_feed import DeviceFeed
from kiosk.devices.lines import LineSource
from kiosk.devices.scanners import open_scanner, scans
from lobby.device_settings import ScannerSettings

log = logging.getLogger(__name__)


class ScanFeed:
    def __init__(self, settings: ScannerSettings, on_scan: Callable[[str], None]):
        self.settings = settings
        self._feed: DeviceFeed[LineSource, str] | None = None
        if settings.kind != "none":
            self._feed = DeviceFeed(f"barcode scanner ({settings.kind})", settings.device, lambda: open_scanner(settings), scans, on_scan)

    def start(self) -> None:
        if self._feed is None:
            log.info("no barcode scanner configured ([kiosk.scanner] kind = \"none\"): booking codes are typed")
            return
        self._feed.start()

    def wait_ready(self, timeout: float) -> bool:
        """Whether the scanner is open within `timeout` (a code shown before that is lost, as at a real one)."""
        return self._feed is not None and self._feed.ready.wait(timeout)

    def stop(self) -> None:
        if self._feed is not None:
            self._feed.stop()
