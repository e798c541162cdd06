"""ESC/POS real-time status (`DLE EOT n`) as pure code: the query bytes, the replies, the words.

The agent sends DLE EOT 1, 2, 3 and 4 in one write and expects four bytes back, in order.
Every valid reply byte has the fixed pattern 0xx1xx10 (bits 1 and 4 set, 0 and 7 clear).
No reply, a short reply or a byte off the pattern is "no valid answer" — never "paper OK".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

DLE_EOT = b"\x10\x04"
STATUS_QUERY = b"".join(DLE_EOT + bytes([n]) for n in (1, 2, 3, 4))

_FIXED_MASK, _FIXED_BITS = 0x93, 0x12
# DLE EOT 1 (printer), 2 (offline cause), 3 (error cause), 4 (paper roll sensor)
_OFFLINE = 0x08
_COVER_OPEN = 0x04
_PAPER_STOP = 0x20
_ERROR = 0x40
_CUTTER_ERROR = 0x08
_UNRECOVERABLE = 0x20
_NEAR_END = 0x0C
_PAPER_END = 0x60


class PrinterCondition(enum.Enum):
    """The `status` values of `devices/<id>/state`, as the printer can report them."""

    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    ERROR = "error"

    @property
    def can_print(self) -> bool:
        return self in (PrinterCondition.OK, PrinterCondition.PAPER_NEAR_END)


# What staff read (device state, tablet banner) and what the kiosk tells the customer.
MESSAGES: dict[PrinterCondition, tuple[str, str, str]] = {
    PrinterCondition.OK: ("The ticket printer is ready.", "打印正常", "Printing normally"),
    PrinterCondition.PAPER_NEAR_END: (
        "The ticket printer's paper roll is nearly used up: have a new roll ready.",
        "打印正常", "Printing normally",
    ),
    PrinterCondition.PAPER_OUT: (
        "The ticket printer is out of paper: load a new roll.",
        "打印机缺纸，工作人员已收到通知", "The printer is out of paper; staff have been told",
    ),
    PrinterCondition.COVER_OPEN: (
        "The ticket printer's cover is open: close it firmly.",
        "打印机盖未关好，工作人员已收到通知", "The printer cover is open; staff have been told",
    ),
    PrinterCondition.OFFLINE: (
        "The ticket printer does not answer: check its power and its cable.",
        "打印机暂时无法使用，工作人员已收到通知", "The printer is not available; staff have been told",
    ),
    PrinterCondition.ERROR: (
        "The ticket printer reports an error: open the cover, clear any jammed paper, close it.",
        "打印机故障，工作人员已收到通知", "The printer has a fault; staff have been told",
    ),
}


@dataclass(frozen=True)
class PrinterStatus:
    condition: PrinterCondition
    detail: str  # for a technician

    @property
    def message_zh(self) -> str:
        return MESSAGES[self.condition][1]

    @property
    def message_en(self) -> str:
        return MESSAGES[self.condition][2]


def _valid(byte: int) -> bool:
    return byte & _FIXED_MASK == _FIXED_BITS


def parse_status(reply: bytes) -> PrinterStatus:
    """Interpret the four reply bytes to STATUS_QUERY."""
    if not reply:
        return PrinterStatus(PrinterCondition.OFFLINE, MESSAGES[PrinterCondition.OFFLINE][0] + " (no reply to the status query)")
    if len(reply) != 4 or not all(_valid(b) for b in reply):
        return PrinterStatus(
            PrinterCondition.OFFLINE,
            f"The ticket printer sent a reply that is not an ESC/POS status ({reply[:8].hex(' ')}): "
            "check the baud rate in [printer] and that the port is the printer's.",
        )
    printer, offline_cause, error_cause, paper = reply
    if offline_cause & _COVER_OPEN:
        condition = PrinterCondition.COVER_OPEN
    elif paper & _PAPER_END == _PAPER_END or offline_cause & _PAPER_STOP:
        condition = PrinterCondition.PAPER_OUT
    elif error_cause & _CUTTER_ERROR:
        return PrinterStatus(PrinterCondition.ERROR, "The ticket printer's cutter is jammed: open the cover and clear the paper.")
    elif error_cause & _UNRECOVERABLE or offline_cause & _ERROR:
        condition = PrinterCondition.ERROR
    elif printer & _OFFLINE:
        condition = PrinterCondition.OFFLINE
    elif paper & _NEAR_END:
        condition = PrinterCondition.PAPER_NEAR_END
    else:
        condition = PrinterCondition.OK
    return PrinterStatus(condition, MESSAGES[condition][0])


def encode_status(*, cover_open=False, paper_out=False, near_end=False, cutter_error=False, error=False) -> bytes:
    """The four bytes a printer in this condition answers (used by the virtual printer)."""
    stopped = cover_open or paper_out or cutter_error or error
    return bytes(
        [
            _FIXED_BITS | (_OFFLINE if stopped else 0),
            _FIXED_BITS | (_COVER_OPEN if cover_open else 0) | (_PAPER_STOP if paper_out else 0) | (_ERROR if cutter_error or error else 0),
            _FIXED_BITS | (_CUTTER_ERROR if cutter_error else 0) | (_UNRECOVERABLE if error else 0),
            _FIXED_BITS | (_NEAR_END if near_end or paper_out else 0) | (_PAPER_END if paper_out else 0),
        ]
    )
