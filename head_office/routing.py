"""What a message from a branch becomes at head office. Pure: topic and bytes in, a record out.

    lobby/v1/<branch>/events/<kind>, lobby/v1/<branch>/alerts/<kind>  -> an event (kept once)
    lobby/v1/<branch>/agent/state, .../queue/state, .../devices/<id>/state -> the latest state
    lobby/v1/<branch>/bridge/state ("1" / "0", the branch broker's bridge) -> the latest state
    anything else, or a payload that is not what the contract says -> ignored, with why
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

ROOT = "lobby/v1/"
# The contract's version is in the topic root; a payload that names another one was written
# for a contract this head office does not know and is not read as if it were version 1.
SCHEMA_VERSION = 1
# A busy branch's queue/state (every waiting ticket) is a few tens of KB; far more is not ours.
MAX_PAYLOAD = 256 * 1024
# An event's own time, by the field its kind carries it in (docs/mqtt.md); the first found wins.
TIME_FIELDS = ("at", "issued_at", "raised_at", "opened_at", "created_at", "answered_at")
STATE_TIME_FIELDS = ("heartbeat_at", "at", "since")


@dataclass(frozen=True)
class EventRecord:
    event_id: str
    at: datetime
    branch: str
    topic: str
    seq: int | None
    payload: dict
    text: str  # the payload as it came: PostgreSQL reads it as jsonb, nobody serialises it again


@dataclass(frozen=True)
class StateRecord:
    branch: str
    kind: str  # agent | queue | device | bridge
    key: str  # the device id; "" for agent and queue
    at: datetime
    payload: dict
    text: str


@dataclass(frozen=True)
class Ignored:
    reason: str


Record = EventRecord | StateRecord | Ignored


def _time(payload: dict, names: tuple[str, ...], received: datetime) -> datetime:
    for name in names:
        value = payload.get(name)
        if isinstance(value, str):
            try:
                at = datetime.fromisoformat(value)
            except ValueError:
                continue
            if at.tzinfo is not None:
                return at
    return received


def route(topic: str, body: bytes, received: datetime) -> Record:
    """`received`: when head office got it (aware), used when the payload names no time."""
    if not topic.startswith(ROOT):
        return Ignored(f"not under {ROOT}")
    branch, _, rest = topic[len(ROOT):].partition("/")
    if not branch or not rest:
        return Ignored("no branch or no topic under it")
    if len(body) > MAX_PAYLOAD:
        return Ignored(f"{rest} from {branch}: {len(body)} bytes, more than the {MAX_PAYLOAD} a message may have")
    if rest == "bridge/state":  # Mosquitto's own notification: 1 when connected, 0 (its will) when not
        if body not in (b"0", b"1"):
            return Ignored(f"bridge/state from {branch}: neither 0 nor 1")
        connected = body == b"1"
        return StateRecord(branch, "bridge", "", received, {"connected": connected}, '{"connected": %s}' % ("true" if connected else "false"))
    try:
        text = body.decode("utf-8")
        payload = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Ignored(f"{rest} from {branch}: the payload is not JSON")
    if not isinstance(payload, dict):
        return Ignored(f"{rest} from {branch}: the payload is not a JSON object")
    if payload.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        return Ignored(f"{rest} from {branch}: schema_version {payload['schema_version']!r}, not {SCHEMA_VERSION}")
    parts = rest.split("/")
    if parts[0] in ("events", "alerts") and len(parts) == 2:
        event_id, seq = payload.get("event_id"), payload.get("seq")
        if not isinstance(event_id, str) or not event_id:
            return Ignored(f"{rest} from {branch}: no event_id")
        return EventRecord(event_id, _time(payload, TIME_FIELDS, received), branch, rest, seq if isinstance(seq, int) else None, payload, text)
    if rest in ("agent/state", "queue/state"):
        return StateRecord(branch, parts[0], "", _time(payload, STATE_TIME_FIELDS, received), payload, text)
    if parts[0] == "devices" and len(parts) == 3 and parts[2] == "state":
        return StateRecord(branch, "device", parts[1], _time(payload, STATE_TIME_FIELDS, received), payload, text)
    return Ignored(f"{rest} from {branch}: not a topic head office keeps")
