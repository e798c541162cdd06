"""What a message from a branch becomes at head office. Pure: topic and bytes in, a record out.

    <root>/events/<kind>, <root>/alerts/<kind>  -> an event (kept once)
    <root>/agent/state, .../queue/state, .../devices/<id>/state -> the latest state
    <root>/bridge/state ("1" / "0", the branch broker's bridge) -> the latest state
    anything else, or a payload that is not what the contract says -> ignored, with why

`<root>` is the contract's `lobby/v1/<branch>`. Every payload is read by the contract's model
for its topic (an event kind this head office does not know yet by the base `Event`), so a
field the branch renames or drops is named here, not discovered in a report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from lobby.contract import CONTRACT_ROOT, EVENT_TOPICS, AgentState, DeviceState, Event, QueueState

M = TypeVar("M", bound=BaseModel)

# The contract's version is in the topic root: another version's messages are not ours to read.
ROOT = CONTRACT_ROOT
EVENT_MODELS: dict[str, type[Event]] = {topic: model for model, topic in EVENT_TOPICS.items()}
STATE_MODELS: dict[str, type[BaseModel]] = {"agent/state": AgentState, "queue/state": QueueState}
# A busy branch's queue/state (every waiting ticket) is a few tens of KB; far more is not ours.
MAX_PAYLOAD = 256 * 1024
# An event's own time, by the field its kind carries it in (docs/mqtt.md); the first found wins.
TIME_FIELDS = ("at", "issued_at", "raised_at", "opened_at", "created_at", "answered_at")
STATE_TIME_FIELDS = ("heartbeat_at", "at", "since")


class BridgeState(BaseModel):
    """What head office keeps of the branch broker's own bridge/state notification (1 / 0):
    written here, read by the network view."""

    connected: bool


@dataclass(frozen=True)
class EventRecord:
    event_id: str
    at: datetime
    branch: str
    topic: str
    seq: int | None
    event: Event  # as the contract reads it
    text: str  # the payload as it came: PostgreSQL reads it as jsonb, nobody serialises it again


@dataclass(frozen=True)
class StateRecord:
    branch: str
    kind: str  # agent | queue | device | bridge
    key: str  # the device id; "" for agent and queue
    at: datetime
    state: BaseModel  # AgentState, QueueState, DeviceState or BridgeState
    text: str


@dataclass(frozen=True)
class Ignored:
    reason: str


Record = EventRecord | StateRecord | Ignored


def _read(model: type[M], body: bytes, what: str) -> M | Ignored:
    """The payload as the contract's model (pydantic-core parses and checks it in one pass), or
    why it is not one, in a sentence."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] in ("json_invalid", "json_type"):
            return Ignored(f"{what}: the payload is not JSON")
        if first["type"] == "model_type":
            return Ignored(f"{what}: the payload is not a JSON object")
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return Ignored(f"{what}: not the contract's {what.split(' from ')[0]}: '{where}': {first['msg']}{more}")


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
        bridge = BridgeState(connected=body == b"1")
        return StateRecord(branch, "bridge", "", received, bridge, bridge.model_dump_json())
    what = f"{rest} from {branch}"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Ignored(f"{what}: the payload is not JSON")
    parts = rest.split("/")
    if parts[0] in ("events", "alerts") and len(parts) == 2:
        model = EVENT_MODELS.get(rest)
        event = _read(model or Event, body, what)
        if isinstance(event, Ignored):
            unreadable = event.reason.endswith(("not JSON", "not a JSON object"))
            return event if unreadable or b'"event_id"' in body else Ignored(f"{what}: no event_id")
        if "event_id" not in event.model_fields_set or not event.event_id:
            return Ignored(f"{what}: no event_id")
        # A kind this head office does not know yet keeps its own time in fields no model reads.
        at = _time(event, TIME_FIELDS) if model else _time_in(json.loads(text), TIME_FIELDS)
        return EventRecord(event.event_id, at or received, branch, rest, event.seq, event, text)
    state_model = STATE_MODELS.get(rest) or (DeviceState if parts[0] == "devices" and len(parts) == 3 and parts[2] == "state" else None)
    if state_model is None:
        return Ignored(f"{what}: not a topic head office keeps")
    state = _read(state_model, body, what)
    if isinstance(state, Ignored):
        return state
    kind, key = ("device", parts[1]) if state_model is DeviceState else (parts[0], "")
    return StateRecord(branch, kind, key, _time(state, STATE_TIME_FIELDS) or received, state, text)


def _time(model: BaseModel, names: tuple[str, ...]) -> datetime | None:
    """The message's own time, by the field its kind carries it in (the first found wins)."""
    for name in names:
        value = getattr(model, name, None)
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value
    return None


def _time_in(payload: object, names: tuple[str, ...]) -> datetime | None:
    if not isinstance(payload, dict):
        return None
    for name in names:
        value = payload.get(name)
        if isinstance(value, str):
            try:
                at = datetime.fromisoformat(value)
            except ValueError:
                continue
            if at.tzinfo is not None:
                return at
    return None
