"""The kiosk's agent link against a real Mosquitto and a real agent (with its virtual printer).

No Kivy here: `deliver` runs callbacks at once, on paho's or the worker's thread.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest

from edge_agent.devices.virtual.printer import virtual_printer_control as control
from kiosk.agent_link import AgentLink, Identified, Issued, Refused, Unreachable
from lobby.card_key import card_token, load_or_create_key, mask_pan
from lobby.config import load_config
from lobby.contract import CardIdentity
from tests.kiosk_helpers import kiosk_branch
from tools.demo_customers import DEMO_CUSTOMERS


def demo_card(config, index: int = 0) -> CardIdentity:
    pan = DEMO_CUSTOMERS[index][0]
    return CardIdentity(token=card_token(load_or_create_key(config.security.key_file), pan), masked_pan=mask_pan(pan))


class Recorder:
    """An AgentListener that remembers what it was told."""

    def __init__(self):
        self.availability: list[bool] = []
        self.queue = None
        self.devices: dict[str, str] = {}
        self.waiting = 0
        self.changed = threading.Condition()

    def on_waiting(self):
        with self.changed:
            self.waiting += 1
            self.changed.notify_all()

    def on_availability(self, available):
        with self.changed:
            self.availability.append(available)
            self.changed.notify_all()

    def on_queue_state(self, state):
        with self.changed:
            self.queue = state
            self.changed.notify_all()

    def on_device_state(self, device_id, state):
        with self.changed:
            self.devices[device_id] = state.status
            self.changed.notify_all()

    def wait(self, predicate, timeout=30, what="a change"):
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), f"timed out waiting for {what}; availability {self.availability}"


@contextmanager
def linked(broker, branch_toml, **settings):
    # Above the agent's worst printing time (status 0.3 s + write 2 s + status 0.3 s): a retry
    # while the ticket prints would be answered with the stored answer, printed not yet known.
    with kiosk_branch(broker, branch_toml, request_timeout_s=3, **settings) as (config_path, agent):
        config = load_config(config_path)
        recorder = Recorder()
        link = AgentLink(config, recorder, deliver=lambda callback: callback())
        link.start()
        try:
            recorder.wait(lambda: recorder.availability[-1:] == [True], what="the agent to come online")
            yield config, link, recorder, agent
        finally:
            link.stop()


@pytest.fixture
def link_in_lobby(broker, branch_toml):
    with linked(broker, branch_toml) as parts:
        yield parts


@pytest.fixture
def link_with_a_short_deadline(broker, branch_toml):
    with linked(broker, branch_toml, request_deadline_s=6) as parts:
        yield parts


def test_walk_in_ticket_is_issued_and_printed(link_in_lobby):
    config, link, recorder, _ = link_in_lobby
    outcome = link.ticket_now({"service": "cash", "lang": "en", "kiosk": link.kiosk})
    assert isinstance(outcome, Issued), outcome
    answer = outcome.answer
    assert answer.ticket == "A001" and answer.service_en == "Cash" and answer.customer is None
    assert answer.printed is True and answer.printer.status == "ok"
    recorder.wait(lambda: recorder.queue is not None and recorder.queue.services["cash"].waiting == 1, what="queue/state with the ticket")
    recorder.wait(lambda: recorder.devices.get(config.printer.id) == "ok", what="the printer's state")


def test_a_known_card_is_identified_then_greeted_with_its_ticket(link_in_lobby):
    config, link, _, _ = link_in_lobby
    card = demo_card(config)
    who = link.identify_now(card)
    assert isinstance(who, Identified) and who.answer.known
    assert (who.answer.display_name, who.answer.tier, who.answer.tier_name_zh) == ("王先生", "vip", "中高端客户")
    assert "wealth" in who.answer.services and who.answer.masked_pan == card.masked_pan
    outcome = link.ticket_now({"service": "wealth", "lang": "zh", "kiosk": link.kiosk, "card": card.model_dump()})
    assert isinstance(outcome, Issued), outcome
    assert outcome.answer.customer.display_name == "王先生" and outcome.answer.customer.manager_alerted


def test_an_unknown_card_is_not_known_and_a_walk_in_cannot_take_a_vip_service(link_in_lobby):
    config, link, _, _ = link_in_lobby
    stranger = CardIdentity(token="0" * 64, masked_pan="411111******1111")
    who = link.identify_now(stranger)
    assert isinstance(who, Identified) and not who.answer.known and "wealth" not in who.answer.services
    refused = link.ticket_now({"service": "wealth", "lang": "zh", "kiosk": link.kiosk})
    assert isinstance(refused, Refused) and refused.code == "service_not_offered"


def test_paper_out_answers_not_printed_with_the_printers_words(link_in_lobby):
    config, link, recorder, _ = link_in_lobby
    control(config.printer.virtual_dir, "paper_out")
    outcome = link.ticket_now({"service": "enquiry", "lang": "zh", "kiosk": link.kiosk})
    assert isinstance(outcome, Issued) and outcome.answer.printed is False
    assert outcome.answer.printer.status == "paper_out" and "缺纸" in outcome.answer.printer.message_zh
    recorder.wait(lambda: recorder.devices.get(config.printer.id) == "paper_out", what="devices/<printer>/state paper_out")


def test_a_ticket_asked_as_the_agent_dies_is_answered_after_it_restarts(link_in_lobby):
    """The agent killed 50 ms after the tap (the ticket committed or not, its answer not yet
    sent) and restarted 2 s later, as systemd would: the kiosk, showing "one moment", keeps
    retrying the same transaction and gets the ticket. Before, its single retry at 3 s came
    too early and the customer saw "out of service" for a ticket that existed."""
    config, link, recorder, agent = link_in_lobby
    result: dict = {}
    asking = threading.Thread(target=lambda: result.update(outcome=link.ticket_now({"service": "cash", "lang": "zh", "kiosk": link.kiosk})))
    asking.start()
    time.sleep(0.05)
    agent.kill()
    time.sleep(2)
    agent.start()
    asking.join(40)
    outcome = result["outcome"]
    assert isinstance(outcome, Issued), outcome
    assert outcome.answer.ticket == "A001"
    assert recorder.waiting == 1  # "one moment" was on screen while it waited
    store = sqlite3.connect(config.store.path)
    assert store.execute("SELECT label FROM tickets").fetchall() == [("A001",)]  # once, whichever copy got there
    store.close()


def test_an_agent_gone_past_the_deadline_is_out_of_service_and_its_request_expires(link_with_a_short_deadline):
    config, link, recorder, agent = link_with_a_short_deadline
    agent.kill()  # SIGKILL: no clean goodbye; the broker's last will says offline only ~22 s later
    started = time.monotonic()
    outcome = link.ticket_now({"service": "cash", "lang": "zh", "kiosk": link.kiosk})
    waited = time.monotonic() - started
    assert isinstance(outcome, Unreachable)
    # Retried until the 6 s deadline, and not kept much past it (what a customer would notice).
    assert 5.9 <= waited < 12, f"a 6 s deadline took {waited:.1f} s"
    assert recorder.waiting == 1 and recorder.availability[-1] is False  # out of service at once, not after the last will
    agent.start()
    recorder.wait(lambda: recorder.availability[-1] is True, timeout=30, what="the restarted agent")
    # The broker kept the agent's session, but the abandoned request had expired with the
    # deadline: nobody gets a ticket they gave up on.
    fresh = link.ticket_now({"service": "cash", "lang": "zh", "kiosk": link.kiosk})
    assert isinstance(fresh, Issued) and fresh.answer.ticket == "A001"


def test_a_cleanly_stopped_agent_is_offline_at_once(link_in_lobby):
    _, _, recorder, agent = link_in_lobby
    agent.stop()
    recorder.wait(lambda: recorder.availability[-1] is False, timeout=10, what="agent/state offline")


def test_an_agent_that_died_while_the_broker_was_down_goes_stale(broker, branch_toml):
    """Mosquitto killed, the agent dying while it is down, Mosquitto back: the broker restores
    the retained "online" and no last will follows. Without a heartbeat the kiosk took
    tickets for ever from an agent that was not there; now three silent beats (1 s each
    here) make it unavailable."""
    with linked(broker, branch_toml, heartbeat_s=1) as (_, link, recorder, agent):
        broker.process.kill()
        broker.process.wait()
        agent.kill()
        broker.start()
        assert link.bus.wait_connected(15)
        time.sleep(5)  # the reconnect, then more than three heartbeats of silence
        assert not link.availability.available and recorder.availability[-1] is False
