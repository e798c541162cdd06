"""Moves events from the outbox table to the broker, in order, deleting each once acknowledged.

Runs on the agent's main thread (the only thread that touches the store); paho's network
thread only queues acknowledgements for it. A window of in-flight messages keeps the line
busy without flooding paho's memory. Across a reconnect paho resends its in-flight QoS 1
messages with the same ids, so nothing is sent twice while the agent lives; after a crash
the unacknowledged rows are sent again (consumers drop duplicates by event_id).
"""

from __future__ import annotations

import logging
import queue
import time
from datetime import datetime, timedelta

from edge_agent.store import outbox
from edge_agent.store.db import Store
from lobby.bus.client import BusClient

log = logging.getLogger(__name__)


class OutboxPublisher:
    WINDOW = 50

    def __init__(self, store: Store, bus: BusClient):
        self.store = store
        self.bus = bus
        self._inflight: dict[int, int] = {}  # paho message id -> outbox seq
        self._last_sent = 0
        self._acks: queue.SimpleQueue[tuple[int, bool, str]] = queue.SimpleQueue()
        # Acknowledged events whose rows could not be deleted yet (a full disk): tried again.
        self._delivered: list[int] = []
        bus.on_ack = lambda mid, ok, reason: self._acks.put((mid, ok, reason))
        # When the outbox last moved (an acknowledgement) or was found empty: the watchdog's measure.
        self.last_progress = time.monotonic()

    def pump(self) -> None:
        """Record acknowledgements, then send what fits in the window. Cheap when idle."""
        self._record_acks()
        if not self.bus.connected.is_set() or len(self._inflight) >= self.WINDOW:
            return
        entries = outbox.pending(self.store, after_seq=self._last_sent, limit=self.WINDOW - len(self._inflight))
        if not entries and not self._inflight:
            self.last_progress = time.monotonic()
        for entry in entries:
            mid = self.bus.publish(entry.topic, outbox.with_seq(entry.payload, entry.seq), qos=1)
            self._inflight[mid] = entry.seq
            self._last_sent = entry.seq

    def _record_acks(self) -> None:
        done: list[int] = []
        while True:
            try:
                mid, ok, reason = self._acks.get_nowait()
            except queue.Empty:
                break
            seq = self._inflight.pop(mid, None)
            if seq is None:
                continue  # a response or a state message, not an outbox event
            if not ok:
                # The broker refused it (MQTT 5 reason code): retrying cannot help.
                log.error("the broker refused event #%d (%s); check the agent's ACL in the broker set-up", seq, reason)
            done.append(seq)
        if done:
            self.last_progress = time.monotonic()
            self._delivered.extend(done)
        if self._delivered:
            outbox.delete_delivered(self.store, self._delivered)  # StoreUnwritable keeps them for the next pump
            self._delivered.clear()

    def enforce_bounds(self, max_events: int, max_age: timedelta, now: datetime) -> int:
        dropped = outbox.enforce_bounds(self.store, max_events, max_age, now)
        if dropped:
            # Dropped rows may have been in flight: forget them, keep the order for the rest.
            remaining = {e.seq for e in outbox.pending(self.store, limit=self.WINDOW * 4)}
            self._inflight = {mid: seq for mid, seq in self._inflight.items() if seq in remaining}
        return dropped

    @property
    def pending(self) -> int:
        return outbox.count(self.store)
