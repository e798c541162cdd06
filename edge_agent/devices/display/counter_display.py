"""The 2x20 customer display above a counter.

Command set: Epson's ESC/POS customer display commands (DM-D series, standard mode):
  ESC @        initialise                 US 1 (1F 01)       overwrite mode (no scrolling)
  FF (0C)      clear the screen           US $ x y           cursor to column x (1-20), line y (1-2)
  US X n       brightness, n = 1-4        text               written at the cursor
Lines are centred in 20 columns. Chinese-capable displays (`charset = "gb18030"`) get
GB18030, where a Chinese character fills two columns; on ASCII-only displays only the Latin
part of a line is shown ("请 A023 号" becomes "A023"), never bytes the display cannot draw.

`show()`, `clear()` and `brightness()` never block the caller: they record what the screen
should show and the display's own thread writes it. The latest text wins (a display that
was stuck does not replay a backlog) and it is written again whenever the port reopens,
so a display that was unplugged or switched off shows the current ticket when it is back.
"""

from __future__ import annotations

import logging
import threading

from edge_agent.devices.printer.ticket_layout import columns_of
from edge_agent.devices.serial.transport import DeviceListener, PortUnavailable, SerialTransport, WriteTimeout
from lobby.device_settings import CounterDisplaySettings

log = logging.getLogger(__name__)

COLUMNS = 20
INIT = b"\x1b\x40"
OVERWRITE_MODE = b"\x1f\x01"
CLEAR = b"\x0c"


def cursor(column: int, line: int) -> bytes:
    return b"\x1f\x24" + bytes([column, line])


def brightness_command(level: int) -> bytes:
    return b"\x1f\x58" + bytes([level])


def fit(text: str, charset: str) -> str:
    """The text cut to 20 columns and centred; on ASCII displays, its Latin part only."""
    if charset == "ascii":
        text = " ".join("".join(c for c in text if 0x20 <= ord(c) < 0x7F).split())
    out = ""
    for char in text.strip():
        if columns_of(out + char) > COLUMNS:
            break
        out += char
    left = (COLUMNS - columns_of(out)) // 2
    return " " * left + out + " " * (COLUMNS - left - columns_of(out))


def frame(line1: str, line2: str, charset: str = "gb18030") -> bytes:
    """The bytes that put two lines on the screen (pure; tested byte for byte)."""
    encoding = "gb18030" if charset == "gb18030" else "ascii"
    return cursor(1, 1) + fit(line1, charset).encode(encoding) + cursor(1, 2) + fit(line2, charset).encode(encoding)


def serving_lines(label: str) -> tuple[str, str]:
    """What a counter's display shows while it serves a ticket."""
    return f"请 {label} 号", f"Now serving {label}"


def rating_lines() -> tuple[str, str]:
    """What it shows while the counter's rating screen asks the customer (服务评价)."""
    return "请对本次服务评价", "Please rate us"


class CounterDisplay:
    kind = "counter_display"

    def __init__(self, settings: CounterDisplaySettings, port: str | None = None):
        """`port` overrides settings.port: the path a virtual display gave, for instance."""
        self.settings = settings
        self.id = settings.id
        self.transport = SerialTransport(
            self.id, self.kind, f"The display of counter {settings.counter}", port or settings.port, settings.baudrate,
            read_timeout_s=0.2, write_timeout_s=1.0, on_open=self._restore,
        )
        self._screen = CLEAR  # what the display should show
        self._level = settings.brightness
        self._changed = threading.Condition()
        self._wanted = 0  # changes asked for
        self._done = 0  # changes the worker has dealt with
        self._last_ok = False
        self._stopping = False
        self._worker: threading.Thread | None = None

    def add_listener(self, listener: DeviceListener) -> None:
        self.transport.add_listener(listener)

    def state_payload(self) -> dict:
        return self.transport.payload()

    def start(self) -> None:
        self.transport.start()
        self._stopping = False
        self._worker = threading.Thread(target=self._work, name=f"{self.id}-writer", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._worker is not None:
            self._worker.join(5)
            self._worker = None
        self.transport.stop()

    # ---- what to show ----------------------------------------------------------------------

    def show(self, line1: str, line2: str) -> None:
        self._want(screen=frame(line1, line2, self.settings.charset))

    def clear(self) -> None:
        self._want(screen=CLEAR)

    def brightness(self, level: int) -> None:
        if not 1 <= level <= 4:
            raise ValueError(f"brightness is 1 (dim) to 4 (brightest), not {level}")
        self._want(level=level)

    def wait_idle(self, timeout_s: float = 3.0) -> bool:
        """Wait until what was asked is written; True if the last write reached the display."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._done >= self._wanted, timeout_s):
                return False
            return self._last_ok

    def _want(self, *, screen: bytes | None = None, level: int | None = None) -> None:
        with self._changed:
            if screen is not None:
                self._screen = screen
            if level is not None:
                self._level = level
            self._wanted += 1
            self._changed.notify_all()

    # ---- writing ---------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._stopping or self._done < self._wanted)
                if self._stopping:
                    return
                wanted, data = self._wanted, brightness_command(self._level) + self._screen
            ok = self._write(data)
            with self._changed:
                self._done, self._last_ok = wanted, ok
                self._changed.notify_all()

    def _write(self, data: bytes) -> bool:
        try:
            self.transport.write(data)
        except (WriteTimeout, PortUnavailable) as exc:
            # The transport reports it and reopens the port; the text is written again then.
            log.debug("%s: not written: %s", self.id, exc)
            return False
        self.transport.report("ok", f"{self.transport.name} is working.")
        return True

    def _restore(self) -> None:
        """After each (re)open: initialise the display and put back what it should show."""
        with self._changed:
            data = INIT + OVERWRITE_MODE + brightness_command(self._level) + self._screen
        self._write(data)
