"""The printed ticket as bytes: pure code, tested byte for byte and by decoding.

Commands come from python-escpos's `Dummy` printer; text is ours, encoded GB18030 in the
printer's Chinese mode (FS &), because python-escpos turns anything outside U+4E00-U+9FA5
(full-width digits, Chinese punctuation) into '?'. Sizes are the printer's own (GS !), the
QR code is native (GS ( k) and the logo is printed from NV memory by its key: a ticket is a
few hundred bytes, which matters at 9600 baud.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from escpos.capabilities import get_profile
from escpos.printer import Dummy

from edge_agent.devices.settings import PrinterSettings

CHINESE_MODE_ON = b"\x1c\x26"  # FS &


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    columns: int
    cutter: bool
    native_qr: bool

    @classmethod
    def from_settings(cls, settings: PrinterSettings) -> "PrinterProfile":
        if settings.profile == "custom":
            return cls("custom", settings.columns, settings.cutter, settings.native_qr)
        data = get_profile(settings.profile).profile_data
        features = data["features"]
        return cls(
            settings.profile,
            settings.columns or data["fonts"]["0"]["columns"],
            settings.cutter if settings.cutter is not None else bool(features.get("paperFullCut") or features.get("paperPartCut")),
            settings.native_qr if settings.native_qr is not None else bool(features.get("qrCode")),
        )


@dataclass(frozen=True)
class TicketPrintJob:
    branch_name: str
    branch_name_en: str
    service_zh: str
    service_en: str
    label: str
    ahead: int
    wait_low_min: int | None  # None: no counter open yet, nobody can say
    wait_high_min: int | None
    issued_at: datetime  # in the branch's zone
    ticket_id: str  # the QR content
    vip_line_zh: str | None = None
    vip_line_en: str | None = None
    courtesy_zh: str = "请留意叫号，过号请重新取号。"
    courtesy_en: str = "Please listen for your number."


def ticket_lines(job: TicketPrintJob) -> dict[str, str]:
    """The words on the ticket (also what the decoding test expects to read back)."""
    if job.wait_low_min is None or job.wait_high_min is None:
        wait_zh, wait_en = "预计等候：待柜台开放后确定", "Wait: once a counter opens"
    elif job.wait_high_min <= 1:
        wait_zh, wait_en = "预计等候：即将叫号", "Wait: you will be called shortly"
    else:
        wait_zh = f"预计等候：{job.wait_low_min}～{job.wait_high_min}分钟"
        wait_en = f"Wait: {job.wait_low_min}-{job.wait_high_min} min"
    return {
        "branch": job.branch_name,
        "branch_en": job.branch_name_en,
        "service": f"{job.service_zh}  {job.service_en}",
        "number": job.label,
        "ahead_zh": f"您前面还有{job.ahead}人",
        "ahead_en": f"{job.ahead} {'person' if job.ahead == 1 else 'people'} ahead of you",
        "wait_zh": wait_zh,
        "wait_en": wait_en,
        "time": job.issued_at.strftime("%Y-%m-%d %H:%M"),
    }


def _text(printer: Dummy, line: str) -> None:
    printer._raw(line.encode("gb18030") + b"\n")


def _size(printer: Dummy, width: int, height: int) -> None:
    # GS ! scales Chinese and Latin alike; ESC ! (python-escpos's double_height) does not
    # reach Chinese characters on most printers.
    printer.set(custom_size=True, width=width, height=height)


def build_ticket(job: TicketPrintJob, profile: PrinterProfile, logo_nv_key: str | None = None) -> bytes:
    p = Dummy()
    p.hw("INIT")
    p._raw(CHINESE_MODE_ON)
    lines = ticket_lines(job)
    p.set(align="center")
    if logo_nv_key:
        # GS ( L fn 69: print the NV graphic stored under this key at 1x1.
        p._raw(b"\x1d\x28\x4c\x06\x00\x30\x45" + logo_nv_key.encode("ascii") + b"\x01\x01")
    p.set(bold=True)
    _text(p, lines["branch"])
    p.set(bold=False)
    if lines["branch_en"]:
        _text(p, lines["branch_en"])
    _size(p, 1, 2)
    _text(p, lines["service"])
    _size(p, 4, 4)
    p.set(bold=True)
    _text(p, lines["number"])
    _size(p, 1, 1)
    p.set(bold=False)
    for key in ("ahead_zh", "ahead_en", "wait_zh", "wait_en", "time"):
        _text(p, lines[key])
    if job.vip_line_zh:
        p.set(bold=True)
        _text(p, job.vip_line_zh)
        if job.vip_line_en:
            _text(p, job.vip_line_en)
        p.set(bold=False)
    if profile.native_qr:
        p.set(align="center")
        p.qr(job.ticket_id, native=True, size=5)
    _text(p, job.courtesy_zh)
    _text(p, job.courtesy_en)
    if profile.cutter:
        p.cut()
    else:
        p.ln(6)
    return p.output
