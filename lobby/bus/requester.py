"""The client side of `request/<op>` -> the requester's own answers topic: for kiosks,
consoles and the demo.

Each request names, as its MQTT 5 response topic, `response/<client id>/<op>`, which only
this client may read (the broker's ACL), and carries its transaction as correlation data:
no other kiosk ever sees the answer. A request gets a fresh transaction id; if no answer
comes within the timeout it is sent again with the *same* id (the agent answers a repeat
with its first answer and changes nothing) until its deadline (the kiosk's lies well past
an agent restart), and then `AgentUnreachable` says so. Each copy carries an MQTT 5
message expiry of the time left, so the broker, which keeps requests for a restarting
agent, drops the ones nobody waits for.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Callable

from lobby.bus.client import BusClient, answers_topic


class AgentUnreachable(Exception):
    """No answer from the agent: the caller shows its out-of-service screen."""


class Requester:
    def __init__(self, bus: BusClient):
        self.bus = bus
        self._waiting: dict[str, tuple[threading.Event, list[dict]]] = {}
        self._lock = threading.Lock()
        # Subscribed at once, not at the first request: an answer must never beat its subscription.
        bus.subscribe(answers_topic(bus.client_id), self._on_response)

    def _on_response(self, topic: str, payload: bytes) -> None:
        try:
            answer = json.loads(payload)
        except ValueError:
            return
        if not isinstance(answer, dict) or not isinstance(answer.get("transaction"), str):
            return
        with self._lock:
            slot = self._waiting.get(answer["transaction"])
        if slot is not None:
            slot[1].append(answer)
            slot[0].set()

    def request(
        self, op: str, fields: dict, timeout: float = 3.0, deadline_s: float | None = None,
        on_waiting: Callable[[], None] | None = None,
    ) -> dict:
        """Send and wait for the answer (a dict with status/data/error). Raises AgentUnreachable.

        Sent again with the same transaction every `timeout` until `deadline_s` after the
        first try (by default 2 x timeout: one retry); `on_waiting` is called once, when the
        first try goes unanswered."""
        deadline_s = 2 * timeout if deadline_s is None else deadline_s
        transaction = uuid.uuid4().hex
        done, answers = threading.Event(), list[dict]()
        started = time.monotonic()
        with self._lock:
            self._waiting[transaction] = (done, answers)
        try:
            tries = 0
            while True:
                left = deadline_s - (time.monotonic() - started)
                self.bus.publish(
                    f"request/{op}", json.dumps({"transaction": transaction, **fields}, ensure_ascii=False),
                    reply_to=answers_topic(self.bus.client_id, op), correlation=transaction.encode(),
                    # Rounded down: the broker adds up to a second of its own (it keeps whole
                    # seconds and expires only once past them), and no copy may outlive the deadline.
                    expiry_s=max(1, math.floor(left)),
                )
                tries += 1
                if done.wait(min(timeout, max(0.0, left))):
                    return answers[0]
                if tries == 1 and on_waiting is not None:
                    on_waiting()
                if time.monotonic() - started >= deadline_s:
                    raise AgentUnreachable(f"no answer to {op} after {tries} tries over {time.monotonic() - started:.0f} s")
        finally:
            with self._lock:
                self._waiting.pop(transaction, None)
