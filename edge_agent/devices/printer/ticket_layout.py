"""The printed ticket as bytes: pure code, tested byte for byte and by decoding it back.

Commands come from python-escpos's `Dummy` printer. Text is ours, encoded GB18030 in the
printer's Chinese mode (FS &), because python-escpos turns anything outside U+4E00-U+9FA5
(full-width digits, Chinese punctuation) into '?'. Sizes are the printer's own (GS !), the
QR code is native (GS ( k) and the logo is printed from NV memory by reference: a ticket is
a few hundred bytes, which matters at 9600 baud. Only a model without native QR gets the
code as a raster image (a kilobyte or more).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from escpos.capabilities import get_profile
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from lobby.device_settings import PrinterSettings

CHINESE_MODE_ON = b"\x1c\x26"  # FS &
QR_MODULE_DOTS = 6  # about 2 cm wide for a ticket id: easy for a phone or a counter scanner
QR_RASTER_MODULE_DOTS = 4
MAX_NUMBER_SIZE = 4  # GS ! multiplier of the ticket number: 4x is 96 dots, about 13 mm tall
FONT_A_DOTS = 12  # width of one column of font A


@dataclass(frozen=True)
class PrinterProfile:
    """What the layout needs to know about a printer model."""

    escpos_profile: str  # the python-escpos profile the commands are chosen for
    columns: int  # font A characters per line at normal size
    cutter: bool
    native_qr: bool
    paper_dots: int  # printable width, for the virtual printer's drawing

    @classmethod
    def from_settings(cls, settings: PrinterSettings) -> PrinterProfile:
        if settings.profile == "custom":
            # PrinterSettings refuses a custom profile without these three.
            assert settings.columns is not None and settings.cutter is not None and settings.native_qr is not None
            return cls("default", settings.columns, settings.cutter, settings.native_qr, settings.columns * FONT_A_DOTS)
        data = get_profile(settings.profile).profile_data
        features = data["features"]
        columns = settings.columns or int(data["fonts"]["0"]["columns"])
        pixels = data.get("media", {}).get("width", {}).get("pixels")
        return cls(
            settings.profile,
            columns,
            settings.cutter if settings.cutter is not None else bool(features.get("paperFullCut") or features.get("paperPartCut")),
            settings.native_qr if settings.native_qr is not None else bool(features.get("qrCode")),
            pixels if isinstance(pixels, int) else columns * FONT_A_DOTS,
        )


@dataclass(frozen=True)
class TicketPrintJob:
    branch_name: str
    service_zh: str
    service_en: str
    label: str  # the ticket number, e.g. A023
    ahead: int
    wait_low_min: int | None  # None: no counter open yet, nobody can say
    wait_high_min: int | None
    issued_at: datetime  # aware, in the branch's zone
    qr_text: str  # the QR code: the link to the ticket's live page, or the ticket id without one
    vip_line: str | None = None
    appointment_line: str | None = None  # a booking's ticket: its slot kept, or why it is a walk-in
    wait_mid_min: int | None = None  # the median, printed before the range when known
    courtesy_zh: str = "请留意叫号，过号请重新取号。"
    courtesy_en: str = "Please listen for your number."
    branch_name_en: str = ""

    def __post_init__(self) -> None:
        if self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must carry its time zone (the branch's local time)")
        if self.ahead < 0:
            raise ValueError(f"ahead must not be negative (got {self.ahead})")
        if not self.label.isascii() or not self.label.strip():
            raise ValueError(f"the ticket number must be letters and digits (got {self.label!r})")


def ticket_lines(job: TicketPrintJob) -> dict[str, str]:
    """The words on the ticket (also what the decoding test expects to read back)."""
    if job.wait_low_min is None or job.wait_high_min is None:
        wait_zh, wait_en = "预计等候：待柜台开放后确定", "Wait: once a counter opens"
    elif job.wait_high_min == 0:
        wait_zh, wait_en = "窗口空闲，马上为您叫号", "A counter is free: you are called now"
    elif job.wait_high_min <= 1:
        wait_zh, wait_en = "预计等候：即将叫号", "You will be called shortly"
    elif job.wait_mid_min is not None:
        wait_zh = f"预计等候：约{job.wait_mid_min}分钟（{job.wait_low_min}～{job.wait_high_min}）"
        wait_en = f"Estimated wait: about {job.wait_mid_min} min ({job.wait_low_min}-{job.wait_high_min})"
    else:
        wait_zh = f"预计等候：{job.wait_low_min}～{job.wait_high_min}分钟"
        wait_en = f"Estimated wait: {job.wait_low_min}-{job.wait_high_min} min"
    if job.ahead == 0:
        ahead_zh, ahead_en = "您前面没有人等候", "You are next"
    else:
        ahead_zh = f"您前面还有{job.ahead}人"
        ahead_en = f"{job.ahead} {'person' if job.ahead == 1 else 'people'} ahead of you"
    return {
        "branch": job.branch_name,
        "branch_en": job.branch_name_en,
        "service_zh": job.service_zh,
        "service_en": job.service_en,
        "number": job.label,
        "ahead_zh": ahead_zh,
        "ahead_en": ahead_en,
        "wait_zh": wait_zh,
        "wait_en": wait_en,
        "time": job.issued_at.strftime("%Y-%m-%d %H:%M"),
    }


def columns_of(text: str) -> int:
    """Printed width in font-A columns: a Chinese or full-width character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def wrap(text: str, columns: int) -> list[str]:
    """Break a line to fit; Latin text breaks at spaces, Chinese between any two characters."""
    lines, current = [], ""
    for char in text:
        if columns_of(current + char) <= columns:
            current += char
            continue
        space = current.rfind(" ")
        if char.isascii() and char != " " and space > 0:
            lines.append(current[:space])
            current = current[space + 1 :] + char
        else:
            lines.append(current.rstrip())
            current = char.lstrip()
    return lines + [current] if current or not lines else lines


