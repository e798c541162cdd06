"""Reading a request's bytes into JSON without letting any payload hurt the agent.

`json.loads` alone can be made to raise what a request handler does not expect: JSON nested
a few thousand levels deep (RecursionError), an integer of thousands of digits (Python's
limit on int conversion), a lone surrogate escape that no answer can be encoded with. Each
becomes a `PayloadError` with the contract's code and a sentence; everything else is bounded
before or while parsing, never after.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lobby.contract import ErrorCode

MAX_DEPTH = 16  # the deepest real request is 3 levels (ticket -> card -> token)
MAX_NUMBER_DIGITS = 32
# Where a payload cannot be used at all, its transaction may still be readable as sent.
_TRANSACTION = re.compile(rb'"transaction"\s*:\s*"([\x21-\x7e]{1,64})"')


class PayloadError(Exception):
    def __init__(self, code: ErrorCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def transaction_in(payload: bytes) -> str | None:
    """The transaction as the client wrote it, found without parsing the payload (one linear
    scan: the broker already bounds a message's size)."""
    found = _TRANSACTION.search(payload)
    return found.group(1).decode("ascii") if found else None


def nesting_depth(text: str, limit: int) -> int:
    """How deep arrays and objects nest (strings skipped); stops counting past `limit`."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise PayloadError(ErrorCode.INVALID, f"a number in the request has {len(digits)} digits; at most {MAX_NUMBER_DIGITS} are accepted")
    return int(digits)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS + 8:
        raise PayloadError(ErrorCode.INVALID, f"a number in the request is {len(text)} characters long; at most {MAX_NUMBER_DIGITS} digits are accepted")
    return float(text)


def _no_constants(name: str) -> Any:
    raise PayloadError(ErrorCode.BAD_JSON, f"the request is not valid JSON: {name} is not a JSON number")


def _check_text(value: Any) -> None:
    """Lone surrogates (from \\ud800-style escapes) cannot be written back in any answer."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise PayloadError(ErrorCode.NOT_UTF8, "the request holds a lone surrogate escape (\\ud800-\\udfff), which is not text") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def parse_request(payload: bytes) -> Any:
    """The payload as JSON, or PayloadError saying what was wrong."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(ErrorCode.NOT_UTF8, f"the request is not UTF-8 text (bad byte at position {exc.start})") from None
    if nesting_depth(text, MAX_DEPTH) > MAX_DEPTH:
        raise PayloadError(ErrorCode.INVALID, f"the request nests arrays or objects more than {MAX_DEPTH} levels deep")
    try:
        data = json.loads(text, parse_int=_bounded_int, parse_float=_bounded_float, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise PayloadError(ErrorCode.BAD_JSON, f"the request is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    _check_text(data)
    return data
