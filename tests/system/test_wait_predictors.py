"""The wait we promise: five predictors keep the same rules, the learned one beats today's on
days it never saw, and the agent falls back, with a log line, whenever it cannot learn."""

from __future__ import annotations

import logging
import pickle
import statistics
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge_agent.branch import Branch, queue_setup
from edge_agent.desks.waits import WaitDesk, model_path
from edge_agent.queue.engine import QueueEngine
from edge_agent.queue.predictors import LastToEnterService, Naive, QueueLength, Today
from edge_agent.queue.situation import WaitSituation
from edge_agent.store.db import Store
from edge_agent.wait_model import learned, training
from edge_agent.wait_model.samples import Sample
from lobby.config import load_config
from tests.conftest import REPO
from tools.branch_sim import engine_day as simulate

ROOT = REPO
SHANGHAI = ZoneInfo("Asia/Shanghai")
SERVICES = ["cash", "noncash", "corporate", "wealth", "enquiry"]


@pytest.fixture(scope="module")
def simulated() -> list[simulate.Visit]:
    """Seven weeks at the example branch: six to learn from, the seventh held out."""
    config = load_config(ROOT / "config/branch.example.toml")
    engine = QueueEngine(*queue_setup(config), config.branch.zone)
    return simulate.run_days(engine, seed=7, days=35, profile=simulate.DayProfile.load(ROOT / "bench/scenarios/weekday.toml"))


@pytest.fixture(scope="module")
def model(simulated) -> learned.LearnedPredictor:
    days = sorted({v.day for v in simulated})
    return learned.train([Sample(v.situation, v.waited_s, v.day) for v in simulated if v.day <= days[29]], days[29])


def test_the_learned_model_beats_todays_estimator_on_a_held_out_week(simulated, model):
    held_out = [v for v in simulated if v.day > date.fromisoformat(model.info.last_day) and v.situation.counters_open]
    assert len({v.day for v in held_out}) == 5 and len(held_out) > 1000
    situations = [v.situation for v in held_out]

    def mae(predictor) -> float:
        return statistics.mean(abs(e.expected_s - v.waited_s) for e, v in zip(predictor.predict(situations), held_out, strict=True))

    learned_mae, today_mae = mae(model), mae(Today())
    assert learned_mae < 0.93 * today_mae, (learned_mae, today_mae)
    inside = statistics.mean(
        e.low_s <= v.waited_s <= e.high_s for e, v in zip(model.predict(situations), held_out, strict=True)
    )
    assert 0.72 <= inside <= 0.88, inside


