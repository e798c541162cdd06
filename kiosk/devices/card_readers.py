"""Card readers: a swipe in, a token and a masked number out — and nothing else leaves.

`identify()` is the only way out of this package: it parses the swipe and returns the
HMAC token and the masked PAN (first 6, last 4). The raw line and the PAN live only inside
that call. Readers:
- `WedgeReader`: a USB keyboard-wedge reader through evdev, grabbed so swipes do not type
  into the screen; keystrokes become characters with the US layout, a swipe is a burst
  ending in Enter, and a partial swipe times out.
- `SerialReader`: a serial reader (pyserial, timeouts set), one swipe per line.
- `LineReader`: raw swipe lines from a stream (standard input for `kiosk card-test --stdin`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TextIO

from kiosk.devices.lines import SerialLines, WedgeLines
from kiosk.devices.tracks import SwipeError, parse_swipe
from lobby.card_key import card_token, mask_pan
from lobby.contract import CardIdentity
from lobby.device_settings import CardReaderSettings

log = logging.getLogger(__name__)

Swipe = CardIdentity | SwipeError


def identify(line: str, key: bytes) -> Swipe:
    """Every swipe ends here in a card identity or a SwipeError with a gentle sentence."""
    try:
        card = parse_swipe(line)
        return CardIdentity(token=card_token(key, card.pan), masked_pan=mask_pan(card.pan))
    except SwipeError as error:
        return error
    except Exception as exc:  # a parser gap must not end the reader: never say what was swiped
        log.error("a swipe could not be read (%s); the customer is asked to swipe again", type(exc).__name__)
        return SwipeError("unreadable", f"the swipe could not be decoded ({type(exc).__name__})")


class WedgeReader:
    def __init__(self, settings: CardReaderSettings, key: bytes):
        self.source = WedgeLines(settings.device, settings.swipe_timeout_ms)
        self.key = key

    def swipes(self) -> Iterator[Swipe]:
        for line in self.source.lines():
            yield identify(line, self.key)

    def close(self) -> None:
        self.source.close()


class SerialReader:
    def __init__(self, settings: CardReaderSettings, key: bytes):
        self.source = SerialLines(settings.device, settings.baudrate, settings.swipe_timeout_ms)
        self.key = key

    def swipes(self) -> Iterator[Swipe]:
        for line in self.source.lines():
            yield identify(line, self.key)

    def close(self) -> None:
        self.source.close()


class LineReader:
    def __init__(self, stream: TextIO, key: bytes):
        self.stream = stream
        self.key = key

    def swipes(self) -> Iterator[Swipe]:
        for line in self.stream:
            if line.strip():
                yield identify(line, self.key)

    def close(self) -> None:
        pass


def open_reader(settings: CardReaderSettings, key: bytes) -> WedgeReader | SerialReader:
    if settings.kind == "wedge":
        return WedgeReader(settings, key)
    if settings.kind == "serial":
        return SerialReader(settings, key)
    raise ValueError("no card reader configured ([kiosk.card_reader] kind = \"none\")")

