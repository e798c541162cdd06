"""The kiosk's side of the MQTT contract: retained state in, `request/identify`,
`request/ticket` and `request/check_in` out.

It logs in as the branch's `kiosk` user, follows `agent/state`, `queue/state`,
`devices/+/state` and `promotions`, and sends requests from a worker thread (the touchscreen must never
wait on the network). Everything it learns is handed to `deliver`, which the app sets to
"run this on the UI thread" (Kivy's Clock); this module itself knows nothing of Kivy.

Whether the agent can be used is decided in `Availability`: connected to the broker, the
agent's retained state says online, and no request went unanswered since the agent last
showed a sign of life. The agent refreshes `queue/state` at least every 30 s, so a kiosk
that gave up on a silent agent comes back by itself within half a minute of its return.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ValidationError

from lobby.bus.client import BusClient
from lobby.bus.requester import AgentUnreachable, Requester
from lobby.config import BranchConfig
from lobby.contract import AgentState, CardholderAnswer, CardIdentity, DeviceState, PromotionsState, QueueState, TicketAnswer

log = logging.getLogger(__name__)


# ---- what a request can end in -------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    answer: TicketAnswer


@dataclass(frozen=True)
class Identified:
    answer: CardholderAnswer


@dataclass(frozen=True)
class Refused:
    code: str  # the contract's stable error code, e.g. service_not_offered
    message: str  # the agent's sentence, for the log
    detail: dict | None = None  # what the refusal says beside the sentence (too_early: when check-in opens)


@dataclass(frozen=True)
class Unreachable:
    reason: str


TicketOutcome = Issued | Refused | Unreachable
IdentifyOutcome = Identified | Refused | Unreachable


class AgentListener(Protocol):
    """What the app is told, always on the UI thread (through `deliver`)."""

    def on_availability(self, available: bool) -> None: ...

    def on_queue_state(self, state: QueueState) -> None: ...

    def on_device_state(self, device_id: str, state: DeviceState) -> None: ...

    def on_promotions(self, state: PromotionsState) -> None: ...

    def on_waiting(self) -> None:
        """A request's first try went unanswered; it is being retried until its deadline."""


# ---- is the agent there? -------------------------------------------------------------------


class Availability:
    """Pure bookkeeping; `available` changes only through these five calls."""

    def __init__(self) -> None:
        self.connected = False
        self.online = False
        self.silent = False  # a request went unanswered; waiting for a sign of life
        self.stale = False  # no agent/state heard for longer than its heartbeat allows
        self._heard_at = 0.0
        self._stale_after_s: float | None = None
        self._last_payload: dict[str, bytes] = {}

    @property
    def available(self) -> bool:
        return self.connected and self.online and not self.silent and not self.stale

    def on_connection(self, connected: bool) -> None:
        self.connected = connected

    def on_agent_state(self, payload: bytes, online: bool, stale_after_s: float | None = None, now: float = 0.0) -> None:
        """`now`: a monotonic clock. Any agent/state restarts the heartbeat's count, even a
        retained copy: a dead agent's restored "online" then goes stale within the bound."""
        fresh = self._fresh("agent/state", payload)
        self.online = online
        self._heard_at, self._stale_after_s, self.stale = now, stale_after_s, False
        if online and fresh:
            self.silent = False

    def on_clock(self, now: float) -> None:
        self.stale = self._stale_after_s is not None and now - self._heard_at > self._stale_after_s

    def on_queue_state(self, payload: bytes) -> None:
        # A retained copy delivered again after a reconnect is the same bytes: not a sign of life.
        if self._fresh("queue/state", payload):
            self.silent = False

    def on_unanswered(self) -> None:
        self.silent = True

    def _fresh(self, topic: str, payload: bytes) -> bool:
        fresh = self._last_payload.get(topic) != payload
        self._last_payload[topic] = payload
        return fresh


# ---- the link --------------------------------------------------------------------------------


def kiosk_name() -> str:
    """This kiosk's name in ticket requests (and so in `events/arrival`): its host name."""
    name = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:32].strip("-_")
    return name or "kiosk"