situations = st.builds(
    WaitSituation,
    service=st.sampled_from(SERVICES),
    tier=st.sampled_from(["vip", "potential", "prospect", "mass"]),
    weekday=st.integers(0, 6),
    minute_of_day=st.integers(0, 24 * 60 - 1),
    ahead=st.integers(0, 80),
    ahead_priority=st.integers(0, 80),
    ahead_mass=st.integers(0, 80),
    waiting_service=st.integers(0, 100),
    waiting_shared=st.integers(0, 100),
    counters_open=st.integers(0, 6),
    counters_idle=st.integers(0, 6),
    serving_elapsed_s=st.none() | st.floats(0, 7200),
    capacity=st.floats(0, 6),
    mean_service_s=st.floats(1, 3600),
    sd_service_s=st.floats(0, 3600),
    profile=st.sampled_from(["", "fifo", "ratio", "accumulating"]),
    tier_priority=st.booleans(),
    today_s=st.none() | st.floats(0, 20000),
    today_low_s=st.none() | st.floats(0, 20000),
    today_high_s=st.none() | st.floats(0, 20000),
    les_s=st.none() | st.floats(0, 20000),
    les_age_s=st.none() | st.floats(0, 3600),
    recent_wait_s=st.none() | st.floats(0, 20000),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(situation=situations)
def test_every_predictor_keeps_the_rules(model, situation):
    predictors = [Naive(dict.fromkeys(SERVICES, 300.0)), Today(), LastToEnterService(), QueueLength(), model]
    for predictor in predictors:
        [estimate] = predictor.predict([situation])
        if situation.counters_open == 0:
            assert estimate is None, predictor.name
            continue
        if predictor.name in ("today", "les") and situation.today_s is None and estimate is None:
            continue  # today's estimator has no figure to give
        assert estimate is not None, predictor.name
        assert 0 <= estimate.low_s <= estimate.expected_s <= estimate.high_s, (predictor.name, estimate)
        if situation.ahead < situation.counters_idle:
            assert estimate.expected_s == estimate.high_s == 0, predictor.name  # a free counter takes it now


def test_training_on_no_history_or_one_day_is_refused_with_the_reason(simulated):
    with pytest.raises(learned.NotEnoughHistory, match="0 tickets over 0 days"):
        learned.train([], date(2026, 12, 4))
    first = simulated[0].day
    one_day = [Sample(v.situation, v.waited_s, first) for v in simulated if v.day == first]
    with pytest.raises(learned.NotEnoughHistory, match="over 1 days"):
        learned.train(one_day, first)


def test_a_saved_model_loads_and_predicts_the_same(tmp_path, model, simulated):
    path = tmp_path / "wait-model.pkl"
    learned.save(model, path)
    assert path.stat().st_mode & 0o077 == 0  # the agent's own file: nobody else reads or swaps it
    again = learned.load(path)
    sample = [v.situation for v in simulated[:50]]
    assert again.predict(sample) == model.predict(sample)


@pytest.mark.parametrize(
    "spoil, says",
    [
        (lambda path: path.unlink(), "no wait model"),
        (lambda path: path.write_bytes(path.read_bytes()[:200]), "unreadable"),
        (lambda path: path.write_bytes(b"not a model at all"), "unreadable"),
        (lambda path: _rewrite(path, sklearn="0.24.2"), "scikit-learn 0.24.2"),
        (lambda path: _rewrite(path, features=["ahead"]), "other features"),
        (lambda path: _rewrite(path, format=99), "format"),
    ],
    ids=["missing", "truncated", "foreign", "other-sklearn", "other-features", "other-format"],
)
def test_a_model_that_cannot_be_used_is_refused_with_a_log_line_and_queue_length_answers(
    branch_config, model, caplog, spoil, says
):
    path = model_path(branch_config)
    learned.save(model, path)
    spoil(path)
    store = Store(branch_config.store.path)
    try:
        with caplog.at_level(logging.INFO, logger="edge_agent.desks.waits"):
            desk = WaitDesk(branch_config, store)
    finally:
        store.close()
    assert desk.name == "queue_length"
    assert says in desk.described
    assert any(says in r.getMessage() and "Traceback" not in r.getMessage() for r in caplog.records)


def _rewrite(path: Path, **changes) -> None:
    payload = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps(payload | changes))


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _serve_a_morning(branch: Branch, clock: Clock, day: date, customers: int) -> None:
    """Customers every 90 s at two cash counters taking 4 min each, driven through the branch."""
    clock.now = datetime.combine(day, datetime.min.time(), SHANGHAI).replace(hour=9)
    for counter in ("1", "2"):
        branch.counter_open(counter)
    busy_until = {"1": clock.now, "2": clock.now}
    for _ in range(customers):
        clock.now += timedelta(seconds=90)
        branch.issue_ticket("cash")
        for counter, free_at in busy_until.items():
            if free_at <= clock.now:
                if branch.engine.counter(counter).serving:
                    branch.complete(counter)
                if any(t.state == "waiting" for t in branch.engine.open_tickets()):
                    branch.call_next(counter)
                    busy_until[counter] = clock.now + timedelta(minutes=4)
    clock.now += timedelta(hours=2)
    for counter in ("1", "2"):  # serve whoever is left, then close
        while branch.engine.counter(counter).serving or any(t.state == "waiting" for t in branch.engine.open_tickets()):
            if branch.engine.counter(counter).serving:
                branch.complete(counter)
            if any(t.state == "waiting" for t in branch.engine.open_tickets()):
                branch.call_next(counter)
            clock.now += timedelta(minutes=1)
        branch.counter_close(counter)


@pytest.fixture
def young_branch(branch_toml) -> Iterator[tuple[Branch, Clock]]:
    """The example branch, learning once it has 2 days and 60 tickets of history (not 5 and 500)."""
    text = branch_toml.read_text(encoding="utf-8")
    branch_toml.write_text(text.replace("min_history_days = 5", "min_history_days = 2").replace("min_tickets = 500", "min_tickets = 60"))
    clock = Clock(datetime(2026, 11, 23, 9, tzinfo=SHANGHAI))
    branch = Branch.open(load_config(branch_toml), clock)
    yield branch, clock
    branch.close()


