"""The durable branch: one transaction per operation, idempotent retries, events in the outbox."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from edge_agent.branch import Branch
from edge_agent.queue.engine import QueueError
from edge_agent.store import outbox
from edge_agent.store.db import Store
from lobby.contract import CardIdentity
from tests.clocks import SHANGHAI
from tests.queue_helpers import state_of

VIP_PAN = "6222021234567890128"










def outbox_topics(branch: Branch) -> list[str]:
    return [entry.topic for entry in outbox.pending(branch.store, limit=1000)]


def test_ticket_writes_ticket_event_and_arrival_together(branch):
    answer = branch.issue_ticket("cash", kiosk="k1", transaction="t-1")
    assert answer.ticket == "A001"
    row = branch.store.conn.execute("SELECT * FROM tickets").fetchone()
    assert (row["label"], row["state"], row["kiosk"]) == ("A001", "waiting", "k1")
    kinds = [r["kind"] for r in branch.store.conn.execute("SELECT kind FROM ticket_events")]
    assert kinds == ["issued"]
    (entry,) = outbox.pending(branch.store)
    assert entry.topic == "events/arrival"
    assert json.loads(entry.payload)["ticket"] == "A001"


def test_repeated_transaction_returns_first_answer_and_changes_nothing(branch, clock):
    first = branch.issue_ticket("cash", transaction="same")
    clock.advance(seconds=5)
    again = branch.issue_ticket("cash", transaction="same")
    assert again == first.model_copy(update={"replayed": True})
    assert branch.store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1
    assert len(outbox_topics(branch)) == 1
    assert branch.issue_ticket("cash", transaction="other").ticket == "A002"


def test_refusal_is_remembered_for_its_transaction(branch):
    with pytest.raises(QueueError) as first:
        branch.call_next("1", transaction="call-1")
    assert first.value.code == "counter_closed"
    branch.counter_open("1", transaction="open-1")
    branch.issue_ticket("cash")
    with pytest.raises(QueueError) as replayed:  # same transaction: same answer, no call made
        branch.call_next("1", transaction="call-1")
    assert replayed.value.code == "counter_closed"
    assert branch.call_next("1", transaction="call-2").ticket == "A001"


def test_transaction_id_reused_for_another_operation_is_refused(branch):
    branch.issue_ticket("cash", transaction="t-9")
    with pytest.raises(QueueError) as caught:
        branch.counter_open("1", transaction="t-9")
    assert caught.value.code == "transaction_reused"
    assert "fresh transaction id" in caught.value.message


def test_vip_card_raises_an_alert_without_token_or_pan(branch, vip_card):
    answer = branch.issue_ticket("wealth", card=vip_card, transaction="vip-1")
    assert answer.customer.display_name == "王先生"
    assert answer.customer.manager_alerted is True
    assert outbox_topics(branch) == ["events/arrival", "alerts/vip"]
    payloads = " ".join(e.payload for e in outbox.pending(branch.store))
    assert vip_card.token not in payloads and VIP_PAN not in payloads
    alert = json.loads(outbox.pending(branch.store)[1].payload)
    assert alert["customer"] == {"display_name": "王先生", "rm": "李经理", "masked_pan": "622202*********0128"}
    arrival = json.loads(outbox.pending(branch.store)[0].payload)
    assert arrival["customer"] == {"identified": True, "masked_pan": "622202*********0128"}
    assert "王" not in outbox.pending(branch.store)[0].payload


def test_unknown_card_is_mass_and_not_offered_vip_service(branch):
    stranger = CardIdentity(token="ab" * 32, masked_pan="411111******1111")
    with pytest.raises(QueueError) as caught:
        branch.issue_ticket("wealth", card=stranger)
    assert caught.value.code == "service_not_offered"
    assert branch.issue_ticket("cash", card=stranger).tier == "mass"


def test_alert_acknowledgement_is_recorded_once(branch, vip_card, clock):
    branch.issue_ticket("wealth", card=vip_card)
    alert_id = json.loads(outbox.pending(branch.store)[1].payload)["event_id"]
    clock.advance(seconds=40)
    answer = branch.acknowledge_alert(alert_id, "lobby-manager-1", "greeted", transaction="ack-1")
    assert answer.after_s == 40
    row = branch.store.conn.execute("SELECT * FROM alerts").fetchone()
    assert (row["acked_by"], row["outcome"]) == ("lobby-manager-1", "greeted")
    with pytest.raises(QueueError) as caught:
        branch.acknowledge_alert(alert_id, "someone-else", "greeted", transaction="ack-2")
    assert caught.value.code == "alert_already_acknowledged"
    with pytest.raises(QueueError) as unknown:
        branch.acknowledge_alert("0" * 32, "x", "greeted")
    assert unknown.value.code == "unknown_alert"


def test_teller_lifecycle_emits_each_event(branch, clock):
    branch.counter_open("3")
    branch.issue_ticket("cash")
    clock.advance(minutes=2)
    assert branch.call_next("3").waited_s == 120
    branch.recall("3", ticket="A001")
    moved = branch.transfer("A001", "noncash")
    assert moved.service == "noncash" and moved.state == "waiting"
    branch.call_next("3")
    clock.advance(minutes=5)
    branch.complete("3")
    branch.issue_ticket("cash")
    branch.call_next("3")
    branch.no_show("3")
    # Completing opens the counter's rating prompt; calling the next ticket closes it unanswered.
    assert outbox_topics(branch) == [
        "events/arrival", "events/called", "events/called", "events/transferred", "events/called",
        "events/served", "events/rating_prompt", "events/arrival", "events/rating_prompt", "events/called", "events/no_show",
    ]
    served = json.loads(outbox.pending(branch.store)[5].payload)
    assert served["service_time_s"] == 300


def test_stale_teller_screen_is_refused(branch):
    branch.counter_open("1")
    branch.issue_ticket("cash")
    branch.issue_ticket("cash")
    branch.call_next("1")
    with pytest.raises(QueueError) as caught:
        branch.complete("1", ticket="A002")
    assert caught.value.code == "stale_ticket"


def test_restart_carries_on_numbering_and_state(branch_config, clock):
    first = Branch.open(branch_config, clock)
    first.counter_open("1")
    for _ in range(3):
        first.issue_ticket("cash")
    first.call_next("1")
    first.close()
    second = Branch.open(branch_config, clock)
    assert second.issue_ticket("cash").ticket == "A004"
    assert second.queue_state().counters["1"].serving == "A001"
    second.close()


def test_two_processes_on_one_store_stay_consistent(branch_config, clock):
    """The agent and a technician's CLI share the file; each sees the other's commits."""
    agent, technician = Branch.open(branch_config, clock), Branch.open(branch_config, clock)
    labels = []
    for i in range(6):
        labels.append((agent if i % 2 else technician).issue_ticket("noncash").ticket)
    assert labels == ["B001", "B002", "B003", "B004", "B005", "B006"]
    technician.counter_open("4")
    assert agent.call_next("4").ticket == "B001"
    agent.close()
    technician.close()


def test_new_business_day_restarts_numbers(branch, clock):
    clock.now = datetime(2026, 11, 23, 23, 59, tzinfo=SHANGHAI)
    assert branch.issue_ticket("cash").ticket == "A001"
    clock.advance(minutes=2)
    answer = branch.issue_ticket("cash")
    assert (answer.ticket, answer.ticket_id) == ("A001", "20261124-A001")


def test_print_outcome_updates_the_stored_answer(branch):
    answer = branch.issue_ticket("cash", transaction="p-1")
    branch.record_print_outcome(answer.ticket_id, False, transaction="p-1")
    assert branch.issue_ticket("cash", transaction="p-1").printed is False


def test_outbox_bounds_drop_oldest_and_record_it(branch, clock):
    for _ in range(5):
        branch.issue_ticket("cash")
    dropped = outbox.enforce_bounds(branch.store, max_events=3, max_age=timedelta(hours=1), now=clock())
    assert dropped == 2
    assert [json.loads(e.payload)["ticket"] for e in outbox.pending(branch.store)] == ["A003", "A004", "A005"]
    clock.advance(hours=2)
    assert outbox.enforce_bounds(branch.store, max_events=3, max_age=timedelta(hours=1), now=clock()) == 3
    assert outbox.total_dropped(branch.store) == 5


def test_store_refuses_a_newer_schema(tmp_path):
    store = Store(tmp_path / "x.db")
    store.conn.execute("PRAGMA user_version=99")
    store.close()
    from edge_agent.store.db import StoreError

    with pytest.raises(StoreError, match="newer than this software"):
        Store(tmp_path / "x.db")


def test_store_pragmas(tmp_path):
    store = Store(tmp_path / "y.db")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.integrity_ok()


# ---- rollback: a failed transaction leaves the queue as the store has it ----------------


def _counter_3_serving_a001(branch: Branch) -> None:
    branch.counter_open("3")
    branch.issue_ticket("cash")
    branch.issue_ticket("cash")
    branch.call_next("3")


def test_a_failed_commit_undoes_everything_the_engine_did(branch, clock, monkeypatch):
    _counter_3_serving_a001(branch)
    branch.queue_state()
    before = state_of(branch.engine)
    clock.advance(minutes=6)

    def disk_full(*_args, **_kwargs):
        raise OSError("disk full")

    # The engine completes A001; the store then refuses to write it.
    monkeypatch.setattr("edge_agent.store.tickets.save_ticket", disk_full)
    with pytest.raises(OSError):
        branch.complete("3")
    monkeypatch.undo()
    branch.queue_state()
    assert state_of(branch.engine) == before
    # ...and the branch carries on from there as if nothing had happened.
    assert branch.issue_ticket("cash").ticket == "A003"


def test_what_succeeded_is_kept(branch):
    branch.counter_open("3")
    branch.issue_ticket("cash")
    branch.queue_state()
    assert len(branch.engine.open_tickets()) == 1
