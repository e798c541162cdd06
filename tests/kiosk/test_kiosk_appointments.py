"""The kiosk's appointment pieces apart from the screen: 长辈模式's few choices, the barcode
scanner on a real pseudo-terminal (and what it drops), and the check-in request."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from kiosk.scan_feed import ScanFeed
from kiosk.service_menu import ELDER_CHOICES, ServiceOffer, appointment_line, elder_services
from lobby.contract import AppointmentNote
from lobby.device_settings import ScannerSettings
from tests.clocks import SHANGHAI


def offer(n: int) -> ServiceOffer:
    return ServiceOffer(f"s{n}", f"业务{n}", f"Service {n}", False, False, 0, 0)


@given(st.integers(0, 12), st.integers(0, 50))
def test_elder_mode_never_shows_more_than_four_choices_and_every_service_is_reachable(count, page):
    offers = [offer(n) for n in range(count)]
    shown, more = elder_services(offers, page)
    assert len(shown) + more + 1 <= ELDER_CHOICES  # + the appointment entry (or "not my card")
    assert more == (count > ELDER_CHOICES - 1)
    # Turning "more" again and again shows every service, in order.
    seen: list[ServiceOffer] = []
    for turn in range(count + 1):
        seen += [o for o in elder_services(offers, turn)[0] if o not in seen]
    assert seen == offers


def test_the_ticket_screen_says_whether_the_slot_was_kept():
    on_time = AppointmentNote(code="500001", slot_start=datetime(2026, 12, 7, 2, 0, tzinfo=UTC), on_time=True)
    assert appointment_line(on_time, SHANGHAI, "zh") == "预约 10:00 · 已签到，到时优先叫号"
    assert appointment_line(on_time, SHANGHAI, "zh", short=True) == "预约 10:00 · 已签到"
    assert appointment_line(on_time.model_copy(update={"on_time": False}), SHANGHAI, "en").startswith("You came after")


def test_a_missing_scanner_is_one_sentence_in_the_log_and_the_kiosk_carries_on(caplog):
    feed = ScanFeed(ScannerSettings(kind="serial", device="/dev/ttyNOPE9"), lambda code: None)
    with caplog.at_level("ERROR"):
        feed.start()
        deadline = threading.Event()
        deadline.wait(1.0)
        feed.stop()
    [line] = [r.getMessage() for r in caplog.records if "barcode scanner" in r.getMessage()]
    assert "/dev/ttyNOPE9" in line and "trying again" in line and "Traceback" not in caplog.text
