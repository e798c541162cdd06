"""Booking a visit at head office, against a real PostgreSQL: plans and capacity, the
no-show rule, cancelling, what each branch is sent, the branch's word on a booking, and the
JSON API's answers to bad input."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from head_office.booking_rules import NoShowRule, Plan, banned_until, parse_plan_row
from head_office.bookings import BookingDesk, BookingRefused
from head_office.config import BookingSection
from head_office.db.events import Writer
from head_office.db.schema import migrate
from head_office.routing import EventRecord, route
from lobby.contract import BookingState
from tools.hq_rig import WebServer
from tools.private_broker import free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning before the branch opens for bookings.
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)
PLAN = Plan("b1", "cash", "个人现金", "Cash", frozenset({1, 2, 3, 4, 5}), time(9), time(12), 30, 4, 2, 6.0)
PHONE = "13812345678"


def plan_row(**overrides) -> dict[str, str]:
    row = {"branch_id": "b1", "service": "cash", "name_zh": "个人现金", "name_en": "Cash", "weekdays": "12345", "opens": "09:00",
           "closes": "12:00", "slot_minutes": "30", "per_slot": "4", "counters": "2", "service_minutes": "6"}
    return row | overrides


# ---- the rules, pure ----------------------------------------------------------------------------


def test_a_slot_holds_no_more_than_the_share_of_its_counters():
    # Two counters serve 2 x 30 / 6 = 10 customers in a slot; half of that is 5; the branch asked for 4.
    assert PLAN.capacity(0.5) == 4
    assert PLAN.capacity(0.3) == 3  # floor(0.3 x 10)
    assert PLAN.capacity(0.0) == 0
    assert [s.strftime("%H:%M") for s in PLAN.slots(date(2026, 12, 7), SHANGHAI)] == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert PLAN.slots(date(2026, 12, 6), SHANGHAI) == []  # a Sunday


@given(st.lists(st.integers(0, 200), max_size=8), st.integers(1, 5))
def test_the_no_show_rule_counts_only_the_period(days_ago, limit):
    rule = NoShowRule(limit, timedelta(days=90), timedelta(days=30))
    now = datetime(2026, 12, 7, tzinfo=UTC)
    until = banned_until([now - timedelta(days=d) for d in days_ago], rule, now)
    recent = sorted(d for d in days_ago if d <= 90)
    if len(recent) < limit or recent[0] >= 30:
        assert until is None
    else:
        assert until == now - timedelta(days=recent[0]) + timedelta(days=30)


def test_a_plan_line_that_does_not_add_up_is_named():
    assert parse_plan_row(plan_row()) == PLAN
    for bad, words in ((plan_row(weekdays="19"), "weekdays"), (plan_row(closes="08:00"), "after opens"), (plan_row(counters="0"), "counters"),
                       ({"branch_id": "b1"}, "missing")):
        with pytest.raises(ValueError, match=words):
            parse_plan_row(bad)


# ---- the desk, on PostgreSQL ----------------------------------------------------------------------


@pytest.fixture
def desk(tmp_path) -> BookingDesk:
    return BookingDesk(BookingSection(key_file=tmp_path / "booking.key", public_url="https://q.bank.example"), SHANGHAI)


@pytest.fixture
def conn(database, desk) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database, autocommit=True) as connection:
        migrate(connection)
        desk.import_plans(connection, [PLAN])
        yield connection


def slot(hour: int, minute: int = 0, day: int = 7) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def refused(call) -> str:
    with pytest.raises(BookingRefused) as caught:
        call()
    return caught.value.reason


def test_booking_fills_a_slot_and_then_refuses_it(conn, desk):
    for n in range(4):
        booking = desk.book(conn, "b1", "cash", slot(10), f"1381234567{n}", True, NOW)
        assert booking.state is BookingState.BOOKED and len(booking.code) == 6 and booking.phone_masked == f"138****567{n}"
    assert refused(lambda: desk.book(conn, "b1", "cash", slot(10), "13900000000", True, NOW)) == "slot_full"
    [ten] = [s for s in desk.slots(conn, "b1", "cash", date(2026, 12, 7), NOW) if s.start == slot(10)]
    assert (ten.taken, ten.left) == (4, 0)
    # The number is kept only as a keyed hash and a masked form.
    assert conn.execute("SELECT count(*) FROM bookings WHERE phone_key LIKE '%13812345670%' OR phone_masked = '13812345670'").fetchone()[0] == 0


def test_each_bad_booking_is_refused_with_its_reason(conn, desk):
    assert refused(lambda: desk.book(conn, "b1", "cash", slot(10), "12345", True, NOW)) == "bad_phone"
    assert refused(lambda: desk.book(conn, "b1", "cash", slot(10), PHONE, False, NOW)) == "consent_required"
    assert refused(lambda: desk.book(conn, "b1", "cash", slot(10, 15), PHONE, True, NOW)) == "no_such_slot"
    assert refused(lambda: desk.book(conn, "b1", "cash", slot(10, day=6), PHONE, True, NOW)) == "no_such_slot"  # Sunday
    assert refused(lambda: desk.book(conn, "b1", "cash", slot(10, day=28), PHONE, True, NOW)) == "no_such_slot"  # beyond days_ahead
    assert refused(lambda: desk.book(conn, "b1", "wealth", slot(10), PHONE, True, NOW)) == "not_offered"
    assert refused(lambda: desk.book(conn, "b2", "cash", slot(10), PHONE, True, NOW)) == "not_offered"
    desk.book(conn, "b1", "cash", slot(10), PHONE, True, NOW)
    assert refused(lambda: desk.book(conn, "b1", "cash", slot(11), PHONE, True, NOW)) == "already_booked"
    assert conn.execute("SELECT count(*) FROM bookings").fetchone()[0] == 1


def _branch_says(conn, booking, state: str, at: datetime) -> None:
    """The branch's events/appointment, through the ingester's own routing and writer."""
    payload = {"event_id": f"e-{booking.code}-{state}", "code": booking.code, "business_day": "2026-12-07", "service": "cash",
               "slot_start": booking.slot_start.isoformat(), "state": state, "at": at.isoformat(), "ticket": "A004", "rm": None}
    record = route(f"lobby/v1/{booking.branch}/events/appointment", json.dumps(payload).encode(), at)
    assert isinstance(record, EventRecord)
    Writer("test").write_batch(conn, [record])


def test_cancelling_before_the_slot_frees_the_place_but_not_after_check_in(conn, desk):
    first = desk.book(conn, "b1", "cash", slot(10), PHONE, True, NOW)
    cancelled = desk.cancel(conn, desk.pass_token(first), NOW)
    assert cancelled.state is BookingState.CANCELLED
    assert refused(lambda: desk.cancel(conn, desk.pass_token(first), NOW)) == "already_cancelled"
    second = desk.book(conn, "b1", "cash", slot(10), PHONE, True, NOW)  # the same person may book again
    _branch_says(conn, second, "checked_in", slot(9, 50))
    assert desk.find(conn, "b1", second.code, second.slot_start).state is BookingState.CHECKED_IN
    assert refused(lambda: desk.cancel(conn, desk.pass_token(second), slot(9, 55))) == "already_used"
    assert refused(lambda: desk.cancel(conn, "not-a-pass", NOW)) == "not_found"


def test_three_no_shows_in_the_period_and_the_customer_waits_to_book_again(conn, desk):
    for day in (7, 8, 9):
        booking = desk.book(conn, "b1", "cash", slot(9, day=day), PHONE, True, NOW)
        _branch_says(conn, booking, "no_show", slot(9, 11, day=day))
    after = slot(8, day=10)
    reason = refused(lambda: desk.book(conn, "b1", "cash", slot(10, day=10), PHONE, True, after))
    assert reason == "banned"
    assert desk.book(conn, "b1", "cash", slot(10, day=10), "13900000000", True, after).state is BookingState.BOOKED  # someone else may


def test_a_branch_is_sent_its_bookings_until_it_says_it_holds_them(conn, desk):
    assert desk.behind(conn) == []
    a = desk.book(conn, "b1", "cash", slot(10), PHONE, True, NOW)
    [(branch, version)] = desk.behind(conn)
    sent_version, bookings = desk.for_branch(conn, "b1", NOW)
    assert branch == "b1" and sent_version == version and [b.code for b in bookings] == [a.code]
    desk.held(conn, "b1", version, NOW)
    assert desk.behind(conn) == []
    desk.cancel(conn, desk.pass_token(a), NOW)  # a change makes the branch behind again
    assert [b for b, _ in desk.behind(conn)] == ["b1"]
    _, bookings = desk.for_branch(conn, "b1", NOW)
    assert [b.state for b in bookings] == ["cancelled"]
    used = desk.book(conn, "b1", "cash", slot(11), PHONE, True, NOW)
    _branch_says(conn, used, "checked_in", slot(10, 55))
    # What the branch reported goes back with the sync: a replacement box cannot use it twice.
    assert {b.code: b.state for b in desk.for_branch(conn, "b1", NOW)[1]}[used.code] == "checked_in"
    desk.held(conn, "b1", version - 1, NOW)  # a late answer never moves it back
    assert conn.execute("SELECT held_version FROM booking_sync").fetchone()[0] == version


def test_an_older_word_from_the_branch_never_overwrites_a_newer_one(conn, desk):
    booking = desk.book(conn, "b1", "cash", slot(9), PHONE, True, NOW)
    _branch_says(conn, booking, "late", slot(9, 30))
    _branch_says(conn, booking, "no_show", slot(9, 11))  # redelivered late
    assert desk.find(conn, "b1", booking.code, booking.slot_start).state is BookingState.LATE


# ---- the JSON API over HTTP --------------------------------------------------------------------------


@pytest.fixture
def api(database, tmp_path) -> Iterator[WebServer]:
    port = free_port()
    (tmp_path / "app.key").write_text("app-secret-123\n")
    config = tmp_path / "head-office.toml"
    config.write_text(
        f'[database]\nconninfo = "{database}"\n\n[web]\nport = {port}\n\n[bookings]\nkey_file = "{tmp_path / "booking.key"}"\n'
        f'public_url = "http://127.0.0.1:{port}"\napp_key_file = "{tmp_path / "app.key"}"\n', encoding="utf-8",
    )
    with psycopg.connect(database, autocommit=True) as connection:
        migrate(connection)
        connection.execute("INSERT INTO branches VALUES ('b1', '陆家嘴支行', 'East')")
        every_day = Plan("b1", "cash", "个人现金", "Cash", frozenset(range(1, 8)), time(0), time(23, 30), 30, 2, 2, 6.0)
        BookingDesk(BookingSection(key_file=tmp_path / "booking.key"), SHANGHAI).import_plans(connection, [every_day])
    web = WebServer(config, port, tmp_path)
    web.start()
    yield web
    web.stop()


def _tomorrow() -> date:
    return datetime.now(SHANGHAI).date() + timedelta(days=1)


def call(web: WebServer, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{web.url}{path}", data=data, headers={"Content-Type": "application/json", **(headers or {})},
                                     method="POST" if data is not None or path.endswith("/cancel") else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_the_api_books_shows_and_cancels(api):
    status, branches = call(api, "/api/v1/branches")
    assert status == 200 and branches["branches"][0]["name"] == "陆家嘴支行"
    day = _tomorrow().isoformat()
    status, slots = call(api, f"/api/v1/slots?branch=b1&service=cash&day={day}")
    first = slots["slots"][0]
    assert status == 200 and first["left"] == 2
    status, booked = call(api, "/api/v1/bookings", {"branch": "b1", "service": "cash", "slot_start": first["slot_start"], "phone": PHONE,
                                                     "consent": True})
    assert status == 201 and booked["state"] == "booked" and booked["link"].endswith(booked["pass"]) and booked["phone_masked"] == "138****5678"
    assert call(api, f"/api/v1/bookings/{booked['pass']}")[1]["code"] == booked["code"]
    status, cancelled = call(api, f"/api/v1/bookings/{booked['pass']}/cancel")
    assert status == 200 and cancelled["state"] == "cancelled"
    assert call(api, f"/api/v1/bookings/{booked['pass']}/cancel") == (409, {"error": "already_cancelled", "message": "This booking is already cancelled."})


def test_the_api_answers_bad_input_in_words(api):
    day = _tomorrow().isoformat()
    at = datetime.combine(_tomorrow(), time(10), SHANGHAI).isoformat()
    base = {"branch": "b1", "service": "cash", "slot_start": at, "phone": PHONE, "consent": True}
    assert call(api, "/api/v1/bookings", base | {"consent": False})[1]["error"] == "consent_required"
    assert call(api, "/api/v1/bookings", base | {"extra": 1})[0] == 400
    assert call(api, "/api/v1/bookings", base | {"slot_start": "tomorrow"})[1]["error"] == "bad_request"
    # Only the bank's app, with its key, books a tier or an RM.
    assert call(api, "/api/v1/bookings", base | {"tier": "vip", "rm": "R201"}) [0] == 403
    status, vip = call(api, "/api/v1/bookings", base | {"tier": "vip", "rm": "R201", "customer_name": "王先生"}, {"X-App-Key": "app-secret-123"})
    assert status == 201 and (vip["tier"], vip["rm"]) == ("vip", "R201")
    call(api, "/api/v1/bookings", base | {"phone": "13900000001"})
    assert call(api, "/api/v1/bookings", base | {"phone": "13900000002"}) == (409, {"error": "slot_full", "message": "That time is fully booked: please choose another."})
    assert call(api, f"/api/v1/slots?branch=b1&service=cash&day={day}x")[0] == 400
    assert call(api, "/api/v1/bookings/forged.token")[0] == 404
    assert "Traceback" not in api.log()