class _Ticket:
    """A Dummy printer with the few habits every line of the ticket shares."""

    def __init__(self, profile: PrinterProfile):
        self.profile = profile
        self.printer = Dummy(profile=profile.escpos_profile)
        self.size = 1

    def text(self, line: str, *, size: int = 1, bold: bool = False) -> None:
        if size != self.size:
            # GS ! scales Chinese and Latin alike; ESC ! (python-escpos's double_*) misses Chinese.
            self.printer.set(custom_size=True, width=size, height=size)
            self.size = size
        if bold:
            self.printer.set(bold=True)
        for piece in wrap(line, self.profile.columns // size):
            self.printer._raw(piece.encode("gb18030") + b"\n")
        if bold:
            self.printer.set(bold=False)


def _logo(printer: Dummy, key: str) -> None:
    if key.isdigit():
        printer._raw(b"\x1c\x70" + bytes([int(key), 0]))  # FS p n 0: NV bit image n, normal size
    else:
        # GS ( L fn 69: print the NV graphic stored under key kc1 kc2, at 1x1.
        printer._raw(b"\x1d\x28\x4c\x06\x00\x30\x45" + key.encode("ascii") + b"\x01\x01")


def build_ticket(job: TicketPrintJob, profile: PrinterProfile, logo_nv_key: str | None = None) -> bytes:
    lines = ticket_lines(job)
    ticket = _Ticket(profile)
    p = ticket.printer
    p.hw("INIT")
    p._raw(CHINESE_MODE_ON)
    p.set(align="center")
    if logo_nv_key:
        _logo(p, logo_nv_key)
    ticket.text(lines["branch"], bold=True)
    if lines["branch_en"]:
        ticket.text(lines["branch_en"])
    ticket.text(lines["service_zh"], size=2)
    ticket.text(lines["service_en"])
    number_size = max(2, min(MAX_NUMBER_SIZE, profile.columns // len(job.label)))
    ticket.text(lines["number"], size=number_size, bold=True)
    for key in ("ahead_zh", "ahead_en", "wait_zh", "wait_en"):
        ticket.text(lines[key])
    if job.vip_line:
        ticket.text(job.vip_line, bold=True)
    if job.appointment_line:
        ticket.text(job.appointment_line, bold=True)
    ticket.text(lines["time"])
    # Alignment first: python-escpos refuses qr(native=True, center=True), and a printer
    # centres native QR codes and raster images by the current justification anyway.
    if profile.native_qr:
        p.qr(job.qr_text, ec=QR_ECLEVEL_M, size=QR_MODULE_DOTS, native=True)
    else:
        p.qr(job.qr_text, ec=QR_ECLEVEL_M, size=QR_RASTER_MODULE_DOTS, native=False)
    ticket.text(job.courtesy_zh)
    ticket.text(job.courtesy_en)
    if profile.cutter:
        p.cut()  # feeds past the cutter first
    else:
        p.print_and_feed(6)  # enough to tear it off at the edge
    return p.output
