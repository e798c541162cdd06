"""Hostile request payloads from a seeded generator, for the fuzz test over the real broker.

Each payload carries at least one defect (a parse-level one, a wrong type, a value out of
its bounds, an unknown key), so none is a request the agent may act on: a test can then
say exactly what the store must look like afterwards (unchanged). The kinds are the ones
an attacker on the branch LAN tried: deep nesting, huge numbers, lone surrogates, invalid
UTF-8, long strings, wrong types, unknown keys, not an object, broken JSON, nothing at all.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator

# One plausible request per op: never sent as it is, only with a defect applied.
BASES: dict[str, dict] = {
    "ticket": {"service": "cash", "lang": "zh", "kiosk": "kiosk-1"},
    "identify": {"card": {"token": "ab" * 32, "masked_pan": "622202*********0128"}},
    "call_next": {"counter": "1"},
    "recall": {"counter": "1", "ticket": "A001"},
    "no_show": {"counter": "1", "ticket": "A001"},
    "complete": {"counter": "1", "ticket": "A001"},
    "transfer": {"ticket": "A001", "to_service": "noncash", "counter": "1"},
    "counter_open": {"counter": "1"},
    "counter_close": {"counter": "1"},
    "alert_ack": {"alert_id": "0" * 32, "by": "fuzz", "outcome": "greeted"},
}
UNKNOWN_OPS = ("shutdown", "ticket_all")
WRONG_VALUES: tuple = (0, -1, 3.5, True, None, [], ["1"], {}, {"a": 1}, "", " ", "\u0000", "x" * 80, "../../etc/passwd")


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", errors="surrogatepass")


def _transaction(rng: random.Random) -> object:
    return rng.choice([f"fz-{rng.getrandbits(48):x}", f"  fz-{rng.getrandbits(32):x}  ", "t" * 65, 7, None, ["t"], "\u202e\u0000"])


def _request(rng: random.Random, op: str) -> dict:
    base = dict(BASES.get(op, {"counter": "1"}))
    if rng.random() < 0.9:
        base["transaction"] = _transaction(rng)
    return base


def deep_nesting(rng: random.Random, op: str) -> bytes:
    depth = rng.choice([17, 50, 1000, 3000, 6000])
    if rng.random() < 0.5:
        return b"[" * depth + b"]" * depth
    request = _request(rng, op)
    field = rng.choice(sorted(request))
    return _json(request)[:-1] + f', "{field}x": '.encode() + b"[" * depth + b"]" * depth + b"}"


def huge_number(rng: random.Random, op: str) -> bytes:
    digits = rng.choice([33, 400, 5000, 20000])
    number = rng.choice([b"9" * digits, b"-" + b"1" * digits, b"1." + b"5" * digits, b"1e" + b"9" * min(digits, 400)])
    request = _request(rng, op)
    field = rng.choice([*sorted(request), "transaction"])
    request.pop(field, None)
    return _json(request)[:-1] + (b", " if request else b"") + f'"{field}": '.encode() + number + b"}"


def lone_surrogate(rng: random.Random, op: str) -> bytes:
    request = _request(rng, op)
    field = rng.choice([*sorted(request), "transaction"])
    request[field] = "\ud800" + "x" * rng.randint(0, 8) if rng.random() < 0.7 else "\udfff"
    return _json(request).replace(b"\xed\xa0\x80", b"\\ud800").replace(b"\xed\xbf\xbf", b"\\udfff")


def invalid_utf8(rng: random.Random, op: str) -> bytes:
    text = _json(_request(rng, op))
    cut = rng.randrange(1, len(text))
    return text[:cut] + rng.choice([b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xf0\x28\x8c\x28", b"\x80"]) + text[cut:]


def long_string(rng: random.Random, op: str) -> bytes:
    request = _request(rng, op)
    field = rng.choice(sorted(request))
    request[field] = rng.choice(["x", "王", "\u202e", "a b"]) * rng.choice([70, 2000, 17000, 40000])
    return _json(request)


def wrong_type(rng: random.Random, op: str) -> bytes:
    request = _request(rng, op)
    request["transaction"] = _transaction(rng)
    fields = [f for f in sorted(request) if f != "transaction"]
    for field in rng.sample(fields, rng.randint(1, len(fields))):
        request[field] = rng.choice(WRONG_VALUES)
        if field == "card" and rng.random() < 0.5:
            request[field] = {"token": rng.choice(WRONG_VALUES), "masked_pan": "4111111111111111"}
    if all(v in ("1",) for f, v in request.items() if f != "transaction"):  # a wrong value can look right
        request["zz"] = 1
    return _json(request)


def unknown_keys(rng: random.Random, op: str) -> bytes:
    request = _request(rng, op)
    for i in range(rng.choice([1, 10, 300, 1500])):
        request[f"k{i}{'_' * rng.randint(0, 3)}"] = rng.choice(WRONG_VALUES[:8])
    return _json(request)


def not_an_object(rng: random.Random, op: str) -> bytes:
    return _json(rng.choice([[], [_request(rng, op)], "ticket", 1, None, True, 1.5]))


def broken_json(rng: random.Random, op: str) -> bytes:
    text = _json(_request(rng, op))
    return rng.choice([
        text[: rng.randrange(1, len(text))], text + b"}", text + b" trailing", b"{'single': 'quotes'}",
        text[:-1] + b', "n": NaN}', text[:-1] + b', "n": Infinity}', b"{" * 3, b"\x00" * 4, b"",
    ])


KINDS: dict[str, Callable[[random.Random, str], bytes]] = {
    "deep nesting": deep_nesting, "huge number": huge_number, "lone surrogate": lone_surrogate,
    "invalid UTF-8": invalid_utf8, "long string": long_string, "wrong type": wrong_type,
    "unknown keys": unknown_keys, "not an object": not_an_object, "broken JSON": broken_json,
}


def hostile_payloads(seed: int, op: str, count: int) -> Iterator[tuple[str, bytes]]:
    """`count` payloads for `op`, every kind in turn, reproducible from `seed`."""
    rng = random.Random(f"{seed}/{op}")
    kinds = list(KINDS.items())
    for i in range(count):
        name, make = kinds[i % len(kinds)]
        yield name, make(rng, op)
