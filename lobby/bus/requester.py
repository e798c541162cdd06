"""The client side of `request/<op>` -> the requester's own answers topic: for kiosks,
consoles and the demo.

Each request names, as its MQTT 5 response topic, `response/<client id>/<op>`, which only
this client may read (the broker's ACL), and carries its transaction as correlation data:
no other kiosk ever sees the answer. A request gets a fresh transaction id; if no answer
comes within the timeout it is sent again with the *same* id (the agent answers a repeat
with its first answer and changes nothing), and after the retries `AgentUnreachable` says so.
"""

from __future__ import annotations

import json
import threading
import uuid

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

    def request(self, op: str, fields: dict, timeout: float = 3.0, retries: int = 1) -> dict:
        """Send and wait for the answer (a dict with status/data/error). Raises AgentUnreachable."""
        transaction = uuid.uuid4().hex
        done, answers = threading.Event(), list[dict]()
        with self._lock:
            self._waiting[transaction] = (done, answers)
        try:
            for _ in range(1 + retries):
                self.bus.publish(
                    f"request/{op}", json.dumps({"transaction": transaction, **fields}, ensure_ascii=False),
                    reply_to=answers_topic(self.bus.client_id, op), correlation=transaction.encode(),
                )
                if done.wait(timeout):
                    return answers[0]
            raise AgentUnreachable(f"no answer to {op} after {1 + retries} tries of {timeout:g} s")
        finally:
            with self._lock:
                self._waiting.pop(transaction, None)
