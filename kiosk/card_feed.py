"""The cabinet's card reader on its own thread, feeding swipes to the touchscreen.

Only what `kiosk.devices` lets out (a token and a masked number, or a SwipeError without
card data) ever reaches this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from kiosk.device_feed import DeviceFeed
from kiosk.devices.card_readers import SerialReader, Swipe, WedgeReader, open_reader
from lobby.card_key import KeyFileError, load_or_create_key
from lobby.device_settings import CardReaderSettings

log = logging.getLogger(__name__)


class CardFeed:
    def __init__(self, settings: CardReaderSettings, key_file: Path, on_swipe: Callable[[Swipe], None]):
        self.settings = settings
        self.key_file = key_file
        self.on_swipe = on_swipe  # called on this feed's thread: the app hands it to the UI thread
        self._feed: DeviceFeed[WedgeReader | SerialReader, Swipe] | None = None

    def start(self) -> None:
        if self.settings.kind == "none":
            log.info("no card reader configured ([kiosk.card_reader] kind = \"none\"): touch only")
            return
        try:
            key = load_or_create_key(self.key_file)
        except KeyFileError as exc:
            log.error("card swipes are off: %s", exc)
            return

        def read(reader: WedgeReader | SerialReader) -> Iterator[Swipe]:
            return reader.swipes()

        self._feed = DeviceFeed(f"card reader ({self.settings.kind})", self.settings.device,
                                lambda: open_reader(self.settings, key), read, self.on_swipe)
        self._feed.start()

    def stop(self) -> None:
        if self._feed is not None:
            self._feed.stop()
