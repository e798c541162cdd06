"""`edge-agent run`: the branch daemon's main loop.

Threads:
- the main thread owns the store and the queue: it runs requests one at a time, moves the
  outbox to the broker, feeds local devices and publishes retained state;
- paho's network thread only hands messages and acknowledgements to the main thread;
- each output device has its own worker (printing never blocks the queue).

One file because it is the main loop and the thread handoffs around it, which only make sense together.
"""

from __future__ import annotations

import json
import logging
import queue
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from edge_agent import __version__
from edge_agent.branch import Branch
from edge_agent.bus.outbox_publisher import OutboxPublisher
from edge_agent.bus.payload import transaction_in
from edge_agent.bus.requests import Handled, handle_request
from edge_agent.devices.printer.ticket_printer import PrintOutcome
from edge_agent.store import outbox
from edge_agent.store.db import StoreUnwritable
from edge_agent.store.retention import close_day
from edge_agent.watchdog import Watchdog
from lobby.bus.client import BusClient, Credentials, ReplyTo
from lobby.config import BranchConfig
from lobby.contract import AgentState, ErrorCode, Response, TicketAnswer, topic_root

log = logging.getLogger(__name__)

QUEUE_STATE_MIN_INTERVAL_S = 0.25  # coalesce bursts: at most 4 queue/state messages a second
QUEUE_STATE_REFRESH_S = 30  # waits grow even when nothing happens
HOUSEKEEPING_INTERVAL_S = 60
STORE_PROBE_S = 5  # how often the store is written to learn it still can be (and recover)
OUTBOX_STUCK_AFTER = timedelta(minutes=5)  # connected, yet an event waits this long: something is wrong
# The broker keeps the agent's session (its request/+ subscription) this long while the agent
# is away, so requests sent during a restart wait for it. Our clients give each request an
# expiry of their own deadline (the kiosk's 30 s, a page's 6 s); this bounds how late one
# without an expiry can still be served.
REQUEST_SESSION_S = 60


def _op_name(op: str) -> str:
    """An op as a log line may show it: a client chose it, and it may be anything."""
    return op if op.isidentifier() and len(op) <= 40 else "(unreadable op)"


class Outputs(Protocol):
    """The agent's output devices, as the main loop sees them (see edge_agent/outputs.py)."""

    def print_ticket(self, answer: TicketAnswer, on_done: Callable[[PrintOutcome], None]) -> None: ...

    def on_event(self, topic: str, payload: dict) -> None: ...

    def add_state_listener(self, listener: Callable[[str, dict], None]) -> None: ...

    def device_states(self) -> dict[str, dict]: ...

    def stop(self) -> None: ...


