"""What head office makes of the branches' states (pure), the ticket page's status (pure), and
the daily report computed in a real PostgreSQL from events as the branches publish them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg.types.json import Jsonb

from head_office.accounts import LOCKOUT, AccountError, Locked, User, add_user, session_user, sign_in, sign_out
from head_office.daily_report import as_csv, daily_report
from head_office.db.schema import ensure_month, migrate
from head_office.network import SORTS, UNASSIGNED, BranchLine, branch_lines, import_branches, registry
from head_office.ticket_status import ticket_status
from lobby.contract import QueueState
from lobby.ticket_link import TicketClaim
from tests.contract_payloads import (
    agent_state,
    arrival,
    called,
    device_state,
    expired,
    no_show,
    queue_state,
    served,
    service_state,
    transferred,
    waiting_eta,
)

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
REGISTRY = {"b1": ("陆家嘴支行", "East"), "b2": ("南山支行", "South")}


def agent(state="online", beat_ago_s=5.0, heartbeat_s=10, **more) -> dict:
    return agent_state(NOW, state, beat_ago_s, heartbeat_s, **more)


def queue(**services) -> dict:
    return queue_state(NOW, **services)


service = service_state


def lines(*states) -> dict[str, BranchLine]:
    return branch_lines(REGISTRY, [(b, k, key, p, NOW) for b, k, key, p in states], NOW, 3)


# ---- the network view ------------------------------------------------------------------------

def test_a_branch_heard_within_its_heartbeats_is_reachable_with_its_queue_and_counters():
    line = lines(("b1", "agent", "", agent(outbox_pending=4)), ("b1", "queue", "", queue(cash=service(longest=700))))["b1"]
    assert line.reachable and line.why_unreachable == ""
    assert (line.waiting, line.over_target, line.counters_open, line.counters, line.outbox_pending) == (2, 1, 1, 2, 4)


@pytest.mark.parametrize("states, why", [
    ((), "never heard"),
    ((("b1", "agent", "", agent(state="offline")),), "agent is offline"),
    ((("b1", "agent", "", agent(beat_ago_s=31)),), "nothing from the branch since"),
    ((("b1", "agent", "", agent(beat_ago_s=None, heartbeat_s=None)),), "sends no heartbeat"),
    ((("b1", "agent", "", agent()), ("b1", "bridge", "", {"connected": False})), "link to head office is down"),
])
def test_why_a_branch_is_unreachable_is_said(states, why):
    line = lines(*states)["b1"]
    assert not line.reachable and why in line.why_unreachable


def test_a_reconnected_bridge_and_a_fresh_heartbeat_make_it_reachable_again():
    assert lines(("b1", "agent", "", agent()), ("b1", "bridge", "", {"connected": True}))["b1"].reachable


def test_devices_in_trouble_are_those_not_doing_their_job():
    states = [("b1", "device", d, device_state(NOW, s))
              for d, s in (("p1", "ok"), ("p2", "paper_near_end"), ("p3", "paper_out"), ("d1", "offline"), ("x", "error"))]
    assert [d.device for d in lines(*states)["b1"].devices_in_trouble] == ["p3", "d1", "x"]


def test_a_branch_not_in_the_registry_is_shown_unassigned_and_every_sort_orders_all():
    found = lines(("b9", "agent", "", agent()), ("b1", "queue", "", queue(cash=service(waiting=9))))
    assert found["b9"].region == UNASSIGNED and found["b9"].name == "b9"
    for key, order in SORTS.items():
        assert sorted(found.values(), key=order), key
    assert [b.id for b in sorted(found.values(), key=SORTS["waiting"])][0] == "b1"


def test_who_sees_which_region():
    assert User("ops", "head_office", None).sees_region("South") and User("ops", "head_office", None).sees_region(None)
    east = User("li", "regional", "East")
    assert east.sees_region("East") and not east.sees_region("South") and not east.sees_region(None)
    assert east.region_filter == "East" and User("ops", "head_office", None).region_filter is None
    tech = User("wang", "technician", None)
    assert tech.may("fleet") and not tech.may("network") and tech.sees_region("South")
    assert User("zhao", "technician", "South").region_filter == "South"


# ---- the ticket page's status ------------------------------------------------------------------

CLAIM = TicketClaim("b1", "20261205-A002", "cash", NOW + timedelta(hours=7))
ETAS = [waiting_eta("A001", 60, 0, 120), waiting_eta("A002", 400, 180, 720)]


def status(events, reachable=True, q=None):
    line = BranchLine("b1", "陆家嘴支行", "East", reachable=reachable)
    line.queue = QueueState.model_validate(queue(cash=service(etas=ETAS)) if q is None else q)
    return ticket_status(CLAIM, events, line)


def test_waiting_the_page_shows_people_ahead_and_the_wait_in_the_papers_minutes():
    s = status([("events/arrival", arrival())])
    assert (s.state, s.ahead, s.eta_min, s.eta_range_min, s.counter, s.visible) == ("waiting", 1, 7, (3, 12), None, True)
    assert (s.label, s.service_zh, s.branch_name) == ("A002", "现金", "陆家嘴支行")


def test_called_the_page_names_the_counter_and_a_recall_keeps_it():
    s = status([("events/arrival", arrival()), ("events/called", called("3")), ("events/called", called("3", recall=True))])
    assert (s.state, s.counter, s.ahead) == ("called", "3", None)


@pytest.mark.parametrize("last, state", [("events/served", "served"), ("events/no_show", "no_show"), ("events/expired", "expired")])
def test_the_end_of_a_ticket(last, state):
    end = {"events/served": served(), "events/no_show": no_show(), "events/expired": expired()}[last]
    assert status([("events/arrival", arrival()), ("events/called", called("3")), (last, end)]).state == state


def test_a_transferred_ticket_waits_again_in_its_new_service():
    q = queue(cash=service(etas=[]), enquiry=service(etas=[waiting_eta("A002", 60, 0, 120)], name_zh="咨询"))
    s = status([("events/arrival", arrival()), ("events/called", called("3")), ("events/transferred", transferred("enquiry"))], q=q)
    assert (s.state, s.service_zh, s.ahead, s.counter) == ("waiting", "咨询", 0, None)


def test_an_unreachable_branch_is_said_with_the_last_known_status():
    s = status([("events/arrival", arrival())], reachable=False)
    assert not s.visible and s.ahead == 1


def test_nothing_but_this_tickets_own_figures_goes_out():
    out = status([("events/arrival", arrival(masked_pan="622588******1234"))]).as_json()
    assert "A001" not in str(out) and "622588" not in str(out)


# ---- PostgreSQL: the registry, the accounts and the daily report -------------------------------

@pytest.fixture
def conn(database):
    with psycopg.connect(database, autocommit=True) as conn:
        migrate(conn)
        yield conn


def test_the_registry_imports_and_moves_branches_and_refuses_a_half_row(conn):
    assert import_branches(conn, [{"branch_id": "b1", "name": "陆家嘴支行", "region": "East"}]) == 1
    import_branches(conn, [{"branch_id": "b1", "name": "陆家嘴支行", "region": "Shanghai"}])
    assert registry(conn) == {"b1": ("陆家嘴支行", "Shanghai")}
    with pytest.raises(ValueError, match="line 3"):
        import_branches(conn, [{"branch_id": "b2", "name": "x", "region": "y"}, {"branch_id": "b3", "name": "", "region": "y"}])
    assert "b2" not in registry(conn)  # all or nothing


def test_accounts_sign_in_expire_and_sign_out(conn):
    with pytest.raises(AccountError, match="--region"):
        add_user(conn, "li", "long enough password", "regional", None)
    with pytest.raises(AccountError, match="at least"):
        add_user(conn, "li", "short", "head_office", None)
    add_user(conn, "li", "long enough password", "regional", "East")
    stored = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert "long enough" not in stored and stored.startswith("scrypt$131072$")
    assert sign_in(conn, "li", "wrong password!!", NOW, timedelta(hours=8)) is None
    assert sign_in(conn, "nobody", "long enough password", NOW, timedelta(hours=8)) is None
    cookie = sign_in(conn, "li", "long enough password", NOW, timedelta(hours=8))
    assert cookie and session_user(conn, cookie, NOW + timedelta(hours=7)) == User("li", "regional", "East")
    assert session_user(conn, cookie, NOW + timedelta(hours=8)) is None  # expired
    assert conn.execute("SELECT count(*) FROM sessions WHERE token_hash = %s", (cookie,)).fetchone()[0] == 0  # only its hash is kept
    cookie = sign_in(conn, "li", "long enough password", NOW, timedelta(hours=8))
    assert isinstance(cookie, str)
    sign_out(conn, cookie)
    assert session_user(conn, cookie, NOW) is None


def test_a_name_is_locked_after_five_wrong_passwords_and_opens_again_later(conn):
    add_user(conn, "li", "long enough password", "regional", "East")
    for _ in range(4):
        assert sign_in(conn, "li", "a wrong guess!", NOW, timedelta(hours=8)) is None
    assert isinstance(sign_in(conn, "li", "long enough password", NOW, timedelta(hours=8)), str)  # a success counts afresh
    for _ in range(5):
        assert sign_in(conn, "li", "a wrong guess!", NOW, timedelta(hours=8)) is None
    locked = sign_in(conn, "li", "long enough password", NOW + timedelta(minutes=14), timedelta(hours=8))
    assert locked == Locked(NOW + LOCKOUT)  # even the right password: nothing is checked while locked
    assert isinstance(sign_in(conn, "li", "long enough password", NOW + LOCKOUT, timedelta(hours=8)), str)
    add_user(conn, "li", "a new long password", "regional", "East")  # an administrator's reset also unlocks


def _event(conn, branch: str, topic: str, seq: int, at: datetime, **payload) -> None:
    ensure_month(conn, at)
    conn.execute("INSERT INTO events (event_id, at, branch, topic, seq, payload, received_by) VALUES (%s, %s, %s, %s, %s, %s, 't')",
                 (f"{branch}-{seq}", at, branch, topic, seq, Jsonb(payload)))


def test_the_daily_report_per_branch(conn):
    import_branches(conn, [{"branch_id": b, "name": n, "region": r} for b, (n, r) in REGISTRY.items()])
    conn.execute("INSERT INTO branch_state VALUES ('b1', 'queue', '', %s, now())",
                 (Jsonb({"services": {"cash": {"target_wait_s": 600}, "wealth": {"target_wait_s": 300}}}),))
    morning = datetime(2026, 12, 5, 9, 0, tzinfo=SHANGHAI)
    seq = 0

    def add(branch, topic, minutes, **payload):
        nonlocal seq
        seq += 1
        _event(conn, branch, topic, seq, morning + timedelta(minutes=minutes), **payload)

    for n, (svc, waited) in enumerate([("cash", 120), ("cash", 900), ("wealth", 200), ("wealth", 400)]):
        add("b1", "events/arrival", n, ticket_id=f"t{n}", service=svc)
        add("b1", "events/called", n + 5, ticket_id=f"t{n}", service=svc, waited_s=waited)
    add("b1", "events/called", 30, ticket_id="t0", service="cash", waited_s=2000, recall=True)  # a recall is not a second wait
    add("b1", "alerts/vip", 1, ticket_id="t2")
    add("b1", "alerts/answered", 2, kind="vip", after_s=90)
    add("b1", "alerts/answered", 3, kind="service", after_s=500)  # a low rating's alert: not a VIP answer
    for state in ("open", "accepted", "converted"):
        add("b1", "events/referral", 10, referral={"referral_id": "r1", "state": state})
    add("b1", "events/referral", 11, referral={"referral_id": "r2", "state": "open"})
    add("b2", "events/arrival", 0, ticket_id="u0", service="cash")
    _event(conn, "b1", "events/arrival", 999, morning - timedelta(days=1), ticket_id="old", service="cash")  # the day before

    rows = daily_report(conn, date(2026, 12, 5), SHANGHAI, registry(conn), None)
    b1, b2 = rows
    assert (b1.tickets, b1.called, b1.within_target, b1.vip_alerts, b1.vip_answered, b1.vip_answer_median_s) == (4, 4, 2, 1, 1, 90)
    assert b1.mean_wait_s == pytest.approx(405) and b1.p90_wait_s == pytest.approx(750)
    assert (b1.referrals, b1.converted, b1.follow_up, b1.declined) == (2, 1, 0, 0)
    assert (b2.tickets, b2.called, b2.within_target_share) == (1, 0, None)
    assert [r.branch for r in daily_report(conn, date(2026, 12, 5), SHANGHAI, registry(conn), "South")] == ["b2"]
    csv_text = as_csv(rows)
    assert csv_text.splitlines()[0].startswith("branch,name,region,tickets") and "陆家嘴支行" in csv_text
    assert daily_report(conn, date(2026, 12, 6), SHANGHAI, registry(conn), None) == []


def test_the_daily_report_counts_each_branch_s_bookings(conn):
    import_branches(conn, [{"branch_id": b, "name": n, "region": r} for b, (n, r) in REGISTRY.items()])
    slot = datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI)
    for code, state, changed in (("100001", "checked_in", -12), ("100002", "checked_in", 4), ("100003", "late", 25),
                                 ("100004", "no_show", 11), ("100005", "cancelled", None), ("100006", "booked", None)):
        conn.execute(
            "INSERT INTO bookings (branch, code, slot_start, business_day, service, slot_minutes, phone_key, phone_masked, state, changed_at) "
            "VALUES ('b1', %s, %s, '2026-12-05', 'cash', 15, 'k', '138****0000', %s, %s)",
            (code, slot, state, None if changed is None else slot + timedelta(minutes=changed)),
        )
    # The first appointment ticket is called 6 minutes after the slot, the second 2 minutes before it (counted 0).
    for seq, (code, ticket, called_after) in enumerate((("100001", "t1", 6), ("100002", "t2", -2)), start=1):
        _event(conn, "b1", "events/appointment", seq, slot, code=code, state="checked_in", ticket_id=ticket)
        _event(conn, "b1", "events/called", 10 + seq, slot + timedelta(minutes=called_after), ticket_id=ticket, service="cash", waited_s=60)
    [b1] = daily_report(conn, date(2026, 12, 5), SHANGHAI, registry(conn), None)
    assert (b1.bookings, b1.booked_checked_in, b1.booked_early, b1.booked_late, b1.booked_no_show, b1.booked_cancelled) == (5, 2, 1, 1, 1, 1)
    assert b1.called_after_slot_s == pytest.approx(180)
    assert "booked_no_show" in as_csv([b1]).splitlines()[0]
