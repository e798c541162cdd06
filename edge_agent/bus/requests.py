"""`request/<op>` in, `response/<op>` out: validation and dispatch, with no paho in sight.

Every request is answered, including the malformed ones, with a sentence saying what was
wrong and where; the transaction is echoed whenever it can be read. Nothing a client sends
can stop the agent: an unexpected failure is logged with its traceback and answered as an
internal error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from edge_agent.branch import Branch
from edge_agent.bus.payload import PayloadError, parse_request, transaction_in
from edge_agent.queue.engine import QueueError
from edge_agent.rules.referrals import OutcomeForm
from edge_agent.store.db import StoreUnwritable
from lobby.contract import OPERATIONS, Answer, ErrorCode, ReferralState, Response, TicketAnswer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handled:
    op: str
    response: Response
    # For a newly issued ticket: what the agent must still do (print, then answer).
    print_ticket: TicketAnswer | None = None
    # The store would not take the request's write: the agent reports it on agent/state.
    unwritable: StoreUnwritable | None = None


# One line per operation: how its validated request becomes a call on the branch
# (Zigbee2MQTT's requestLookup). The request model for each op is the contract's.
Handler = Callable[[Branch, Any], Answer]
HANDLERS: dict[str, Handler] = {
    "ticket": lambda branch, r: branch.issue_ticket(r.service, card=r.card, lang=r.lang, kiosk=r.kiosk, transaction=r.transaction),
    "identify": lambda branch, r: branch.identify_card(r.card),
    "call_next": lambda branch, r: branch.call_next(r.counter, transaction=r.transaction, session=r.session),
    "recall": lambda branch, r: branch.recall(r.counter, ticket=r.ticket, transaction=r.transaction, session=r.session),
    "no_show": lambda branch, r: branch.no_show(r.counter, ticket=r.ticket, transaction=r.transaction, session=r.session),
    "complete": lambda branch, r: branch.complete(r.counter, ticket=r.ticket, transaction=r.transaction, session=r.session),
    "transfer": lambda branch, r: branch.transfer(r.ticket, r.to_service, counter=r.counter, transaction=r.transaction, session=r.session),
    "counter_open": lambda branch, r: branch.counter_open(r.counter, transaction=r.transaction, session=r.session),
    "counter_close": lambda branch, r: branch.counter_close(r.counter, transaction=r.transaction, session=r.session),
    "alert_ack": lambda branch, r: branch.acknowledge_alert(r.alert_id, r.by, r.outcome, transaction=r.transaction, session=r.session),
    "staff_sign_in": lambda branch, r: branch.staff.sign_in(r.staff_id, r.pin, r.page, r.counter),
    "staff_sign_out": lambda branch, r: branch.staff.sign_out(r.session),
    "refer": lambda branch, r: branch.referrals.refer(
        r.session, r.ticket, r.alert_id, r.to_rm, r.destination, r.triggers, r.note, r.customer_name, transaction=r.transaction
    ),
    "referral_list": lambda branch, r: branch.referrals.listing(r.session),
    "referral_accept": lambda branch, r: branch.referrals.accept(r.session, r.referral_id, transaction=r.transaction),
    "referral_outcome": lambda branch, r: branch.referrals.record_outcome(
        r.session, r.referral_id, OutcomeForm(ReferralState(r.outcome), r.product, r.follow_up_on, r.channel, r.phone, r.consent),
        r.meets_criteria, r.note, transaction=r.transaction,
    ),
    "prospect_mark": lambda branch, r: branch.referrals.mark_prospect(r.session, r.ticket, r.reason, r.customer_name, transaction=r.transaction),
    "prospect_unmark": lambda branch, r: branch.referrals.unmark_prospect(r.session, r.ticket, transaction=r.transaction),
    "promotion_publish": lambda branch, r: branch.promotions.publish(
        r.session, r.title, r.text, r.image, r.starts_on, r.ends_on, r.tiers, transaction=r.transaction
    ),
    "promotion_withdraw": lambda branch, r: branch.promotions.withdraw(r.session, r.promotion_id, transaction=r.transaction),
    "rate": lambda branch, r: branch.ratings.rate(r.counter, r.prompt_id, r.score, r.reasons, transaction=r.transaction),
    "service_alert_ack": lambda branch, r: branch.ratings.acknowledge(r.session, r.alert_id, r.note, transaction=r.transaction),
    "complaint_open": lambda branch, r: branch.complaints.open(
        r.session, r.category, r.said, r.ticket, r.service_alert_id, r.contact, r.consent, transaction=r.transaction
    ),
    "complaint_update": lambda branch, r: branch.complaints.update(r.session, r.complaint_id, r.to, r.note, transaction=r.transaction),
    "complaint_list": lambda branch, r: branch.complaints.listing(r.session),
    "replay": lambda branch, r: branch.replay(r.after_seq, r.limit),
    "check_in": lambda branch, r: branch.appointments.check_in(r.scanned, r.code, lang=r.lang, kiosk=r.kiosk, transaction=r.transaction),
    "appointments_sync": lambda branch, r: branch.appointments.sync(r.version, r.booking_key, r.bookings, transaction=r.transaction),
}


def _error(op: str, transaction: str | None, code: ErrorCode, message: str, detail: dict | None = None) -> Handled:
    return Handled(op, Response(transaction=transaction, status="error", code=code, error=message, data=detail))


def _readable_transaction(data: object) -> str | None:
    if isinstance(data, dict):
        value = data.get("transaction")
        if isinstance(value, str) and 0 < len(value) <= 64:
            return value
    return None


# An error answer names the first few problems only: a request with 1,400 unknown keys once
# drew a 55 KB answer. Each place is cut short too (a key can be as long as the payload).
MAX_PROBLEMS_NAMED = 5
MAX_PLACE_CHARS = 60


def _describe(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    parts = []
    for error in errors[:MAX_PROBLEMS_NAMED]:
        where = ".".join(str(p) for p in error["loc"]) or "payload"
        if len(where) > MAX_PLACE_CHARS:
            where = where[:MAX_PLACE_CHARS] + "…"
        kind = error["type"]
        if kind == "extra_forbidden":
            parts.append(f"'{where}' is not a field of this request")
        elif kind == "missing":
            parts.append(f"'{where}' is required")
        else:
            parts.append(f"'{where}': {error['msg'][:120]}")
    if len(errors) > MAX_PROBLEMS_NAMED:
        parts.append(f"and {len(errors) - MAX_PROBLEMS_NAMED} more problems")
    return "; ".join(parts)


def payload_limit(op: str, branch: Branch, max_payload_bytes: int) -> int:
    """A promotion carries its picture: its request may be that much larger (base64 is 4/3)."""
    if op == "promotion_publish":
        return max_payload_bytes + branch.config.promotions.max_image_kb * 1024 * 4 // 3 + 1024
    return max_payload_bytes


def handle_request(op: str, payload: bytes, branch: Branch, max_payload_bytes: int) -> Handled:
    max_payload_bytes = payload_limit(op, branch, max_payload_bytes)
    if len(payload) > max_payload_bytes:
        message = f"the request is {len(payload)} bytes; the limit is {max_payload_bytes} bytes"
        return _error(op, transaction_in(payload), ErrorCode.TOO_LARGE, message)
    operation = OPERATIONS.get(op)
    try:
        data = parse_request(payload)
    except PayloadError as exc:
        return _error(op, transaction_in(payload) if exc.code is not ErrorCode.NOT_UTF8 else None, exc.code, exc.message)
    transaction = _readable_transaction(data)
    if operation is None:
        known = ", ".join(sorted(OPERATIONS))
        return _error(op, transaction, ErrorCode.UNKNOWN_OP, f"'{op}' is not an operation; the operations are: {known}")
    if not isinstance(data, dict):
        return _error(op, transaction, ErrorCode.NOT_AN_OBJECT, f"the request must be a JSON object, not {type(data).__name__}")
    try:
        request = operation.request.model_validate(data)
    except ValidationError as exc:
        return _error(op, transaction, ErrorCode.INVALID, f"invalid {op} request: {_describe(exc)}")
    try:
        answer = HANDLERS[op](branch, request)
    except QueueError as exc:
        return _error(op, request.transaction, exc.code, exc.message, exc.detail)
    except StoreUnwritable as exc:
        code = ErrorCode.STORE_FULL if exc.problem == "disk_full" else ErrorCode.STORE_READ_ONLY
        refused = _error(op, request.transaction, code, str(exc))
        return Handled(refused.op, refused.response, unwritable=exc)
    except Exception:
        log.exception("request %s (transaction %s) failed inside the agent", op, request.transaction)
        return _error(op, request.transaction, ErrorCode.INTERNAL, "the agent could not complete this request; it logged the details")
    response = Response(transaction=request.transaction, status="ok", data=answer.model_dump(mode="json"))
    fresh_ticket = answer if isinstance(answer, TicketAnswer) and not answer.replayed else None
    return Handled(op, response, print_ticket=fresh_ticket)
