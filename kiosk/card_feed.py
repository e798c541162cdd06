"""The cabinet's card reader on its own thread, feeding swipes to the touchscreen.

A reader that is missing, unplugged or not readable by the kiosk user is reported in the
log for the technician and tried again every few seconds; the kiosk keeps issuing tickets
by touch meanwhile. Only what `kiosk.devices` lets out (a token and a masked number, or a
SwipeError without card data) ever reaches this module.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from kiosk.devices.card_readers import SerialReader, Swipe, WedgeReader, open_reader
from lobby.card_key import KeyFileError, load_or_create_key
from lobby.device_settings import CardReaderSettings

log = logging.getLogger(__name__)

REOPEN_AFTER_S = 5.0


class CardFeed:
    def __init__(self, settings: CardReaderSettings, key_file: Path, on_swipe: Callable[[Swipe], None]):
        self.settings = settings
        self.key_file = key_file
        self.on_swipe = on_swipe  # called on this feed's thread: the app hands it to the UI thread
        self._stop = threading.Event()
        self._reader: WedgeReader | SerialReader | None = None

    def start(self) -> None:
        if self.settings.kind == "none":
            log.info("no card reader configured ([kiosk.card_reader] kind = \"none\"): touch only")
            return
        try:
            key = load_or_create_key(self.key_file)
        except KeyFileError as exc:
            log.error("card swipes are off: %s", exc)
            return
        threading.Thread(target=self._run, args=(key,), name="card-reader", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        reader, self._reader = self._reader, None
        if reader is not None:
            try:
                reader.close()  # unblocks the read loop
            except OSError:
                pass

    def _run(self, key: bytes) -> None:
        while not self._stop.is_set():
            try:
                reader = self._reader = open_reader(self.settings, key)
                log.info("card reader (%s) on %s is ready", self.settings.kind, self.settings.device)
                for swipe in reader.swipes():
                    if self._stop.is_set():
                        return
                    self.on_swipe(swipe)
            except Exception as exc:
                if self._stop.is_set():
                    return  # stop() closed the port under the read: the expected way out
                if isinstance(exc, OSError):
                    log.error(
                        "card reader (%s) on %s: %s; trying again in %.0f s (check the cable, or the lobby user's access to the device)",
                        self.settings.kind, self.settings.device, exc.strerror or exc, REOPEN_AFTER_S,
                    )
                else:
                    log.exception("card reader (%s) on %s failed; reopening it in %.0f s", self.settings.kind, self.settings.device, REOPEN_AFTER_S)
            self._stop.wait(REOPEN_AFTER_S)
