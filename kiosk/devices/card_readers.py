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


# ---- keyboard wedge ---------------------------------------------------------------------

# evdev key codes (linux/input-event-codes.h) -> (plain, shifted) on a US layout.
_US = {
    2: ("1", "!"), 3: ("2", "@"), 4: ("3", "#"), 5: ("4", "$"), 6: ("5", "%"), 7: ("6", "^"), 8: ("7", "&"),
    9: ("8", "*"), 10: ("9", "("), 11: ("0", ")"), 12: ("-", "_"), 13: ("=", "+"), 39: (";", ":"), 40: ("'", '"'),
    51: (",", "<"), 52: (".", ">"), 53: ("/", "?"), 57: (" ", " "), 26: ("[", "{"), 27: ("]", "}"), 43: ("\\", "|"),
    41: ("`", "~"),
}
_LETTERS = "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"
for _row, _start in zip(_LETTERS, (16, 30, 44), strict=False):
    for _offset, _letter in enumerate(_row):
        _US[_start + _offset] = (_letter.lower(), _letter)
KEY_ENTER, KEY_KPENTER, KEY_LEFTSHIFT, KEY_RIGHTSHIFT = 28, 96, 42, 54


class KeystrokeDecoder:
    """Key events -> swipe lines. Pure: the clock is passed in with each event."""

    def __init__(self, timeout_ms: int = 300):
        self.timeout_s = timeout_ms / 1000
        self._chars: list[str] = []
        self._shift = False
        self._last = 0.0

    def feed(self, code: int, value: int, at: float) -> str | None:
        """value: 1 down, 0 up, 2 autorepeat. Returns a finished line on Enter."""
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            self._shift = value != 0
            return None
        if value != 1:
            return None
        if self._chars and at - self._last > self.timeout_s:
            self._chars.clear()  # the rest of a partial swipe, or someone typing: never mix them
        self._last = at
        if code in (KEY_ENTER, KEY_KPENTER):
            line, self._chars = "".join(self._chars), []
            return line or None
        pair = _US.get(code)
        if pair is not None:
            self._chars.append(pair[1] if self._shift else pair[0])
        return None


class WedgeReader:
    def __init__(self, settings: CardReaderSettings, key: bytes):
        import evdev  # only on the kiosk box; importing it elsewhere needs no input devices

        self.device = evdev.InputDevice(settings.device)
        self.key = key
        self.decoder = KeystrokeDecoder(settings.swipe_timeout_ms)
        self.device.grab()  # swipes must not type into the touchscreen app

    def swipes(self) -> Iterator[Swipe]:
        for event in self.device.read_loop():
            if event.type == 1:  # EV_KEY
                line = self.decoder.feed(event.code, event.value, event.timestamp())
                if line is not None:
                    yield identify(line, self.key)

    def close(self) -> None:
        self.device.ungrab()
        self.device.close()


class SerialReader:
    def __init__(self, settings: CardReaderSettings, key: bytes):
        import serial

        self.port = serial.Serial(settings.device, settings.baudrate, timeout=settings.swipe_timeout_ms / 1000, write_timeout=1)
        self.key = key

    def swipes(self) -> Iterator[Swipe]:
        pending = b""
        while True:
            chunk = self.port.read(256)
            if not chunk:
                pending = b""  # silence mid-swipe: a partial swipe is dropped
                continue
            pending += chunk
            while b"\n" in pending or b"\r" in pending:
                cut = min(i for i in (pending.find(b"\n"), pending.find(b"\r")) if i >= 0)
                line, pending = pending[:cut], pending[cut + 1 :]
                if line.strip():
                    yield identify(line.decode("ascii", errors="replace"), self.key)

    def close(self) -> None:
        self.port.close()


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

