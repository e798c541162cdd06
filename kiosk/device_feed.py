"""A cabinet device (card reader, barcode scanner) read on its own thread, forever.

A device that is missing, unplugged or not readable by the kiosk user is reported in the
log for the technician, in one sentence, and tried again every few seconds; the kiosk keeps
working by touch meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

REOPEN_AFTER_S = 5.0


class Closeable(Protocol):
    def close(self) -> None: ...


D = TypeVar("D", bound=Closeable)
T = TypeVar("T")


class DeviceFeed(Generic[D, T]):
    """`open_device()` then `read(device)` until it ends or fails; each item to `on_item`."""

    def __init__(self, what: str, where: str, open_device: Callable[[], D], read: Callable[[D], Iterator[T]],
                 on_item: Callable[[T], None]):
        self.what, self.where = what, where
        self.open_device, self.read, self.on_item = open_device, read, on_item
        self._stop = threading.Event()
        self.ready = threading.Event()  # the device is open: what it reads from now on arrives
        self._device: D | None = None

    def start(self) -> None:
        threading.Thread(target=self._run, name=self.what, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        device, self._device = self._device, None
        if device is not None:
            try:
                device.close()  # unblocks the read loop
            except OSError:
                pass

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                device = self._device = self.open_device()
                log.info("%s on %s is ready", self.what, self.where)
                self.ready.set()
                for item in self.read(device):
                    if self._stop.is_set():
                        return
                    self.on_item(item)
            except Exception as exc:
                self.ready.clear()
                if self._stop.is_set():
                    return  # stop() closed the port under the read: the expected way out
                if isinstance(exc, OSError):
                    log.error(
                        "%s on %s: %s; trying again in %.0f s (check the cable, or the lobby user's access to the device)",
                        self.what, self.where, exc.strerror or exc, REOPEN_AFTER_S,
                    )
                else:
                    log.exception("%s on %s failed; reopening it in %.0f s", self.what, self.where, REOPEN_AFTER_S)
            self._stop.wait(REOPEN_AFTER_S)
