"""ESC/POS real-time status (`DLE EOT n`) as pure code: the query, the reply, the words.

The agent sends DLE EOT 1, 2, 3 and 4 in one write and expects four bytes back, in order.
Every valid reply byte has the fixed pattern 0xx1xx10 (bits 1 and 4 set, bits 0 and 7
clear). No reply is "no answer" (offline); a short reply or a byte off the pattern is "no
valid answer" (wrong baud rate, another device on the port) — never "paper OK".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from lobby.contract import DeviceStatus

DLE_EOT = b"\x10\x04"
STATUS_QUERY = b"".join(DLE_EOT + bytes([n]) for n in (1, 2, 3, 4))
# DLE DC4 fn=8 (d1..d7 = 1 3 20 1 6 2 8): the printer drops what it received and has not
# printed. A real-time command: obeyed even while the cover is open or the paper is out.
CLEAR_BUFFERS = b"\x10\x14\x08\x01\x03\x14\x01\x06\x02\x08"

_FIXED_MASK, _FIXED_BITS = 0x93, 0x12
# DLE EOT 1: printer status
_OFFLINE = 0x08
# DLE EOT 2: offline cause
_COVER_OPEN = 0x04
_FEED_BUTTON = 0x08
_PAPER_STOP = 0x20
_ERROR_OCCURRED = 0x40
# DLE EOT 3: error cause
_CUTTER_ERROR = 0x08
_UNRECOVERABLE = 0x20
_AUTO_RECOVERABLE = 0x40
# DLE EOT 4: roll paper sensors
_NEAR_END = 0x0C
_PAPER_END = 0x60


# What the kiosk tells the customer: (zh, en).
KIOSK_MESSAGES: dict[DeviceStatus, tuple[str, str]] = {
    DeviceStatus.OK: ("打印正常", "Printing normally"),
    DeviceStatus.PAPER_NEAR_END: ("打印正常", "Printing normally"),
    DeviceStatus.PAPER_OUT: ("打印机缺纸，工作人员已收到通知", "The printer is out of paper; staff have been told"),
    DeviceStatus.COVER_OPEN: ("打印机盖未关好，工作人员已收到通知", "The printer cover is open; staff have been told"),
    DeviceStatus.OFFLINE: ("打印机暂时无法使用，工作人员已收到通知", "The printer is not available; staff have been told"),
    DeviceStatus.ERROR: ("打印机故障，工作人员已收到通知", "The printer has a fault; staff have been told"),
}


@dataclass(frozen=True)
class PrinterStatus:
    condition: DeviceStatus
    detail: str  # a sentence for the technician or the lobby manager

    @property
    def message_zh(self) -> str:
        return KIOSK_MESSAGES[self.condition][0]

    @property
    def message_en(self) -> str:
        return KIOSK_MESSAGES[self.condition][1]


def _status_byte(value: int) -> int:
    if value & _FIXED_MASK != _FIXED_BITS:
        raise ValueError(f"0x{value:02x} is not a status byte (fixed bits 0xx1xx10)")
    return value


StatusByte = Annotated[int, AfterValidator(_status_byte)]


class StatusReply(BaseModel):
    """The printer's answer to STATUS_QUERY, validated byte by byte."""

    model_config = ConfigDict(frozen=True)

    printer: StatusByte
    offline_cause: StatusByte
    error_cause: StatusByte
    paper: StatusByte

    @classmethod
    def from_bytes(cls, reply: bytes) -> StatusReply:
        if len(reply) != 4:
            raise ValueError(f"{len(reply)} byte(s) instead of 4")
        return cls(printer=reply[0], offline_cause=reply[1], error_cause=reply[2], paper=reply[3])

    def condition(self) -> PrinterStatus:
        """The one condition that matters most, in words (the worst first)."""
        name = "The ticket printer"
        if self.offline_cause & _COVER_OPEN:
            return PrinterStatus(DeviceStatus.COVER_OPEN, f"{name}'s cover is open: close it firmly.")
        if self.paper & _PAPER_END or self.offline_cause & _PAPER_STOP:
            return PrinterStatus(DeviceStatus.PAPER_OUT, f"{name} is out of paper: load a new roll.")
        if self.error_cause & _CUTTER_ERROR:
            return PrinterStatus(
                DeviceStatus.ERROR, f"{name}'s cutter is jammed: open the cover, clear the paper, close it."
            )
        if self.error_cause & _UNRECOVERABLE:
            return PrinterStatus(
                DeviceStatus.ERROR, f"{name} has an unrecoverable error: switch it off and on; if it stays, call service."
            )
        if self.error_cause & _AUTO_RECOVERABLE:
            return PrinterStatus(
                DeviceStatus.ERROR, f"{name} paused itself (print head too hot?); it resumes by itself in a moment."
            )
        if self.offline_cause & _ERROR_OCCURRED:
            return PrinterStatus(DeviceStatus.ERROR, f"{name} reports an error: open and close the cover; if it stays, switch it off and on.")
        if self.offline_cause & _FEED_BUTTON:
            return PrinterStatus(DeviceStatus.OFFLINE, f"{name} is feeding paper (its FEED button is held).")
        if self.printer & _OFFLINE:
            return PrinterStatus(DeviceStatus.OFFLINE, f"{name} says it is offline: check its panel lights.")
        if self.paper & _NEAR_END:
            return PrinterStatus(DeviceStatus.PAPER_NEAR_END, f"{name}'s paper roll is nearly used up: have a new roll ready.")
        return PrinterStatus(DeviceStatus.OK, f"{name} is ready.")


def parse_status(reply: bytes) -> PrinterStatus:
    """Interpret the reply to STATUS_QUERY; silence and garbage are never "OK"."""
    if not reply:
        return PrinterStatus(
            DeviceStatus.OFFLINE,
            "The ticket printer does not answer its status query: check that it is switched on and its cable is in.",
        )
    try:
        return StatusReply.from_bytes(reply).condition()
    except (ValidationError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            why = "; ".join(f"{e['loc'][0]} {e.get('ctx', {}).get('error', e['msg'])}" for e in exc.errors())
        else:
            why = str(exc)
        return PrinterStatus(
            DeviceStatus.OFFLINE,
            f"The ticket printer's answer is not an ESC/POS status ({reply[:8].hex(' ')}: {why}): "
            "check the baud rate in [printer] and that this port is the printer's.",
        )


def encode_status(
    *, cover_open=False, paper_out=False, near_end=False, cutter_error=False, unrecoverable=False, offline=False
) -> bytes:
    """The four bytes a printer in this condition answers (the virtual printer's firmware)."""
    stopped = cover_open or paper_out or cutter_error or unrecoverable or offline
    error = cutter_error or unrecoverable
    return bytes(
        [
            _FIXED_BITS | (_OFFLINE if stopped else 0),
            _FIXED_BITS | (_COVER_OPEN if cover_open else 0) | (_PAPER_STOP if paper_out else 0) | (_ERROR_OCCURRED if error else 0),
            _FIXED_BITS | (_CUTTER_ERROR if cutter_error else 0) | (_UNRECOVERABLE if unrecoverable else 0),
            _FIXED_BITS | (_NEAR_END if near_end or paper_out else 0) | (_PAPER_END if paper_out else 0),
        ]
    )