class Agent:
    def __init__(self, config: BranchConfig, outputs: Outputs | None = None, ca_file=None):
        self.config = config
        self.branch = Branch.open(config)
        self.outputs = outputs
        self.started_at = datetime.now(config.branch.zone)
        self.jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.stopping = threading.Event()
        root = topic_root(config.branch.id)
        credentials = Credentials.for_role(config.mqtt.credentials_file, "agent")
        self.bus = BusClient(
            host=config.mqtt.host,
            port=config.mqtt.port,
            root=root,
            credentials=credentials,
            # The user name itself: the broker refuses this id to every other user.
            client_id=credentials.username,
            ca_file=ca_file or config.mqtt.trusted_ca(),
            will=("agent/state", self._agent_state("offline").model_dump_json()),
            clean_start=False,
            session_expiry_s=REQUEST_SESSION_S,
        )
        self.publisher = OutboxPublisher(self.branch.store, self.bus)
        # Events already in the outbox at start-up were shown before the restart (or are stale).
        self._local_cursor = outbox.last_seq(self.branch.store)
        # Ticket transactions issued but not yet printed: a kiosk's retry of one of them is
        # answered when the print is done, not with the half-finished stored answer.
        self._printing: set[str] = set()
        self._queue_dirty = True
        self._queue_published_at = 0.0
        # Another process (a technician's CLI: a staff roster, a customer import) committed.
        self._store_version = self.branch.store.data_version()
        # staff/state and promotions as last published: sent again only when they change.
        self._published_staff: str | None = None
        self._published_promotions: str | None = None
        self._housekeeping_at = 0.0
        self._heartbeat_at = 0.0
        # None while the store takes writes; the StoreUnwritable that says why not, otherwise.
        self.store_problem: StoreUnwritable | None = None
        self._store_probed_at = 0.0
        self._store_health: tuple[bool, str] = (True, "")
        # Ops whose requests came without a response topic: logged once each, not per message.
        self._unanswerable_logged: set[str] = set()
        self.watchdog = Watchdog()
        self.bus.subscribe_requests("request/+", self._on_request)
        self.bus.add_connection_listener(self._on_connection)
        if outputs is not None:
            outputs.add_state_listener(lambda device_id, state: self.jobs.put(lambda: self._publish_device(device_id, state)))

    # ---- wiring --------------------------------------------------------------------------

    def _agent_state(self, state: str) -> AgentState:
        pending = dropped = 0
        extra: dict = {}
        if state == "online":
            pending = self.publisher.pending
            dropped = outbox.total_dropped(self.branch.store)
            extra = {"heartbeat_at": datetime.now(self.config.branch.zone), "heartbeat_s": self.config.mqtt.heartbeat_s}
            if self.store_problem is not None:
                extra |= {"store": self.store_problem.problem, "store_detail": str(self.store_problem)}
        return AgentState(
            state=state, version=__version__, since=self.started_at, outbox_pending=pending, outbox_dropped=dropped,
            wait_predictor=self.branch.waits.described,
            ticket_link_key=self.branch.links.public_key if self.branch.links else None,
            branch_name=self.config.branch.name, **extra,
        )

    # ---- the store's disk -------------------------------------------------------------------

    def _store_failed(self, problem: StoreUnwritable) -> None:
        """Something could not be written: say so once, on agent/state and in the log."""
        known = self.store_problem
        self.store_problem = problem
        if known is None or known.problem != problem.problem:
            log.error("%s; the agent keeps running, refuses tickets, and carries on by itself once the disk takes writes again", problem)
            if self.bus.connected.is_set():
                self._heartbeat()

    def _maybe_probe_store(self) -> None:
        """Every STORE_PROBE_S: one real write. It is how a full disk is noticed while nobody
        asks for anything, and how its end is noticed at all."""
        now = time.monotonic()
        if now - self._store_probed_at < STORE_PROBE_S:
            return
        self._store_probed_at = now
        try:
            self.branch.store.probe_write(datetime.now(self.config.branch.zone).isoformat())
        except StoreUnwritable as problem:
            self._store_failed(problem)
            # Diagnosed, reported, and not mended by a restart: the watchdog keeps being fed.
            self._store_health = (True, "")
            return
        except sqlite3.Error as exc:
            self._store_health = (False, f"the store cannot be written: {exc}")
            return
        self._store_health = (True, "")
        if self.store_problem is not None:
            log.warning("the store takes writes again: tickets are issued as before")
            self.store_problem = None
            self._queue_dirty = True
            if self.bus.connected.is_set():
                self._heartbeat()

    def _on_connection(self, connected: bool) -> None:
        if connected:
            self.jobs.put(self._announce_online)

    def _announce_online(self) -> None:
        self._heartbeat()
        # The devices' retained states again, as they are now: whatever the broker kept
        # (from before a restart, or queued while it was away) may be out of date.
        if self.outputs is not None:
            for device_id, state in self.outputs.device_states().items():
                self._publish_device(device_id, state)
        self._queue_dirty = True
        self._published_staff = self._published_promotions = None

    def _heartbeat(self) -> None:
        self.bus.publish("agent/state", self._agent_state("online").model_dump_json(), retain=True)
        self._heartbeat_at = time.monotonic()

    def _maybe_heartbeat(self) -> None:
        if self.bus.connected.is_set() and time.monotonic() - self._heartbeat_at >= self.config.mqtt.heartbeat_s:
            self._heartbeat()

    def _on_request(self, topic: str, payload: bytes, reply: ReplyTo | None) -> None:
        op = topic.removeprefix("request/")
        self.jobs.put(lambda: self._serve(op, payload, reply))

    def _publish_device(self, device_id: str, state: dict) -> None:
        # Only while connected. paho would queue a state published offline and resend it
        # after the connect, racing the fresh state published at the connect: the broker
        # could keep an older one retained (the demo's kiosk once waited on a stale
        # "offline" printer). _announce_online publishes every device's state as it is then.
        if self.bus.connected.is_set():
            self.bus.publish(f"devices/{device_id}/state", json.dumps(state, ensure_ascii=False), retain=True)

    # ---- requests --------------------------------------------------------------------------

    def _serve(self, op: str, payload: bytes, reply: ReplyTo | None) -> None:
        """One request, whatever it holds: a fault in handling it never ends the agent."""
        if reply is None:
            # Nowhere private to answer: acting on it would issue tickets nobody is told of.
            readable = _op_name(op)
            if readable not in self._unanswerable_logged:
                self._unanswerable_logged.add(readable)
                log.warning(
                    "ignoring request/%s without a response topic under %sresponse/: requests need MQTT 5 and a "
                    "response topic of the client's own (docs/mqtt.md); further ones on this op are ignored silently",
                    readable, self.bus.root,
                )
            return
        try:
            self._serve_one(op, payload, reply)
        except Exception:
            log.exception("request %s could not be handled; answered as internal", _op_name(op))
            fallback = Response(transaction=transaction_in(payload), status="error", code=ErrorCode.INTERNAL,
                                error="the agent could not complete this request; it logged the details")
            try:
                self._respond(reply, fallback)
            except Exception:
                log.exception("the answer to a failed request could not be sent either")

    def _serve_one(self, op: str, payload: bytes, reply: ReplyTo) -> None:
        handled = handle_request(op, payload, self.branch, self.config.mqtt.max_payload_bytes)
        if handled.unwritable is not None:
            self._store_failed(handled.unwritable)
        if handled.response.status == "ok":
            self._queue_dirty = True
        transaction = handled.response.transaction
        if handled.print_ticket is not None and self.outputs is not None and transaction is not None:
            self._printing.add(transaction)
            self.outputs.print_ticket(
                handled.print_ticket, lambda report: self.jobs.put(lambda: self._printed(handled, report, reply))
            )
            return
        if handled.op in ("ticket", "check_in") and transaction in self._printing:
            log.info("%s request %s repeated while its ticket prints: answering once it has printed", handled.op, transaction)
            return
        self._respond(reply, handled.response)

    def _printed(self, handled: Handled, report: PrintOutcome, reply: ReplyTo) -> None:
        assert handled.print_ticket is not None and handled.response.transaction is not None
        self._printing.discard(handled.response.transaction)
        try:
            self.branch.record_print_outcome(handled.print_ticket.ticket_id, report.printed, handled.response.transaction)
        except StoreUnwritable as problem:  # the ticket exists; only whether it printed goes unrecorded
            self._store_failed(problem)
        answer = handled.print_ticket.model_copy(update={"printed": report.printed, "printer": report.for_kiosk()})
        self._respond(reply, handled.response.model_copy(update={"data": answer.model_dump(mode="json")}))

    def _respond(self, reply: ReplyTo, response: Response) -> None:
        """To the requester only: its own response topic, which the ACL lets no one else read."""
        self.bus.publish(reply.topic, response.model_dump_json(exclude_none=True), qos=1, correlation=reply.correlation)

    # ---- the loop --------------------------------------------------------------------------

    def run(self) -> int:
        self.bus.start()
        log.info("agent for branch %s (%s) started; store %s", self.config.branch.id, self.config.branch.name, self.config.store.path)
        self.watchdog.ready()
        while not self.stopping.is_set():
            try:
                job = self.jobs.get(timeout=0.05)
            except queue.Empty:
                job = None
            if job is not None:
                job()
            self._feed_local_outputs()
            for step in (self.publisher.pump, self._maybe_publish_queue_state, self._maybe_housekeeping):
                try:
                    step()
                except StoreUnwritable as problem:  # reported; each step tries again next turn
                    self._store_failed(problem)
            self._maybe_heartbeat()
            self._maybe_probe_store()
            self._notice_other_writers()
            self.watchdog.tick(*self._health())
        self.shutdown()
        return 0

    def _health(self) -> tuple[bool, str]:
        if not self._store_health[0]:
            return self._store_health
        stalled = time.monotonic() - self.publisher.last_progress
        if self.bus.connected.is_set() and stalled > OUTBOX_STUCK_AFTER.total_seconds():
            return False, f"connected to the broker, but no event was acknowledged for {stalled:.0f} s"
        return True, ""

    def _feed_local_outputs(self) -> None:
        """Displays and announcements follow the outbox, whoever wrote it and broker or not."""
        entries = outbox.pending(self.branch.store, after_seq=self._local_cursor, limit=200)
        for entry in entries:
            self._local_cursor = entry.seq
            self._queue_dirty = True
            if self.outputs is not None:
                try:
                    self.outputs.on_event(entry.topic, json.loads(entry.payload))
                except Exception:
                    log.exception("a device could not show event %s", entry.topic)

    def _notice_other_writers(self) -> None:
        """What the retained states say may have changed under us: a roster imported, a
        ticket issued from the CLI. Cheap: SQLite's data_version reads shared memory."""
        version = self.branch.store.data_version()
        if version != self._store_version:
            self._store_version = version
            self._queue_dirty = True

    def _maybe_publish_queue_state(self) -> None:
        now = time.monotonic()
        since = now - self._queue_published_at
        due = (self._queue_dirty and since >= QUEUE_STATE_MIN_INTERVAL_S) or since >= QUEUE_STATE_REFRESH_S
        if due and self.bus.connected.is_set():
            state = self.branch.queue_state()
            self.bus.publish("queue/state", state.model_dump_json(), retain=True)
            self._queue_dirty = False
            self._queue_published_at = now
            self._publish_if_changed()

    def _publish_if_changed(self) -> None:
        """staff/state and promotions (retained), whenever what they say has changed."""
        staff = self.branch.staff.state()
        said = staff.model_dump_json(exclude={"at"})
        if said != self._published_staff:
            self.bus.publish("staff/state", staff.model_dump_json(), retain=True)
            self._published_staff = said
        promotions = self.branch.promotions.state()
        said = promotions.model_dump_json(exclude={"at"})
        if said != self._published_promotions:
            self.bus.publish("promotions", promotions.model_dump_json(), retain=True)
            self._published_promotions = said

    def _maybe_housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._housekeeping_at < HOUSEKEEPING_INTERVAL_S:
            return
        self._housekeeping_at = now
        now_local = datetime.now(self.config.branch.zone)
        dropped = self.publisher.enforce_bounds(
            self.config.mqtt.outbox_max_events, timedelta(hours=self.config.mqtt.outbox_max_age_hours), now_local
        )
        if dropped and self.bus.connected.is_set():
            self._announce_online()  # agent/state carries the drop count
        if self.branch.close_ended_days():
            self._queue_dirty = True
        self.branch.waits.after_close(self.branch.last_closed_day())
        if self.branch.waits.poll():
            self._queue_dirty = True
            if self.bus.connected.is_set():
                self._announce_online()  # agent/state says which predictor answers
        if self.branch.staff.sign_out_idle():
            self._queue_dirty = True
        self.branch.ratings.close_timed_out()
        self.branch.appointments.mark_no_shows()
        self.branch.promotions.sync_folder()
        if self.bus.connected.is_set():
            self._publish_if_changed()  # also a promotion's first or last day passing
        outbox.forget_events(self.branch.store, now_local - timedelta(hours=self.config.mqtt.replay_hours))
        close_day(self.branch.store, now_local.date(), self.config.store.retention_days)

    def stop(self) -> None:
        self.stopping.set()

    def shutdown(self) -> None:
        log.info("agent stopping")
        self.watchdog.stopping()
        if self.outputs is not None:
            self.outputs.stop()
        self.bus.stop(last_words=("agent/state", self._agent_state("offline").model_dump_json()))
        self.branch.close()


def run_agent(config: BranchConfig) -> int:
    from edge_agent.outputs import BranchOutputs
    from edge_agent.web.server import WebServerError, start_web_server

    outputs = BranchOutputs(config)
    try:
        # The store and the broker credentials first: if either cannot be used the agent
        # says so and stops before any device or page is opened.
        agent = Agent(config, outputs)
    except BaseException:
        outputs.stop()
        raise
    outputs.start()
    # Tickets matter more than the pages: a taken port or an unreadable certificate is
    # logged for the technician and the queue runs on without the consoles.
    try:
        web = start_web_server(config)
    except WebServerError as exc:
        log.error("the manager, teller and display pages are not served: %s", exc)
        web = None
    signal.signal(signal.SIGTERM, lambda *_: agent.stop())
    signal.signal(signal.SIGINT, lambda *_: agent.stop())
    try:
        return agent.run()
    finally:
        if web is not None:
            web.stop()
