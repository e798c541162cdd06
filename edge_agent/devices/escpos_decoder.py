"""Reading ESC/POS back: the subset a ticket printer receives from us, as printed elements.

Used by the virtual printer (which must understand what it is sent, like firmware) and by
the tests that assert a ticket's content rather than only its bytes. Incremental: `feed()`
accepts any chunking of the stream and keeps an incomplete command for the next call.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class NvLogo:
    key: str


@dataclass(frozen=True)
class Feed:
    lines: int


@dataclass(frozen=True)
class Cut:
    pass


@dataclass(frozen=True)
class StatusRequest:
    n: int


@dataclass(frozen=True)
class Unknown:
    data: bytes


Element = TextLine | QrCode | NvLogo | Feed | Cut | StatusRequest | Unknown

_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


@dataclass
class _Style:
    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "left"


@dataclass
class EscPosDecoder:
    style: _Style = field(default_factory=_Style)
    _buffer: bytearray = field(default_factory=bytearray)
    _text: bytearray = field(default_factory=bytearray)
    _qr_data: bytes = b""
    _qr_size: int = 3

    def feed(self, data: bytes) -> list[Element]:
        self._buffer += data
        out: list[Element] = []
        while self._buffer:
            used = self._step(out)
            if used == 0:
                break  # incomplete command: wait for more bytes
            del self._buffer[:used]
        return out

    def _line(self, out: list[Element]) -> None:
        out.append(TextLine(self._text.decode("gb18030", errors="replace"), self.style.width, self.style.height, self.style.bold, self.style.align))
        self._text.clear()

    def _step(self, out: list[Element]) -> int:
        b = self._buffer
        first = b[0]
        if first == 0x0A:  # LF: print the line
            self._line(out)
            return 1
        if first == 0x10:  # DLE EOT n
            if len(b) < 3:
                return 0
            if b[1] == 0x04:
                out.append(StatusRequest(b[2]))
                return 3
            out.append(Unknown(bytes(b[:2])))
            return 2
        if first == 0x1B:  # ESC
            if len(b) < 2:
                return 0
            cmd = b[1]
            if cmd == 0x40:  # ESC @ init
                self.style = _Style()
                self._text.clear()
                return 2
            if cmd in (0x61, 0x45, 0x21, 0x64, 0x74, 0x4D, 0x2D, 0x47):
                if len(b) < 3:
                    return 0
                n = b[2]
                if cmd == 0x61:
                    self.style.align = _ALIGN.get(n, "left")
                elif cmd == 0x45:
                    self.style.bold = bool(n & 1)
                elif cmd == 0x21:  # ESC ! n: alphanumeric print mode
                    self.style.bold = bool(n & 0x08)
                    self.style.height = 2 if n & 0x10 else 1
                    self.style.width = 2 if n & 0x20 else 1
                elif cmd == 0x64:
                    if self._text:
                        self._line(out)
                    out.append(Feed(n))
                return 3
            out.append(Unknown(bytes(b[:2])))
            return 2
        if first == 0x1C:  # FS
            if len(b) < 2:
                return 0
            return 2  # FS & / FS . (Chinese mode on/off): text is decoded as GB18030 anyway
        if first == 0x1D:  # GS
            if len(b) < 2:
                return 0
            cmd = b[1]
            if cmd == 0x21:  # GS ! n: character size
                if len(b) < 3:
                    return 0
                self.style.width = (b[2] >> 4) + 1
                self.style.height = (b[2] & 0x0F) + 1
                return 3
            if cmd == 0x56:  # GS V m [n]
                if len(b) < 3:
                    return 0
                length = 4 if b[2] in (65, 66) else 3
                if len(b) < length:
                    return 0
                if self._text:
                    self._line(out)
                out.append(Cut())
                return length
            if cmd == 0x28 and len(b) >= 3 and b[2] in (0x6B, 0x4C):  # GS ( k / GS ( L
                if len(b) < 5:
                    return 0
                size = b[3] + 256 * b[4]
                if len(b) < 5 + size:
                    return 0
                self._function(b[2], bytes(b[5 : 5 + size]), out)
                return 5 + size
            if len(b) < 3:
                return 0
            out.append(Unknown(bytes(b[:3])))
            return 3
        # Text: take bytes up to the next control byte. A GB18030 character never contains
        # a byte below 0x30 after its first byte, so stopping at control bytes is safe.
        end = 0
        while end < len(b) and (b[end] >= 0x20 or b[end] == 0x0D):
            end += 1
        if end == 0:
            out.append(Unknown(bytes(b[:1])))
            return 1
        self._text += bytes(ch for ch in b[:end] if ch != 0x0D)
        return end

    def _function(self, kind: int, body: bytes, out: list[Element]) -> None:
        if kind == 0x6B and len(body) >= 2 and body[0] == 0x31:  # QR code, cn = 49
            fn = body[1]
            if fn == 0x43 and len(body) >= 3:  # module size
                self._qr_size = body[2]
            elif fn == 0x50:  # store data (m = 0x30 follows)
                self._qr_data = body[3:]
            elif fn == 0x51:  # print the stored symbol
                if self._text:
                    self._line(out)
                out.append(QrCode(self._qr_data.decode("ascii", errors="replace"), self._qr_size))
        elif kind == 0x4C and len(body) >= 4 and body[1] == 0x45:  # print NV graphics by key
            out.append(NvLogo(body[2:4].decode("ascii", errors="replace")))
