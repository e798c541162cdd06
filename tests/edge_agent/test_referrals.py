"""识别转介 inside the branch: referrals from the counter and from a VIP alert, the RM's
acceptance and outcome, prospects, the follow-up list, and every refusal in words."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.cli import main as cli
from edge_agent.queue.engine import QueueError
from edge_agent.rules.referrals import FINAL, TRANSITIONS, OutcomeForm, advance, check_outcome
from edge_agent.store import outbox
from edge_agent.store.retention import close_day
from lobby.contract import CardIdentity, ErrorCode, ReferralState, Tier
from lobby.phones import mask_phone
from tests.clocks import SHANGHAI
from tests.staff_helpers import PINS

PHONE = "13812345678"



@pytest.fixture
def people(staffed):
    def sign(staff_id, page, counter=None):
        return staffed.staff.sign_in(staff_id, PINS[staff_id], page, counter).session

    teller = sign("T301", "teller", "3")
    staffed.counter_open("3", session=teller)
    return {"teller": teller, "manager": sign("M101", "manager"), "rm": sign("R201", "rm"), "rm2": sign("R202", "rm")}


def refusal(call) -> QueueError:
    with pytest.raises(QueueError) as caught:
        call()
    return caught.value


def serve_one(the_branch, people, card=None):
    the_branch.issue_ticket("cash", card=card)
    return the_branch.call_next("3", session=people["teller"]).ticket


def referral_events(the_branch) -> list[dict]:
    return [json.loads(e.payload) for e in outbox.pending(the_branch.store, limit=1000) if e.topic == "events/referral"]


# ---- the lifecycle, exhaustively --------------------------------------------------------------


@given(st.lists(st.sampled_from(list(ReferralState)), max_size=8))
def test_every_path_through_the_lifecycle_follows_the_table(steps):
    state = ReferralState.OPEN
    for step in steps:
        if step in TRANSITIONS[state]:
            state = advance(state, step)
        else:
            with pytest.raises(QueueError):
                advance(state, step)
        assert state not in FINAL or not TRANSITIONS[state]


def test_each_outcome_needs_its_own_fields():
    today = date(2026, 12, 5)

    def form(outcome, **fields):
        base = {"product": "", "follow_up_on": None, "channel": None, "phone": None, "consent": False}
        return OutcomeForm(outcome, **(base | fields))

    for bad, code in [
        (form(ReferralState.CONVERTED), ErrorCode.OUTCOME_INCOMPLETE),
        (form(ReferralState.FOLLOW_UP, channel="phone"), ErrorCode.OUTCOME_INCOMPLETE),
        (form(ReferralState.FOLLOW_UP, follow_up_on=today - timedelta(days=1), channel="visit"), ErrorCode.OUTCOME_INCOMPLETE),
        (form(ReferralState.FOLLOW_UP, follow_up_on=today, channel="phone", phone=PHONE), ErrorCode.CONSENT_REQUIRED),
        (form(ReferralState.DECLINED, phone=PHONE, consent=True), ErrorCode.CONSENT_REQUIRED),
    ]:
        with pytest.raises(QueueError) as caught:
            check_outcome(bad, today)
        assert caught.value.code is code and PHONE not in caught.value.message
    check_outcome(form(ReferralState.FOLLOW_UP, follow_up_on=today, channel="phone", phone=PHONE, consent=True), today)
    assert mask_phone(PHONE) == "138****5678" and mask_phone("+8613812345678") == "861******5678"


# ---- the SOP, end to end inside the branch -----------------------------------------------------


def test_a_vip_alert_referred_to_the_pool_is_accepted_and_followed_up(staffed, people, vip_card, clock):
    answer = staffed.issue_ticket("cash", card=vip_card)
    alert_id = staffed.store.conn.execute("SELECT alert_id FROM alerts").fetchone()[0]
    referral = staffed.referrals.refer(people["manager"], None, alert_id, None, "vip_room", [], "在贵宾区等候", "", transaction="r1").referral
    assert (referral.state, referral.source, referral.customer_name, referral.tier) == ("open", "vip_alert", "王先生", Tier.VIP)
    assert referral.ticket == answer.ticket and referral.referrer_name == "张敏"
    acked = staffed.store.conn.execute("SELECT acked_by, outcome FROM alerts").fetchone()
    assert tuple(acked) == ("M101", "referred")  # the alert's answer, in the same transaction
    clock.advance(minutes=2)
    accepted = staffed.referrals.accept(people["rm"], referral.referral_id).referral
    assert (accepted.state, accepted.accepted_by_name) == ("accepted", "王理财")
    follow = date(2026, 11, 30)
    form = OutcomeForm(ReferralState.FOLLOW_UP, "", follow, "phone", PHONE, True)
    done = staffed.referrals.record_outcome(people["rm"], referral.referral_id, form, True, "对大额存单有兴趣").referral
    assert done.state == "follow_up" and done.phone is None and done.phone_masked == "138****5678"
    assert [e["referral"]["state"] for e in referral_events(staffed)] == ["open", "accepted", "follow_up"]
    assert PHONE not in json.dumps(referral_events(staffed))
    own = staffed.referrals.listing(people["rm"])
    assert [r.phone for r in own.follow_ups] == [PHONE]
    manager_view = staffed.referrals.listing(people["manager"])
    assert manager_view.referrals[0].phone is None and manager_view.referrals[0].phone_masked == "138****5678"
    other_rm = staffed.referrals.listing(people["rm2"])
    assert other_rm.follow_ups == [] and all(r.phone is None for r in other_rm.referrals)


def test_a_teller_refers_the_customer_at_the_counter_with_triggers(staffed, people):
    ticket = serve_one(staffed, people)
    made = staffed.referrals.refer(people["teller"], ticket, None, "R202", "rm", ["large_cash", "wealth_enquiry"], "", "李女士").referral
    assert (made.source, made.triggers, made.to_rm_name, made.customer_name) == ("counter", ["large_cash", "wealth_enquiry"], "赵理财", "李女士")
    assert refusal(lambda: staffed.referrals.accept(people["rm"], made.referral_id)).code is ErrorCode.NOT_YOUR_REFERRAL
    staffed.referrals.accept(people["rm2"], made.referral_id)
    converted = OutcomeForm(ReferralState.CONVERTED, "大额存单", None, None, None, False)
    assert staffed.referrals.record_outcome(people["rm2"], made.referral_id, converted, True, "").referral.product == "大额存单"


def test_bad_referrals_are_refused_and_change_nothing(staffed, people):
    ticket = serve_one(staffed, people)
    cases = [
        (lambda: staffed.referrals.refer(people["teller"], ticket, None, None, "rm", ["nonsense"], "", ""), ErrorCode.UNKNOWN_TRIGGER),
        (lambda: staffed.referrals.refer(people["teller"], "A999", None, None, "rm", ["large_cash"], "", ""), ErrorCode.UNKNOWN_TICKET),
        (lambda: staffed.referrals.refer(people["teller"], ticket, None, "T302", "rm", ["large_cash"], "", ""), ErrorCode.UNKNOWN_RM),
        (lambda: staffed.referrals.refer(people["teller"], ticket, None, None, "rm", [], "", ""), ErrorCode.INVALID),
        (lambda: staffed.referrals.refer(people["rm"], ticket, None, None, "rm", ["large_cash"], "", ""), ErrorCode.WRONG_ROLE),
        (lambda: staffed.referrals.refer(people["manager"], None, "0" * 32, None, "rm", [], "", ""), ErrorCode.UNKNOWN_ALERT),
    ]
    for call, code in cases:
        assert refusal(call).code is code
    staffed.complete("3", session=people["teller"])
    finished = refusal(lambda: staffed.referrals.refer(people["teller"], ticket, None, None, "rm", ["large_cash"], "", ""))
    assert finished.code is ErrorCode.TICKET_FINISHED and "finished (served)" in finished.message
    assert staffed.store.conn.execute("SELECT COUNT(*) FROM referrals").fetchone()[0] == 0 and referral_events(staffed) == []


def test_outcomes_are_the_accepting_rms_and_recorded_once(staffed, people):
    ticket = serve_one(staffed, people)
    made = staffed.referrals.refer(people["teller"], ticket, None, None, "rm", ["premium_card"], "", "").referral
    declined = OutcomeForm(ReferralState.DECLINED, "", None, None, None, False)
    record = staffed.referrals.record_outcome
    assert refusal(lambda: record(people["rm"], made.referral_id, declined, None, "")).code is ErrorCode.REFERRAL_NOT_ACCEPTED
    staffed.referrals.accept(people["rm"], made.referral_id)
    taken = refusal(lambda: staffed.referrals.accept(people["rm2"], made.referral_id))
    assert taken.code is ErrorCode.REFERRAL_TAKEN and "王理财 already accepted" in taken.message
    assert refusal(lambda: record(people["rm2"], made.referral_id, declined, None, "")).code is ErrorCode.NOT_YOUR_REFERRAL
    assert refusal(lambda: record(people["teller"], made.referral_id, declined, None, "")).code is ErrorCode.WRONG_ROLE
    record(people["rm"], made.referral_id, declined, None, "")
    again = refusal(lambda: record(people["rm"], made.referral_id, declined, None, ""))
    assert again.code is ErrorCode.OUTCOME_ALREADY_RECORDED
    assert refusal(lambda: record(people["rm"], "f" * 32, declined, None, "")).code is ErrorCode.UNKNOWN_REFERRAL
    assert staffed.store.conn.execute("SELECT state FROM referrals").fetchone()[0] == "declined"


def test_a_ticket_is_referred_once(staffed, people):
    ticket = serve_one(staffed, people)
    staffed.referrals.refer(people["teller"], ticket, None, None, "rm", ["large_fx"], "", "")
    again = refusal(lambda: staffed.referrals.refer(people["teller"], ticket, None, None, "rm", ["large_fx"], "", ""))
    assert again.code is ErrorCode.ALREADY_REFERRED


# ---- prospects ---------------------------------------------------------------------------------


def test_a_swiped_customer_marked_as_prospect_is_recognised_next_time_and_can_be_unmarked(staffed, people, branch_config):
    from lobby.card_key import card_token, load_or_create_key

    key = load_or_create_key(branch_config.security.key_file)
    card = CardIdentity(token=card_token(key, "6222029876543210"), masked_pan="622202******3210")
    ticket = serve_one(staffed, people, card=card)
    assert staffed.identify_card(card).tier is Tier.MASS
    marked = staffed.referrals.mark_prospect(people["teller"], ticket, "询问大额存单", "孙先生")
    assert (marked.tier, marked.by) == (Tier.PROSPECT, "T301")
    again = staffed.identify_card(card)
    assert (again.tier, again.display_name) == (Tier.PROSPECT, "孙先生")
    audit = staffed.store.conn.execute("SELECT detail FROM ticket_events WHERE kind = 'prospect_marked'").fetchone()[0]
    assert json.loads(audit) == {"by": "T301", "reason": "询问大额存单"}
    assert staffed.referrals.unmark_prospect(people["manager"], ticket).tier is Tier.MASS
    assert staffed.identify_card(card).tier is Tier.MASS
    assert refusal(lambda: staffed.referrals.unmark_prospect(people["manager"], ticket)).code is ErrorCode.NOT_A_PROSPECT


def test_prospects_need_a_card_and_never_demote_a_vip(staffed, people, vip_card):
    plain = serve_one(staffed, people)
    assert refusal(lambda: staffed.referrals.mark_prospect(people["teller"], plain, "看理财", "")).code is ErrorCode.NO_CARD
    staffed.complete("3", session=people["teller"])
    vip = serve_one(staffed, people, card=vip_card)
    assert refusal(lambda: staffed.referrals.mark_prospect(people["teller"], vip, "看理财", "")).code is ErrorCode.ALREADY_VIP


# ---- the follow-up list and retention -----------------------------------------------------------


def test_the_follow_up_list_by_rm_with_due_dates(staffed, people, branch_toml, tmp_path, clock, capsys):
    ticket = serve_one(staffed, people)
    made = staffed.referrals.refer(people["teller"], ticket, None, None, "rm", ["large_loan"], "房贷提前还款", "周女士").referral
    staffed.referrals.accept(people["rm"], made.referral_id)
    form = OutcomeForm(ReferralState.FOLLOW_UP, "", date(2026, 11, 25), "phone", PHONE, True)
    staffed.referrals.record_outcome(people["rm"], made.referral_id, form, True, "下周二回电")
    day = clock().date().isoformat()
    assert cli(["followups", "--date", day, "--out", str(tmp_path / "out"), "--config", str(branch_toml)]) == 0
    assert "1 open follow-up(s)" in capsys.readouterr().out
    page = (tmp_path / "out" / f"followups-{day}.html").read_text(encoding="utf-8")
    assert "王理财" in page and "周女士" in page and PHONE in page and "大额贷款业务以及还款" in page and "2026-11-25" in page
    rows = (tmp_path / "out" / f"followups-{day}.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("rm,rm_name,due,overdue") and rows[1].startswith("R201,王理财,2026-11-25,,周女士")
    clock.advance(days=3)
    later = clock().date().isoformat()
    cli(["followups", "--date", later, "--out", str(tmp_path / "out"), "--config", str(branch_toml)])
    assert ",yes," in (tmp_path / "out" / f"followups-{later}.csv").read_text(encoding="utf-8-sig")


def test_retention_erases_a_referrals_phone(staffed, people, clock, branch_config):
    ticket = serve_one(staffed, people)
    made = staffed.referrals.refer(people["teller"], ticket, None, None, "rm", ["large_loan"], "", "").referral
    staffed.referrals.accept(people["rm"], made.referral_id)
    staffed.referrals.record_outcome(people["rm"], made.referral_id, OutcomeForm(ReferralState.FOLLOW_UP, "", date(2026, 11, 30), "phone", PHONE, True), None, "")
    report = close_day(staffed.store, clock().date() + timedelta(days=branch_config.store.retention_days + 1), branch_config.store.retention_days)
    assert report.erased_contacts == 1
    dump = "\n".join(sqlite3.connect(branch_config.store.path).iterdump())
    assert PHONE not in dump


# ---- the report ---------------------------------------------------------------------------------


def test_referral_figures_count_who_why_how_fast_and_what_came_of_it():
    from datetime import datetime

    from edge_agent.reports.referral_figures import ReferralRow, compute_referrals

    at = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    rows = [
        ReferralRow(at, "陈柜员 (T301)", ("large_cash", "wealth_enquiry"), "converted", "王理财 (R201)", at + timedelta(minutes=3)),
        ReferralRow(at, "陈柜员 (T301)", ("large_cash",), "follow_up", "王理财 (R201)", at + timedelta(minutes=9)),
        ReferralRow(at, "张敏 (M101)", (), "declined", "赵理财 (R202)", at + timedelta(minutes=1)),
        ReferralRow(at, "张敏 (M101)", (), "open", None, None),
    ]
    figures = compute_referrals(rows, accept_target_min=5, open_follow_ups=1)
    assert (figures.total, figures.accepted, figures.accepted_within_target, figures.within_target_pct) == (4, 3, 2, 50.0)
    assert figures.accept_median_min == 3.0 and figures.per_trigger["large_cash"] == 2
    assert figures.per_referrer == {"陈柜员 (T301)": 2, "张敏 (M101)": 2}
    assert figures.per_rm["王理财 (R201)"].conversion_pct == 50.0 and figures.per_rm["赵理财 (R202)"].conversion_pct == 0.0
    assert compute_referrals([], 5, 0).within_target_pct is None


def test_the_daily_report_has_the_referrals(staffed, people, branch_toml, tmp_path, clock):
    ticket = serve_one(staffed, people)
    made = staffed.referrals.refer(people["teller"], ticket, None, None, "rm", ["large_cash", "premium_card"], "", "").referral
    clock.advance(minutes=2)
    staffed.referrals.accept(people["rm"], made.referral_id)
    staffed.referrals.record_outcome(people["rm"], made.referral_id, OutcomeForm(ReferralState.CONVERTED, "大额存单", None, None, None, False), True, "")
    day = clock().date().isoformat()
    assert cli(["report", "--date", day, "--out", str(tmp_path / "report"), "--config", str(branch_toml)]) == 0
    page = (tmp_path / "report" / f"report-{day}.html").read_text(encoding="utf-8")
    assert "识别转介 Referrals" in page and "大额存取现金或汇款" in page and "陈柜员 (T301)" in page and "王理财 (R201)" in page
    assert "100.0%" in page  # accepted within the 5 minutes, and converted
    rows = (tmp_path / "report" / f"report-{day}.csv").read_text(encoding="utf-8-sig").splitlines()
    assert "rm,王理财 (R201),1,1,0,0,,100.0,," in rows and "referral_trigger,premium_card,1,,,,,,," in rows
