"""What head office makes of the branches' states (pure), the ticket page's status (pure), and
the daily report computed in a real PostgreSQL from events as the branches publish them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg.types.json import Jsonb

from head_office.accounts import LOCKOUT, AccountError, Locked, User, add_user, session_user, sign_in, sign_out
from head_office.daily_report import as_csv, daily_report
from head_office.db.schema import ensure_month, migrate
from head_office.network import import_branches, registry
from tests.head_office.network_states import NOW, REGISTRY

SHANGHAI = ZoneInfo("Asia/Shanghai")






# ---- the network view ------------------------------------------------------------------------


# ---- the ticket page's status ------------------------------------------------------------------





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
