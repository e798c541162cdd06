"""The ticket as bytes (exactly) and as content (decoded back), and the printer's status replies."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import qrcode
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.devices.printer.escpos_decoder import Cut, EscPosDecoder, Feed, NvLogo, QrCode, RasterImage, TextLine
from edge_agent.devices.printer.status import encode_status, parse_status
from edge_agent.devices.printer.ticket_layout import PrinterProfile, TicketPrintJob, build_ticket, columns_of, wrap
from lobby.contract import DeviceStatus
from lobby.device_settings import PrinterSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")
JOB = TicketPrintJob("测试支行", "个人现金", "Cash", "A007", 2, 3, 9, datetime(2026, 11, 23, 9, 5, tzinfo=SHANGHAI), "20261123-A007")
VIP_JOB = replace(
    JOB, branch_name="浦东陆家嘴支行", branch_name_en="Lujiazui Sub-branch", service_zh="理财贵宾", service_en="Wealth & Premier",
    label="V012", vip_line="王先生，您的客户经理已收到通知",
)
TM_T88V = PrinterProfile.from_settings(PrinterSettings(profile="TM-T88V"))


def gb(text: str) -> bytes:
    return text.encode("gb18030")


def test_ticket_bytes_exactly():
    expected = (
        b"\x1b@"  # ESC @ initialise
        + b"\x1c&"  # FS & Chinese mode
        + b"\x1ba\x01"  # centred
        + b"\x1bE\x01" + gb("测试支行") + b"\n" + b"\x1bE\x00"  # bold branch name
        + b"\x1d!\x11" + gb("个人现金") + b"\n"  # GS ! 2x2
        + b"\x1d!\x00" + b"Cash\n"
        + b"\x1d!\x33" + b"\x1bE\x01" + b"A007\n" + b"\x1bE\x00"  # GS ! 4x4, bold: the number
        + b"\x1d!\x00" + gb("您前面还有2人") + b"\n" + b"2 people ahead of you\n"
        + gb("预计等候：3～9分钟") + b"\n" + b"Estimated wait: 3-9 min\n"
        + b"2026-11-23 09:05\n"
        + b"\x1d(k\x04\x001A2\x00" + b"\x1d(k\x03\x001C\x06" + b"\x1d(k\x03\x001E1"  # QR model 2, 6 dots, EC M
        + b"\x1d(k\x10\x001P0" + b"20261123-A007" + b"\x1d(k\x03\x001Q0"  # store, print
        + gb("请留意叫号，过号请重新取号。") + b"\n" + b"Please listen for your number.\n"
        + b"\x1bd\x06" + b"\x1dV\x00"  # feed past the cutter, full cut
    )
    assert build_ticket(JOB, TM_T88V) == expected


def decode(data: bytes, chunk: int = 5) -> list:
    """What the virtual printer understands of these bytes, fed in awkward pieces."""
    decoder, elements = EscPosDecoder(), []
    for start in range(0, len(data), chunk):
        elements += decoder.feed(data[start : start + chunk])
    return elements


def test_ticket_content_reads_back():
    elements = decode(build_ticket(VIP_JOB, TM_T88V, logo_nv_key="LG"))
    lines = [e for e in elements if isinstance(e, TextLine)]
    assert elements[0] == NvLogo("LG")
    assert [line.text for line in lines] == [
        "浦东陆家嘴支行", "Lujiazui Sub-branch", "理财贵宾", "Wealth & Premier", "V012",
        "您前面还有2人", "2 people ahead of you", "预计等候：3～9分钟", "Estimated wait: 3-9 min",
        "王先生，您的客户经理已收到通知", "2026-11-23 09:05", "请留意叫号，过号请重新取号。", "Please listen for your number.",
    ]
    sizes = {line.text: (line.width, line.height, line.bold) for line in lines}
    assert sizes["V012"] == (4, 4, True)
    assert sizes["理财贵宾"] == (2, 2, False)
    assert sizes["浦东陆家嘴支行"] == (1, 1, True) and sizes["王先生，您的客户经理已收到通知"] == (1, 1, True)
    assert sizes["2 people ahead of you"] == (1, 1, False)
    assert {line.align for line in lines} == {"center"}
    assert [e for e in elements if isinstance(e, QrCode)] == [QrCode("20261123-A007", 6, "M")]
    assert elements[-2:] == [Feed(6), Cut(partial=False)]


def test_a_ticket_with_a_link_prints_the_link_as_its_qr_code():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from lobby.ticket_link import LinkSigner, TicketClaim

    claim = TicketClaim("sh-lujiazui-01", "20261123-A007", "noncash", datetime(2026, 11, 23, 17, 30, tzinfo=SHANGHAI))
    link = LinkSigner(Ed25519PrivateKey.generate(), "https://q.bank.example").link(claim)
    elements = decode(build_ticket(replace(JOB, qr_text=link), TM_T88V))
    assert [e for e in elements if isinstance(e, QrCode)] == [QrCode(link, 6, "M")]


def test_an_appointment_ticket_says_its_slot_is_kept():
    from edge_agent.outputs import print_job_for
    from lobby.config import load_config
    from lobby.contract import AppointmentNote, TicketAnswer
    from tests.conftest import EXAMPLE_CONFIG

    config = load_config(EXAMPLE_CONFIG)
    answer = TicketAnswer(
        ticket="A007", ticket_id="20261123-A007", service="cash", service_zh="个人现金", service_en="Cash", tier="mass",
        issued_at=datetime(2026, 11, 23, 9, 52, tzinfo=SHANGHAI), ahead=1,
        appointment=AppointmentNote(code="472913", slot_start=datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), on_time=True),
    )
    lines = [e.text for e in decode(build_ticket(print_job_for(config, answer), TM_T88V)) if isinstance(e, TextLine)]
    assert "预约 10:00 · 到时优先叫号" in lines
    late = answer.model_copy(update={"appointment": answer.appointment.model_copy(update={"on_time": False})})
    assert "预约已逾时，按普通号办理" in [e.text for e in decode(build_ticket(print_job_for(config, late), TM_T88V)) if isinstance(e, TextLine)]


def test_full_width_digits_and_punctuation_survive():
    courtesy = "全角数字１２３，标点：“你好”！（）"
    data = build_ticket(replace(JOB, courtesy_zh=courtesy), TM_T88V)
    assert courtesy in [e.text for e in decode(data) if isinstance(e, TextLine)]
    assert gb(courtesy) in data and b"?" not in data


def test_without_chinese_mode_a_printer_would_print_gibberish():
    data = build_ticket(JOB, TM_T88V).replace(b"\x1c&", b"", 1)
    assert "测试支行" not in [e.text for e in decode(data) if isinstance(e, TextLine)]


def test_ticket_is_small():
    sizes = [len(build_ticket(VIP_JOB, TM_T88V, logo_nv_key=key)) for key in (None, "LG", "1")]
    assert max(sizes) < 400, sizes


def test_nv_logo_by_key_or_by_number():
    assert b"\x1d(L\x06\x000ELG\x01\x01" in build_ticket(JOB, TM_T88V, logo_nv_key="LG")
    data = build_ticket(JOB, TM_T88V, logo_nv_key="7")
    assert b"\x1cp\x07\x00" in data and decode(data)[0] == NvLogo("7")


def test_profiles_from_escpos_and_from_config():
    assert TM_T88V == PrinterProfile("TM-T88V", 42, True, True, 512)
    assert PrinterProfile.from_settings(PrinterSettings(profile="TM-T20II", columns=42)).columns == 42
    custom = PrinterProfile.from_settings(PrinterSettings(profile="custom", columns=32, cutter=False, native_qr=True))
    data = build_ticket(JOB, custom)
    assert b"\x1dV" not in data and data.endswith(b"\x1bd\x06")  # no cutter: feed to tear off
    assert QrCode("20261123-A007", 6, "M") in decode(data)


def test_model_without_native_qr_gets_a_raster_of_the_same_code():
    profile = PrinterProfile.from_settings(PrinterSettings(profile="ZJ-5870"))
    assert (profile.native_qr, profile.cutter, profile.columns) == (False, False, 32)
    data = build_ticket(JOB, profile)
    assert b"\x1d(k" not in data
    (raster,) = [e for e in decode(data, chunk=64) if isinstance(e, RasterImage)]
    assert raster.align == "center"
    # Read the modules back from the dots and compare with the code the ticket id makes.
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data("20261123-A007")
    matrix = code.get_matrix()
    module, quiet = 4, 4  # 4 dots per module, one module of quiet zone
    seen = [[raster.pixel(quiet + x * module + 1, quiet + y * module + 1) for x in range(len(matrix))] for y in range(len(matrix))]
    assert seen == matrix


def test_narrow_paper_wraps_lines_inside_the_columns():
    profile = PrinterProfile("default", 24, True, True, 288)
    long_job = replace(VIP_JOB, courtesy_en="Please listen for your number; if you miss it, take a new ticket.")
    lines = [e for e in decode(build_ticket(long_job, profile)) if isinstance(e, TextLine)]
    assert all(columns_of(line.text) * line.width <= 24 for line in lines)
    assert "Please listen for your" in [line.text for line in lines]


def test_job_refuses_naive_time():
    with pytest.raises(ValueError, match="time zone"):
        replace(JOB, issued_at=datetime(2026, 11, 23, 9, 5))


def test_wait_and_ahead_wording():
    def texts(job):
        return [e.text for e in decode(build_ticket(job, TM_T88V)) if isinstance(e, TextLine)]

    assert "You will be called shortly" in texts(replace(JOB, wait_low_min=0, wait_high_min=1))
    assert "Wait: once a counter opens" in texts(replace(JOB, wait_low_min=None, wait_high_min=None))
    assert {"您前面没有人等候", "You are next"} <= set(texts(replace(JOB, ahead=0)))
    assert "1 person ahead of you" in texts(replace(JOB, ahead=1))


def test_settings_explain_mistakes():
    with pytest.raises(ValueError, match="unknown; use one of"):
        PrinterSettings(profile="TM-NOPE")
    with pytest.raises(ValueError, match="Customer Display|unknown"):
        PrinterSettings(profile="AF-240")  # a customer display, not a printer
    with pytest.raises(ValueError, match='"custom" printer profile needs columns, cutter, native_qr'):
        PrinterSettings(profile="custom")
    with pytest.raises(ValueError, match="not a rate ticket printers use"):
        PrinterSettings(baudrate=38000)
    with pytest.raises(ValueError, match="not a device path"):
        PrinterSettings(port="COM3")
    with pytest.raises(ValueError, match="NV graphics key"):
        PrinterSettings(logo_nv_key="LOGO")
    with pytest.raises(ValueError, match="Extra inputs"):
        PrinterSettings(paper="80mm")


# ---- status replies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "faults, condition, words",
    [
        ({}, DeviceStatus.OK, "is ready"),
        ({"near_end": True}, DeviceStatus.PAPER_NEAR_END, "nearly used up"),
        ({"paper_out": True}, DeviceStatus.PAPER_OUT, "out of paper"),
        ({"cover_open": True}, DeviceStatus.COVER_OPEN, "cover is open"),
        ({"cutter_error": True}, DeviceStatus.ERROR, "cutter is jammed"),
        ({"unrecoverable": True}, DeviceStatus.ERROR, "unrecoverable"),
        ({"offline": True}, DeviceStatus.OFFLINE, "says it is offline"),
        ({"cover_open": True, "paper_out": True}, DeviceStatus.COVER_OPEN, "cover is open"),
    ],
)
def test_status_replies(faults, condition, words):
    status = parse_status(encode_status(**faults))
    assert status.condition is condition and words in status.detail
    assert status.message_zh and status.message_en


def test_silence_and_garbage_are_never_paper_ok():
    silent = parse_status(b"")
    assert silent.condition is DeviceStatus.OFFLINE and "does not answer" in silent.detail
    short = parse_status(encode_status()[:3])
    assert short.condition is DeviceStatus.OFFLINE and "3 byte(s) instead of 4" in short.detail
    garbled = parse_status(b"\xff\x12\x12\x00")
    assert garbled.condition is DeviceStatus.OFFLINE
    assert "printer 0xff is not a status byte" in garbled.detail and "paper 0x00" in garbled.detail
    assert "check the baud rate" in garbled.detail


@given(st.binary(max_size=8))
def test_any_reply_is_understood_or_refused(reply):
    status = parse_status(reply)
    valid = len(reply) == 4 and all(b & 0x93 == 0x12 for b in reply)
    assert valid or status.condition is DeviceStatus.OFFLINE


@given(st.binary(max_size=400), st.integers(1, 9))
def test_decoder_never_crashes_on_garbage(data, chunk):
    decode(data, chunk=chunk)


@given(st.text(alphabet=st.sampled_from("ab 中文，１2 "), max_size=80), st.integers(4, 42))
def test_wrap_fits_and_keeps_every_word(text, columns):
    pieces = wrap(text, columns)
    assert all(columns_of(piece) <= columns for piece in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
