"""The 2x20 customer display above a counter, and its virtual twin on a pseudo-terminal.

Command set: Epson ESC/POS customer display (DM-D series) in its standard mode:
  ESC @          initialise          FF (0x0C)      clear the screen
  US $ x y       move the cursor to column x (1-20), line y (1-2)
  US X n         brightness 1-4      text           written at the cursor
Chinese-capable displays take GB18030, where a Chinese character fills two columns.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
import tty
import unicodedata
from pathlib import Path

from PIL import Image, ImageDraw

from edge_agent.devices.serial_link import LinkDown, SerialLink
from edge_agent.devices.settings import CounterDisplaySettings
from edge_agent.devices.ticket_render import _font

log = logging.getLogger(__name__)

COLUMNS = 20
INIT, CLEAR = b"\x1b\x40", b"\x0c"


def _columns(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def fit(text: str, charset: str) -> str:
    """The text cut to 20 columns; Chinese dropped on ASCII-only displays."""
    if charset == "ascii":
        text = "".join(c for c in text if ord(c) < 128)
    out, used = "", 0
    for char in text:
        if used + _columns(char) > COLUMNS:
            break
        out, used = out + char, used + _columns(char)
    return out + " " * (COLUMNS - used)


def frame(line1: str, line2: str, charset: str = "gb18030") -> bytes:
    """The bytes that show two lines (pure; tested byte for byte)."""
    encoding = "gb18030" if charset == "gb18030" else "ascii"
    return (
        CLEAR
        + b"\x1f\x24\x01\x01" + fit(line1, charset).encode(encoding)
        + b"\x1f\x24\x01\x02" + fit(line2, charset).encode(encoding)
    )


def serving_lines(label: str) -> tuple[str, str]:
    return f"请 {label} 号", f"Now serving {label}"


class CounterDisplay:
    kind = "counter_display"

    def __init__(self, settings: CounterDisplaySettings):
        self.settings = settings
        self.id = f"display-{settings.counter}"
        self.link = SerialLink(f"display {settings.counter}", settings.port, settings.baudrate, 0.2, 1.0)

    def start(self) -> None:
        self.link.start()
        self._send(INIT + b"\x1f\x58" + bytes([self.settings.brightness]))

    def stop(self) -> None:
        self.link.close()

    def show(self, line1: str, line2: str) -> bool:
        return self._send(frame(line1, line2, self.settings.charset))

    def clear(self) -> bool:
        return self._send(CLEAR)

    def brightness(self, level: int) -> bool:
        return self._send(b"\x1f\x58" + bytes([max(1, min(4, level))]))

    def _send(self, data: bytes) -> bool:
        try:
            self.link.write(data)
            return True
        except (LinkDown, Exception) as exc:  # a display must never stop a call
            log.warning("counter display %s could not show its text: %s", self.settings.counter, exc)
            return False


class VirtualCounterDisplay:
    """A 2x20 display on a pty that keeps its two lines and can draw them as a PNG."""

    def __init__(self, directory: Path, counter: str):
        self.directory = Path(directory)
        self.counter = counter
        self.link = self.directory / f"display-{counter}"
        self.lines = [" " * COLUMNS, " " * COLUMNS]
        self.brightness = 4
        self._buffer = bytearray()
        self._stop = threading.Event()
        self._master, slave = os.openpty()
        tty.setraw(slave)
        self._slave = slave
        self.directory.mkdir(parents=True, exist_ok=True)
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(os.ttyname(slave))
        self.changed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"virtual-display-{counter}")
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if ready:
                try:
                    self._buffer += os.read(self._master, 1024)
                except OSError:
                    time.sleep(0.05)
                    continue
                self._interpret()

    def _interpret(self) -> None:
        b, cursor_line, text = self._buffer, None, None
        while b:
            if b[:2] == INIT:
                del b[:2]
            elif b[0] == 0x0C:
                self.lines = [" " * COLUMNS, " " * COLUMNS]
                del b[:1]
            elif b[:2] == b"\x1f\x58" and len(b) >= 3:
                self.brightness = b[2]
                del b[:3]
            elif b[:2] == b"\x1f\x24" and len(b) >= 4:
                cursor_line = b[3] - 1
                del b[:4]
                end = next((i for i, ch in enumerate(b) if ch in (0x1F, 0x0C, 0x1B)), len(b))
                text = bytes(b[:end]).decode("gb18030", errors="replace")
                if 0 <= cursor_line < 2:
                    self.lines[cursor_line] = text
                del b[:end]
            else:
                if len(b) < 4 and b[0] in (0x1B, 0x1F):
                    break  # wait for the rest of the command
                del b[:1]
        self.changed.set()

    def render(self, path: Path) -> Path:
        font = _font(30)
        image = Image.new("RGB", (20 * 18 + 40, 2 * 40 + 30), (10, 25, 20))
        draw = ImageDraw.Draw(image)
        glow = (60, 255, 170) if self.brightness >= 3 else (40, 150, 100)
        for row, text in enumerate(self.lines):
            draw.text((20, 15 + row * 40), text, font=font, fill=glow)
        image.save(path)
        return path

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1)
        self.link.unlink(missing_ok=True)
        os.close(self._master)
        os.close(self._slave)
