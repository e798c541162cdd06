"""The ticket as bytes (exactly) and as content (decoded back), and the status replies."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.devices.escpos_decoder import Cut, EscPosDecoder, NvLogo, QrCode, TextLine
from edge_agent.devices.printer_status import PrinterCondition, encode_status, parse_status
from edge_agent.devices.settings import PrinterSettings
from edge_agent.devices.ticket_layout import PrinterProfile, TicketPrintJob, build_ticket

JOB = TicketPrintJob(
    "测试支行", "Test", "个人现金", "Cash", "A007", 2, 3, 9, datetime(2026, 11, 23, 9, 5, tzinfo=ZoneInfo("Asia/Shanghai")), "20261123-A007"
)
TM_T88V = PrinterProfile("TM-T88V", 42, True, True)


def gb(text: str) -> bytes:
    return text.encode("gb18030")


def test_ticket_bytes_exactly():
    expected = (
        b"\x1b@"  # ESC @ initialise
        + b"\x1c&"  # FS & Chinese mode
        + b"\x1ba\x01"  # centred
        + b"\x1bE\x01" + gb("测试支行") + b"\n" + b"\x1bE\x00" + b"Test\n"
        + b"\x1d!\x01" + gb("个人现金  Cash") + b"\n"  # double height
        + b"\x1d!\x33" + b"\x1bE\x01" + b"A007\n"  # 4x4, bold: the number
        + b"\x1d!\x00" + b"\x1bE\x00"
        + gb("您前面还有2人") + b"\n" + b"2 people ahead of you\n"
        + gb("预计等候：3～9分钟") + b"\n" + b"Wait: 3-9 min\n" + b"2026-11-23 09:05\n"
        + b"\x1ba\x01"
        + b"\x1d(k\x04\x001A2\x00" + b"\x1d(k\x03\x001C\x05" + b"\x1d(k\x03\x001E0"  # QR model 2, size 5, EC L
        + b"\x1d(k\x10\x001P0" + b"20261123-A007" + b"\x1d(k\x03\x001Q0"  # store and print
        + gb("请留意叫号，过号请重新取号。") + b"\n" + b"Please listen for your number.\n"
        + b"\x1bd\x06" + b"\x1dV\x00"  # feed, full cut
    )
    assert build_ticket(JOB, TM_T88V) == expected


def decode(data: bytes, chunk: int = 5) -> list:
    decoder, elements = EscPosDecoder(), []
    for start in range(0, len(data), chunk):  # any chunking of the stream
        elements += decoder.feed(data[start : start + chunk])
    return elements


def test_ticket_content_reads_back():
    job = TicketPrintJob(**{**JOB.__dict__, "vip_line_zh": "王先生，您的客户经理已收到通知", "vip_line_en": "Your RM has been told"})
    elements = decode(build_ticket(job, TM_T88V, logo_nv_key="LG"))
    lines = [e for e in elements if isinstance(e, TextLine)]
    assert elements[0] == NvLogo("LG")
    assert [line.text for line in lines] == [
        "测试支行", "Test", "个人现金  Cash", "A007", "您前面还有2人", "2 people ahead of you", "预计等候：3～9分钟",
        "Wait: 3-9 min", "2026-11-23 09:05", "王先生，您的客户经理已收到通知", "Your RM has been told",
        "请留意叫号，过号请重新取号。", "Please listen for your number.",
    ]
    number = lines[3]
    assert (number.width, number.height, number.bold, number.align) == (4, 4, True, "center")
    assert QrCode("20261123-A007", 5) in elements
    assert isinstance(elements[-1], Cut)


def test_full_width_digits_and_punctuation_survive():
    job = TicketPrintJob(**{**JOB.__dict__, "courtesy_zh": "全角数字１２３，标点：“你好”！"})
    lines = [e.text for e in decode(build_ticket(job, TM_T88V)) if isinstance(e, TextLine)]
    assert "全角数字１２３，标点：“你好”！" in lines
    assert b"?" not in build_ticket(job, TM_T88V).replace(b"20261123-A007", b"")


def test_ticket_is_small():
    long_job = TicketPrintJob(**{**JOB.__dict__, "branch_name": "浦东陆家嘴支行", "branch_name_en": "Lujiazui Sub-branch", "vip_line_zh": "王先生，您的客户经理已收到通知", "vip_line_en": "Your relationship manager has been told"})
    assert len(build_ticket(long_job, TM_T88V, logo_nv_key="LG")) < 400


def test_profiles_from_escpos_and_from_config():
    assert PrinterProfile.from_settings(PrinterSettings(profile="TM-T88V")) == PrinterProfile("TM-T88V", 42, True, True)
    custom = PrinterProfile.from_settings(PrinterSettings(profile="custom", columns=32, cutter=False, native_qr=False))
    data = build_ticket(JOB, custom)
    assert b"\x1dV" not in data and b"\x1d(k" not in data  # no cutter, no native QR: neither command sent
    with pytest.raises(ValueError, match="unknown"):
        PrinterSettings(profile="TM-NOPE")
    with pytest.raises(ValueError, match="custom"):
        PrinterSettings(profile="custom")


def test_wait_range_wording():
    soon = TicketPrintJob(**{**JOB.__dict__, "wait_low_min": 0, "wait_high_min": 1})
    unknown = TicketPrintJob(**{**JOB.__dict__, "wait_low_min": None, "wait_high_min": None})
    assert "Wait: you will be called shortly" in [e.text for e in decode(build_ticket(soon, TM_T88V)) if isinstance(e, TextLine)]
    assert "Wait: once a counter opens" in [e.text for e in decode(build_ticket(unknown, TM_T88V)) if isinstance(e, TextLine)]


@pytest.mark.parametrize(
    "faults, condition",
    [
        ({}, PrinterCondition.OK),
        ({"near_end": True}, PrinterCondition.PAPER_NEAR_END),
        ({"paper_out": True}, PrinterCondition.PAPER_OUT),
        ({"cover_open": True}, PrinterCondition.COVER_OPEN),
        ({"cutter_error": True}, PrinterCondition.ERROR),
        ({"error": True}, PrinterCondition.ERROR),
        ({"cover_open": True, "paper_out": True}, PrinterCondition.COVER_OPEN),
    ],
)
def test_status_replies(faults, condition):
    assert parse_status(encode_status(**faults)).condition is condition


def test_no_reply_is_offline_never_paper_ok():
    assert parse_status(b"").condition is PrinterCondition.OFFLINE
    assert parse_status(encode_status()[:3]).condition is PrinterCondition.OFFLINE
    assert "not an ESC/POS status" in parse_status(b"\xff\x00\x12\x12").detail
    assert parse_status(b"\x12\x12\x12\x12").message_en == "Printing normally"
    assert "cutter" in parse_status(encode_status(cutter_error=True)).detail


@given(st.binary(min_size=0, max_size=8))
def test_any_reply_is_understood_or_refused(reply):
    status = parse_status(reply)
    valid = len(reply) == 4 and all(b & 0x93 == 0x12 for b in reply)
    assert status.condition is not PrinterCondition.OK or valid


@given(st.binary(max_size=300))
def test_decoder_never_crashes_on_garbage(data):
    decode(data, chunk=7)
