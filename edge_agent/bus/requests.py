"""`request/<op>` in, `response/<op>` out: validation and dispatch, with no paho in sight.

Every request is answered, including the malformed ones, with a sentence saying what was
wrong and where; the transaction is echoed whenever it can be read. Nothing a client sends
can stop the agent: an unexpected failure is logged with its traceback and answered as an
internal error.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from pydantic import ValidationError

from edge_agent.branch import Branch
from lobby.contract import REQUEST_MODELS, Response
from edge_agent.queue.engine import QueueError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handled:
    op: str
    response: Response
    # For a newly issued ticket: what the agent must still do (print, then answer).
    print_ticket: dict | None = None


def _error(op: str, transaction: str | None, code: str, message: str) -> Handled:
    return Handled(op, Response(transaction=transaction, status="error", code=code, error=message))


def _readable_transaction(data: object) -> str | None:
    if isinstance(data, dict):
        value = data.get("transaction")
        if isinstance(value, str) and 0 < len(value) <= 64:
            return value
    return None


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "payload"
        kind = error["type"]
        if kind == "extra_forbidden":
            parts.append(f"'{where}' is not a field of this request")
        elif kind == "missing":
            parts.append(f"'{where}' is required")
        else:
            parts.append(f"'{where}': {error['msg']}")
    return "; ".join(parts)


def handle_request(op: str, payload: bytes, branch: Branch, max_payload_bytes: int) -> Handled:
    if len(payload) > max_payload_bytes:
        return _error(op, None, "too_large", f"the request is {len(payload)} bytes; the limit is {max_payload_bytes} bytes")
    model = REQUEST_MODELS.get(op)
    try:
        data = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return _error(op, None, "not_utf8", f"the request is not UTF-8 text (bad byte at position {exc.start})")
    except json.JSONDecodeError as exc:
        return _error(op, None, "bad_json", f"the request is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    transaction = _readable_transaction(data)
    if model is None:
        known = ", ".join(sorted(REQUEST_MODELS))
        return _error(op, transaction, "unknown_op", f"'{op}' is not an operation; the operations are: {known}")
    if not isinstance(data, dict):
        return _error(op, transaction, "not_an_object", f"the request must be a JSON object, not {type(data).__name__}")
    try:
        request = model.model_validate(data)
    except ValidationError as exc:
        return _error(op, transaction, "invalid", f"invalid {op} request: {_describe(exc)}")
    try:
        result = _dispatch(op, request, branch)
    except QueueError as exc:
        return _error(op, request.transaction, exc.code, exc.message)
    except Exception:
        log.exception("request %s (transaction %s) failed inside the agent", op, request.transaction)
        return _error(op, request.transaction, "internal", "the agent could not complete this request; it logged the details")
    response = Response(transaction=request.transaction, status="ok", data=result)
    needs_print = op == "ticket" and not result.get("replayed")
    return Handled(op, response, print_ticket=result | {"lang": request.lang} if needs_print else None)


def _dispatch(op: str, request, branch: Branch) -> dict:
    if op == "ticket":
        return branch.issue_ticket(
            request.service, card=request.card, lang=request.lang, kiosk=request.kiosk, transaction=request.transaction
        )
    if op == "identify":
        return branch.identify_card(request.card)
    if op == "transfer":
        return branch.transfer(request.ticket, request.to_service, counter=request.counter, transaction=request.transaction)
    if op == "alert_ack":
        return branch.acknowledge_alert(request.alert_id, request.by, request.outcome, transaction=request.transaction)
    return getattr(branch, op)(request.counter, ticket=request.ticket, transaction=request.transaction)
