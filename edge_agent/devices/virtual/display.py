"""A virtual 2x20 customer display on a real pseudo-terminal, drawn as a PNG.

It interprets the Epson DM-D commands `counter_display` sends (ESC @, US 1, FF, US $ x y,
US X n, text in GB18030 with a Chinese character over two columns) into a 20x2 grid,
as the display's firmware would, and can be unplugged and plugged back like the printer.
"""

from __future__ import annotations

import codecs
import os
import select
import threading
import time
from pathlib import Path

from PIL import Image, ImageDraw

from edge_agent.devices.display.counter_display import COLUMNS
from edge_agent.devices.printer.ticket_layout import columns_of
from edge_agent.devices.printer.ticket_render import cjk_font
from edge_agent.devices.virtual.port import VirtualPort
from lobby.device_settings import CounterDisplaySettings

ROWS = 2
CELL_W, CELL_H = 22, 44  # drawing size of one column of the display


class VirtualCounterDisplay:
    def __init__(self, directory: Path, counter: str):
        self.directory = Path(directory)
        self.counter = counter
        self.link = self.directory / f"display-{counter}"
        self.port = VirtualPort(self.link)
        self.brightness = 4
        self._cells = [[" "] * COLUMNS for _ in range(ROWS)]  # a wide character, then "" for its second column
        self._row = self._col = 0
        self._buffer = bytearray()
        self._text = codecs.getincrementaldecoder("gb18030")("replace")  # keeps a character split between reads
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port.plug()
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"virtual-display-{self.counter}")
        self._thread.start()
        return self.link

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        self.port.unplug()

    def unplug(self) -> None:
        self.port.unplug()
        with self._changed:  # a display without power forgets what it showed
            self._reset()
            self._buffer.clear()
            self._changed.notify_all()

    def plug(self) -> None:
        self.port.plug()

    @property
    def lines(self) -> list[str]:
        with self._changed:
            return ["".join(row) for row in self._cells]

    def wait_for(self, predicate, timeout: float = 3) -> bool:
        """Wait until `predicate(lines)` holds for what the display shows."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(["".join(row) for row in self._cells]), timeout)

    # ---- the port --------------------------------------------------------------------------

    def _serve(self) -> None:
        while not self._stop.is_set():
            master = self.port.master
            if master is None:
                time.sleep(0.02)
                continue
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
                data = os.read(master, 1024) if ready else b""
            except (OSError, ValueError):
                time.sleep(0.02)
                continue
            if data:
                with self._changed:
                    self._buffer += data
                    self._interpret()
                    self._changed.notify_all()

    def _reset(self) -> None:
        self._cells = [[" "] * COLUMNS for _ in range(ROWS)]
        self._row = self._col = 0
        self.brightness = 4
        self._text.reset()

    def _interpret(self) -> None:
        b = self._buffer
        while b:
            first = b[0]
            if first == 0x1B:  # ESC @
                if len(b) < 2:
                    return
                if b[1] == 0x40:
                    self._reset()
                del b[:2]
            elif first == 0x0C:  # FF / CLR
                self._cells = [[" "] * COLUMNS for _ in range(ROWS)]
                self._row = self._col = 0
                del b[:1]
            elif first == 0x1F:  # US ...
                if len(b) < 2:
                    return
                if b[1] == 0x24:  # US $ x y
                    if len(b) < 4:
                        return
                    self._col, self._row = min(max(b[2], 1), COLUMNS) - 1, min(max(b[3], 1), ROWS) - 1
                    del b[:4]
                elif b[1] == 0x58:  # US X n
                    if len(b) < 3:
                        return
                    self.brightness = b[2]
                    del b[:3]
                else:  # US 1 / US 2 / US 3: display modes; we only do overwrite
                    del b[:2]
            elif first < 0x20:
                del b[:1]
            else:
                end = 1
                while end < len(b) and b[end] >= 0x20:
                    end += 1
                for char in self._text.decode(bytes(b[:end])):
                    self._put(char)
                del b[:end]

    def _put(self, char: str) -> None:
        width = columns_of(char)
        if self._col + width > COLUMNS:
            return  # overwrite mode: nothing is drawn past the end of the line
        self._cells[self._row][self._col] = char
        if width == 2:
            self._cells[self._row][self._col + 1] = ""
        self._col += width

    # ---- drawing ---------------------------------------------------------------------------

    def render(self, path: Path) -> Path:
        """The display as a customer sees it: green vacuum-fluorescent dots on black glass."""
        image = Image.new("RGB", (COLUMNS * CELL_W + 48, ROWS * CELL_H + 40), (24, 26, 28))
        draw = ImageDraw.Draw(image)
        draw.rectangle((12, 12, image.width - 13, image.height - 13), fill=(6, 14, 12))
        glow = {4: (90, 255, 190), 3: (70, 215, 160), 2: (50, 170, 125), 1: (35, 120, 90)}.get(self.brightness, (90, 255, 190))
        font = cjk_font(34)
        with self._changed:
            rows = [list(row) for row in self._cells]
        for r, row in enumerate(rows):
            for c, char in enumerate(row):
                if char.strip():
                    x = 24 + c * CELL_W + (CELL_W * columns_of(char)) // 2
                    draw.text((x, 20 + r * CELL_H + CELL_H // 2), char, font=font, fill=glow, anchor="mm")
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
        return path


def start_virtual_display(settings: CounterDisplaySettings, virtual_dir: Path) -> tuple[VirtualCounterDisplay, Path]:
    """For a display with `port = "virtual"`: start one in `virtual_dir`; open the returned path."""
    display = VirtualCounterDisplay(virtual_dir, settings.counter)
    return display, display.start()