class AgentLink:
    def __init__(self, config: BranchConfig, listener: AgentListener, deliver: Callable[[Callable[[], None]], None]):
        self.config = config
        self.listener = listener
        self.deliver = deliver
        self.kiosk = kiosk_name()
        self.availability = Availability()
        self._reported: bool | None = None
        self._lock = threading.Lock()  # paho's thread and the worker both touch availability
        self.bus = BusClient.for_role(config, "kiosk", f"{self.kiosk}-{uuid.uuid4().hex[:6]}")
        self.requester = Requester(self.bus)
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._work, name="kiosk-requests", daemon=True)
        self._stopping = threading.Event()
        self._clock = threading.Thread(target=self._watch_heartbeat, name="kiosk-heartbeat", daemon=True)
        self.bus.subscribe("agent/state", self._on_agent_state)
        self.bus.subscribe("queue/state", self._on_queue_state)
        self.bus.subscribe("devices/+/state", self._on_device_state)
        self.bus.subscribe("promotions", self._on_promotions)
        self.bus.add_connection_listener(self._on_connection)

    def start(self) -> None:
        self._worker.start()
        self._clock.start()
        self.bus.start()

    def stop(self) -> None:
        self._stopping.set()
        self._jobs.put(None)
        self.bus.stop()
        if self._worker.is_alive():
            self._worker.join(timeout=2 * self.config.kiosk.request_timeout_s + 1)

    # ---- requests (answers run on the UI thread through `deliver`) ----------------------------

    def request_ticket(
        self, service: str, card: CardIdentity | None, lang: str, done: Callable[[TicketOutcome], None]
    ) -> None:
        fields: dict = {"service": service, "lang": lang, "kiosk": self.kiosk}
        if card is not None:
            fields["card"] = card.model_dump()
        self._jobs.put(lambda: self._answer(done, lambda: self.ticket_now(fields)))

    def request_check_in(self, scanned: str | None, code: str | None, lang: str, done: Callable[[TicketOutcome], None]) -> None:
        """A booking: the scanner's read (`scanned`) or the digits typed (`code`)."""
        fields: dict = {"lang": lang, "kiosk": self.kiosk}
        fields.update({"scanned": scanned} if scanned is not None else {"code": code})
        self._jobs.put(lambda: self._answer(done, lambda: self._read_answer("check_in", fields, TicketAnswer, Issued)))

    def request_identify(self, card: CardIdentity, done: Callable[[IdentifyOutcome], None]) -> None:
        self._jobs.put(lambda: self._answer(done, lambda: self.identify_now(card)))

    def _answer(self, done: Callable, ask: Callable[[], TicketOutcome | IdentifyOutcome]) -> None:
        try:
            outcome = ask()
        except Exception as exc:  # the screen waits for an answer: it must get one, whatever happened
            log.exception("a request to the agent failed")
            outcome = Unreachable(f"the request failed: {exc}")
        self.deliver(lambda: done(outcome))

    def ticket_now(self, fields: dict) -> TicketOutcome:
        """Blocking (worker thread, benches): retried with the same transaction until the deadline."""
        return self._read_answer("ticket", fields, TicketAnswer, Issued)

    def identify_now(self, card: CardIdentity) -> IdentifyOutcome:
        return self._read_answer("identify", {"card": card.model_dump()}, CardholderAnswer, Identified)

    def _read_answer(self, op: str, fields: dict, model, outcome):
        """The agent's answer to `op` read as `model` and wrapped in `outcome`, or why there is none."""
        result = self._request(op, fields)
        if not isinstance(result, dict):
            return result
        try:
            return outcome(model.model_validate(result))
        except ValidationError as exc:
            log.error("the agent's %s answer does not match the contract: %s", op, exc)
            return Refused("bad_answer", "the agent's answer could not be read")

    def _request(self, op: str, fields: dict) -> dict | Refused | Unreachable:
        """The answer's data, or why there is none. Never logs the card (only its masked number exists here)."""
        kiosk = self.config.kiosk
        try:
            answer = self.requester.request(
                op, fields, timeout=kiosk.request_timeout_s, deadline_s=kiosk.request_deadline_s,
                on_waiting=lambda: self.deliver(self.listener.on_waiting),
            )
        except AgentUnreachable as exc:
            log.warning("the agent did not answer %s (%s): showing the out-of-service screen", op, exc)
            with self._lock:
                self.availability.on_unanswered()
            self._report_availability()
            return Unreachable(str(exc))
        if answer.get("status") != "ok":
            log.info("the agent refused %s: %s (%s)", op, answer.get("error"), answer.get("code"))
            detail = answer.get("data")
            return Refused(str(answer.get("code") or "error"), str(answer.get("error") or ""), detail if isinstance(detail, dict) else None)
        data = answer.get("data")
        return data if isinstance(data, dict) else Refused("bad_answer", "the agent's answer has no data")

    # ---- retained state (paho's thread) ------------------------------------------------------

    def _on_connection(self, connected: bool) -> None:
        with self._lock:
            self.availability.on_connection(connected)
        self._report_availability()

    def _on_agent_state(self, topic: str, payload: bytes) -> None:
        state = _parse(AgentState, topic, payload)
        if state is None:
            return
        with self._lock:
            # An agent whose disk will not take a write issues no ticket: out of service until it does.
            usable = state.state == "online" and state.store == "ok"
            self.availability.on_agent_state(payload, usable, state.stale_after_s(), time.monotonic())
        self._report_availability()

    def _watch_heartbeat(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                self.availability.on_clock(time.monotonic())
            self._report_availability()

    def _on_queue_state(self, topic: str, payload: bytes) -> None:
        state = _parse(QueueState, topic, payload)
        if state is None:
            return
        with self._lock:
            self.availability.on_queue_state(payload)
        self.deliver(lambda: self.listener.on_queue_state(state))
        self._report_availability()

    def _on_promotions(self, topic: str, payload: bytes) -> None:
        state = _parse(PromotionsState, topic, payload)
        if state is not None:
            self.deliver(lambda: self.listener.on_promotions(state))

    def _on_device_state(self, topic: str, payload: bytes) -> None:
        state = _parse(DeviceState, topic, payload)
        if state is not None:
            device_id = topic.split("/")[1]
            self.deliver(lambda: self.listener.on_device_state(device_id, state))

    def _report_availability(self) -> None:
        with self._lock:
            available = self.availability.available
            changed = available != self._reported
            self._reported = available
        if changed:
            log.info("the agent is %s", "available" if available else "not available")
            self.deliver(lambda: self.listener.on_availability(available))

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()


def _parse(model: type[BaseModel], topic: str, payload: bytes):
    try:
        return model.model_validate(json.loads(payload))
    except (ValueError, ValidationError) as exc:
        log.warning("ignoring a %s message that does not match the contract: %s", topic, str(exc).splitlines()[0])
        return None