def test_the_agent_learns_from_its_own_days_after_the_close(young_branch, caplog):
    branch, clock = young_branch
    assert branch.waits.name == "queue_length"
    _serve_a_morning(branch, clock, date(2026, 11, 23), 40)
    # One day is not enough: the desk says so without starting a training, and
    # queue-length keeps answering.
    with caplog.at_level(logging.INFO, logger="edge_agent.desks.waits"):
        branch.waits.after_close(date(2026, 11, 23))
    assert branch.waits._training is None and branch.waits.name == "queue_length"
    assert any("not enough history to learn yet (40 tickets over 1 days; 60 over 2 needed)" in r.getMessage() for r in caplog.records)

    for day in (24, 25, 26):
        _serve_a_morning(branch, clock, date(2026, 11, day), 40)
    branch.waits.after_close(date(2026, 11, 26))
    assert _wait_for_training(branch)
    assert branch.waits.name == learned.NAME
    assert "on 4 days" in branch.waits.described
    branch.waits.after_close(date(2026, 11, 26))  # once per closed day
    assert branch.waits._training is None

    clock.now = datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI)
    branch.counter_open("1")
    branch.issue_ticket("cash")
    branch.call_next("1")  # the counter is busy: the next customer really waits
    answer = branch.issue_ticket("cash")
    assert answer.eta_s is not None and answer.eta_s > 0
    row = branch.store.conn.execute(
        "SELECT predictor, eta_s FROM wait_situations WHERE ticket_id = ?", (answer.ticket_id,)
    ).fetchone()
    assert row["predictor"] == learned.NAME and round(row["eta_s"]) == answer.eta_s
    state = branch.queue_state().services["cash"]
    assert [w.ticket for w in state.waiting_etas] == [answer.ticket]


def _wait_for_training(branch: Branch) -> bool:
    import time

    deadline = time.monotonic() + 120
    while branch.waits._training is not None and time.monotonic() < deadline:
        if branch.waits.poll():
            return True
        time.sleep(0.1)
    return False


def test_the_training_process_says_in_words_when_the_store_cannot_be_read(tmp_path, capsys):
    status = training.main(["--store", str(tmp_path / "missing.db"), "--model", str(tmp_path / "m.pkl"), "--through", "2026-12-04"])
    assert status == 1
    said = capsys.readouterr().out
    assert said.startswith("the wait model could not be trained:") and "Traceback" not in said


def test_a_first_call_ends_the_wait_and_a_recall_or_transfer_does_not_move_it(branch_config):
    clock = Clock(datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))
    branch = Branch.open(branch_config, clock)
    try:
        branch.counter_open("3")
        ticket = branch.issue_ticket("cash")
        clock.now += timedelta(minutes=3)
        branch.call_next("3")
        clock.now += timedelta(minutes=1)
        branch.recall("3")
        branch.transfer(ticket.ticket, "noncash", counter="3")
        clock.now += timedelta(minutes=5)
        branch.call_next("3")
        waited = branch.store.conn.execute("SELECT waited_s FROM wait_situations WHERE ticket_id = ?", (ticket.ticket_id,)).fetchone()
        assert waited["waited_s"] == 180
    finally:
        branch.close()


def test_situations_are_the_same_after_a_restart(branch_config):
    """The recent calls the LES and learned predictors read come back from the store."""
    clock = Clock(datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))
    branch = Branch.open(branch_config, clock)
    try:
        branch.counter_open("1")
        for _ in range(3):
            branch.issue_ticket("cash")
            clock.now += timedelta(minutes=2)
        branch.call_next("1")
        before = branch.engine.situation("cash", "mass", [], clock.now)
    finally:
        branch.close()
    again = Branch.open(branch_config, clock)
    try:
        after = again.engine.situation("cash", "mass", [], clock.now)
        # The learned service time is relearned from served tickets only (none yet).
        assert replace(after, sd_service_s=before.sd_service_s) == before
        assert after.les_s == 360
    finally:
        again.close()


