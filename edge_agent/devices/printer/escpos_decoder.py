"""Reading ESC/POS back: the commands a ticket printer receives, as printed elements.

Used by the virtual printer (which must understand what it is sent, like firmware) and by
the tests that assert a ticket's content rather than only its bytes. Incremental: `feed()`
accepts any chunking of the stream and keeps an incomplete command for the next call.
Like a printer, it reads bytes above 0x7F as GB18030 only in Chinese mode (FS &), and as
code page 437 otherwise — a ticket that forgets FS & reads back as gibberish here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edge_agent.devices.printer.status import CLEAR_BUFFERS


@dataclass(frozen=True)
class TextLine:
    text: str
    width: int  # size multipliers from GS !
    height: int
    bold: bool
    align: str  # left | center | right


@dataclass(frozen=True)
class QrCode:
    data: str
    module_size: int
    error_correction: str  # L | M | Q | H


@dataclass(frozen=True)
class RasterImage:
    """A GS v 0 bit image: rows of `width_bytes` bytes, most significant bit leftmost, 1 = black."""

    width_bytes: int
    height: int
    data: bytes
    align: str

    def pixel(self, x: int, y: int) -> bool:
        return bool(self.data[y * self.width_bytes + x // 8] & (0x80 >> (x % 8)))


@dataclass(frozen=True)
class NvLogo:
    key: str  # two characters (GS ( L) or a number (FS p)


@dataclass(frozen=True)
class Feed:
    lines: int


@dataclass(frozen=True)
class Cut:
    partial: bool


@dataclass(frozen=True)
class StatusRequest:
    n: int


@dataclass(frozen=True)
class ClearBuffers:
    """DLE DC4 fn=8: drop everything received and not yet printed (a real-time command)."""


@dataclass(frozen=True)
class Unknown:
    data: bytes


Element = TextLine | QrCode | RasterImage | NvLogo | Feed | Cut | StatusRequest | ClearBuffers | Unknown
PRINTED = (TextLine, QrCode, RasterImage, NvLogo, Feed)

_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}
# ESC commands with one parameter byte whose effect on a ticket we do not draw.
_ESC_ONE_PARAM_IGNORED = {0x2D, 0x47, 0x4D, 0x74, 0x33, 0x20, 0x7B, 0x56, 0x52, 0x55}
_GS_ONE_PARAM_IGNORED = {0x42, 0x62, 0x48, 0x68, 0x77, 0x66}
_GS_TWO_PARAMS_IGNORED = {0x4C, 0x57}  # GS L / GS W: left margin, print area width
_TEXT_END = frozenset(range(0x20)) - {0x0D}


@dataclass
class _Style:
    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "left"
    chinese: bool = False


@dataclass
class EscPosDecoder:
    style: _Style = field(default_factory=_Style)
    _buffer: bytearray = field(default_factory=bytearray)
    _text: bytearray = field(default_factory=bytearray)
    _qr_data: bytes = b""
    _qr_size: int = 3
    _qr_ec: str = "L"

    def feed(self, data: bytes) -> list[Element]:
        self._buffer += data
        out: list[Element] = []
        while self._buffer:
            used = self._step(out)
            if used == 0:
                break  # an incomplete command: wait for more bytes
            del self._buffer[:used]
        return out

    def _flush_text(self, out: list[Element]) -> None:
        if self._text:
            self._line(out)

    def _line(self, out: list[Element]) -> None:
        encoding = "gb18030" if self.style.chinese else "cp437"
        text = bytes(self._text).decode(encoding, errors="replace")
        out.append(TextLine(text, self.style.width, self.style.height, self.style.bold, self.style.align))
        self._text.clear()

    def _step(self, out: list[Element]) -> int:
        b = self._buffer
        first = b[0]
        if first == 0x0A:  # LF: print the line
            self._line(out)
            return 1
        if first == 0x10:
            return self._dle(out)
        if first == 0x1B:
            return self._esc(out)
        if first == 0x1C:
            return self._fs(out)
        if first == 0x1D:
            return self._gs(out)
        if first in _TEXT_END:
            out.append(Unknown(bytes(b[:1])))
            return 1
        # Text up to the next control byte. No byte of a GB18030 character is below 0x30
        # after its first, so stopping at control bytes never splits a character.
        end = 1
        while end < len(b) and b[end] not in _TEXT_END:
            end += 1
        self._text += bytes(ch for ch in b[:end] if ch != 0x0D)
        return end

    def _dle(self, out: list[Element]) -> int:
        b = self._buffer
        if len(b) < 3:
            return 0
        if b[1] == 0x04:  # DLE EOT n: real-time status
            out.append(StatusRequest(b[2]))
            return 3
        if b[1] == 0x14 and b[2] == 0x08:  # DLE DC4 fn=8 d1..d7 = 1 3 20 1 6 2 8: clear buffers
            if len(b) < len(CLEAR_BUFFERS):
                return 0
            if bytes(b[: len(CLEAR_BUFFERS)]) == CLEAR_BUFFERS:
                out.append(ClearBuffers())
                return len(CLEAR_BUFFERS)
        out.append(Unknown(bytes(b[:2])))
        return 2

    def _esc(self, out: list[Element]) -> int:
        b = self._buffer
        if len(b) < 2:
            return 0
        cmd = b[1]
        if cmd == 0x40:  # ESC @: initialise (Chinese mode back to its power-on default: off)
            self.style = _Style()
            self._text.clear()
            return 2
        if cmd == 0x32:  # ESC 2: default line spacing
            return 2
        if len(b) < 3:
            return 0
        n = b[2]
        if cmd == 0x61:
            self.style.align = _ALIGN.get(n, "left")
        elif cmd == 0x45:
            self.style.bold = bool(n & 1)
        elif cmd == 0x21:  # ESC ! n: print mode
            self.style.bold = bool(n & 0x08)
            self.style.height = 2 if n & 0x10 else 1
            self.style.width = 2 if n & 0x20 else 1
        elif cmd == 0x64:  # ESC d n: print and feed n lines
            self._flush_text(out)
            out.append(Feed(n))
        elif cmd == 0x4A:  # ESC J n: print and feed n dots
            self._flush_text(out)
            out.append(Feed(max(1, n // 24)))
        elif cmd not in _ESC_ONE_PARAM_IGNORED:
            out.append(Unknown(bytes(b[:3])))
        return 3

    def _fs(self, out: list[Element]) -> int:
        b = self._buffer
        if len(b) < 2:
            return 0
        cmd = b[1]
        if cmd == 0x26:  # FS &: Chinese (double-byte) mode on
            self.style.chinese = True
            return 2
        if cmd == 0x2E:  # FS .: Chinese mode off
            self.style.chinese = False
            return 2
        if cmd == 0x70:  # FS p n m: print NV bit image n
            if len(b) < 4:
                return 0
            self._flush_text(out)
            out.append(NvLogo(str(b[2])))
            return 4
        if cmd in (0x21, 0x2D, 0x43, 0x57):  # FS ! / FS - / FS C / FS W n: Chinese character modes
            return 3 if len(b) >= 3 else 0
        out.append(Unknown(bytes(b[:2])))
        return 2

    def _gs(self, out: list[Element]) -> int:
        b = self._buffer
        if len(b) < 3:
            return 0
        cmd = b[1]
        if cmd == 0x21:  # GS ! n: character size
            self.style.width = (b[2] >> 4) + 1
            self.style.height = (b[2] & 0x0F) + 1
            return 3
        if cmd == 0x56:  # GS V m [n]: cut
            length = 4 if b[2] in (65, 66) else 3
            if len(b) < length:
                return 0
            self._flush_text(out)
            out.append(Cut(partial=b[2] in (1, 49, 66)))
            return length
        if cmd == 0x28:  # GS ( X pL pH ...: functions with a length
            if len(b) < 5:
                return 0
            size = b[3] + 256 * b[4]
            if len(b) < 5 + size:
                return 0
            self._function(b[2], bytes(b[5 : 5 + size]), out)
            return 5 + size
        if cmd == 0x76 and b[2] == 0x30:  # GS v 0 m xL xH yL yH d...: raster bit image
            if len(b) < 8:
                return 0
            width_bytes, height = b[4] + 256 * b[5], b[6] + 256 * b[7]
            if len(b) < 8 + width_bytes * height:
                return 0
            self._flush_text(out)
            out.append(RasterImage(width_bytes, height, bytes(b[8 : 8 + width_bytes * height]), self.style.align))
            return 8 + width_bytes * height
        if cmd in _GS_TWO_PARAMS_IGNORED:
            return 4 if len(b) >= 4 else 0
        if cmd not in _GS_ONE_PARAM_IGNORED:
            out.append(Unknown(bytes(b[:3])))
        return 3

    def _function(self, kind: int, body: bytes, out: list[Element]) -> None:
        if kind == 0x6B and len(body) >= 2 and body[0] == 0x31:  # GS ( k, cn = 49: QR code
            fn = body[1]
            if fn == 0x43 and len(body) >= 3:  # module size
                self._qr_size = body[2]
            elif fn == 0x45 and len(body) >= 3:  # error correction level
                self._qr_ec = _EC.get(body[2], "?")
            elif fn == 0x50:  # store the data (m = '0' comes first)
                self._qr_data = body[3:]
            elif fn == 0x51:  # print the stored symbol
                self._flush_text(out)
                out.append(QrCode(self._qr_data.decode("utf-8", errors="replace"), self._qr_size, self._qr_ec))
        elif kind == 0x4C and len(body) >= 4 and body[1] == 0x45:  # GS ( L fn 69: print NV graphics by key
            self._flush_text(out)
            out.append(NvLogo(body[2:4].decode("ascii", errors="replace")))
