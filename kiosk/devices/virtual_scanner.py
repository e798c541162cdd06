"""A virtual 2D barcode scanner for tests and the demo: a serial line on a pseudo-terminal.

The kiosk opens its device (`[kiosk.scanner] kind = "serial"`, `device = <the pty>`) exactly
as it would a real scanner's /dev/ttyACM0; `show(text)` is a customer holding a phone with
that code to the scanner window: the scanner sends what it read and a carriage return.
"""

from __future__ import annotations

import os

from lobby.config import BranchConfig
from lobby.device_settings import ScannerSettings


class VirtualScanner:
    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.device = os.ttyname(self.slave)

    def show(self, code: str) -> None:
        os.write(self.master, code.encode("utf-8") + b"\r")

    def settings(self) -> ScannerSettings:
        return ScannerSettings(kind="serial", device=self.device)

    def fitted_to(self, config: BranchConfig) -> BranchConfig:
        """`config` with this scanner in the kiosk's cabinet."""
        return config.model_copy(update={"kiosk": config.kiosk.model_copy(update={"scanner": self.settings()})})

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)