def test_a_ticket_a_free_counter_takes_says_now_on_paper_and_on_the_kiosk():
    from edge_agent.devices.printer.ticket_layout import TicketPrintJob, ticket_lines
    from kiosk.service_menu import wait_line
    from lobby.waits import wait_minutes

    now = wait_minutes((0, 0))
    assert now is not None and now.now
    soon = wait_minutes((0, 40))
    assert soon is not None and not soon.now and soon.high == 1
    job = TicketPrintJob(
        branch_name="浦东陆家嘴支行", service_zh="个人现金", service_en="Cash", label="A001", ahead=0,
        wait_low_min=now.low, wait_high_min=now.high, issued_at=datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI), qr_text="20261123-A001",
    )
    lines = ticket_lines(job)
    assert (lines["wait_zh"], lines["wait_en"]) == ("窗口空闲，马上为您叫号", "A counter is free: you are called now")
    assert wait_line([0, 0], "zh") == "窗口空闲，马上为您叫号"
    assert wait_line([0, 0], "en") == "A counter is free: you are called now"


def test_the_technician_asks_which_predictor_answers_and_trains_by_hand(branch_toml, capsys):
    from edge_agent import cli

    assert cli.main(["--config", str(branch_toml), "wait-model", "show"]) == 0
    assert "queue_length (no wait model at" in capsys.readouterr().out
    Branch.open(load_config(branch_toml)).close()  # a store with no history yet
    assert cli.main(["--config", str(branch_toml), "wait-model", "train", "--through", "2026-12-04"]) == training.NOT_ENOUGH_HISTORY
    said = capsys.readouterr().out
    assert "not enough history to learn the wait yet: 0 tickets over 0 days" in said and "Traceback" not in said


@pytest.mark.parametrize(
    "now, closed",
    [
        (datetime(2026, 11, 23, 16, 0), date(2026, 11, 22)),  # Monday, still open: Sunday was the last day to end
        (datetime(2026, 11, 23, 17, 20), date(2026, 11, 22)),  # closed at 17:00, the 30 min grace still running
        (datetime(2026, 11, 23, 17, 31), date(2026, 11, 23)),  # Monday has ended: learn from it
        (datetime(2026, 11, 29, 11, 0), date(2026, 11, 29)),  # Sunday, closed all day
    ],
)
def test_the_agent_learns_once_a_business_day_has_ended(branch_config, now, closed):
    branch = Branch.open(branch_config, Clock(now.replace(tzinfo=SHANGHAI)))
    try:
        assert branch.last_closed_day() == closed
    finally:
        branch.close()


def test_the_paper_ticket_prints_the_middle_figure_before_the_range():
    from edge_agent.devices.printer.ticket_layout import TicketPrintJob, ticket_lines

    job = TicketPrintJob(
        branch_name="浦东陆家嘴支行", service_zh="个人现金", service_en="Cash", label="A014", ahead=3, wait_low_min=3, wait_high_min=9,
        wait_mid_min=5, issued_at=datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI), qr_text="20261123-A014",
    )
    lines = ticket_lines(job)
    assert (lines["wait_zh"], lines["wait_en"]) == ("预计等候：约5分钟（3～9）", "Estimated wait: about 5 min (3-9)")


def test_a_training_that_fails_is_logged_in_a_sentence_and_the_fallback_keeps_answering(young_branch, tmp_path, caplog):
    branch, clock = young_branch
    for day in (23, 24):
        _serve_a_morning(branch, clock, date(2026, 11, day), 40)
    branch.waits.path = tmp_path / "in-the-way"
    branch.waits.path.mkdir()  # the model cannot be written where a folder stands
    with caplog.at_level(logging.INFO, logger="edge_agent.desks.waits"):
        branch.waits.after_close(date(2026, 11, 24))
        assert not _wait_for_training(branch)
    assert branch.waits._training is None and branch.waits.name == "queue_length"
    failed = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert failed and failed[0].startswith("wait estimate: training failed (the wait model could not be trained:")
    assert "Traceback" not in " ".join(failed)


@given(st.lists(st.tuples(st.sampled_from(SERVICES), st.floats(0, 3600), st.floats(0, 3600), st.floats(0, 3600), st.floats(0, 3600)), max_size=40))
def test_the_report_counts_each_promise_once_per_service_and_once_overall(rows):
    from edge_agent.reports.promise_figures import PromiseRow, compute_promise

    promises = [PromiseRow(service, "learned-hgb", told, min(a, b), max(a, b), waited) for service, told, a, b, waited in rows]
    figures = compute_promise(promises)
    assert figures.all.told == len(promises) == sum(k.told for k in figures.per_service.values())
    assert figures.all.inside == sum(p.low_s <= p.waited_s <= p.high_s for p in promises)
    if promises:
        assert figures.all.mae_min is not None and figures.all.mae_min >= 0 and 0 <= (figures.all.inside_pct or 0) <= 100
