"""Payloads built to hurt: each is answered with a code and a sentence, and nothing escapes.

Found by trying the branch as an attacker would: a lone surrogate in the transaction, JSON
nested thousands deep, an integer of 5,000 digits each once ended the agent; published
retained, on every restart. The pure reader is checked here exhaustively, the whole path
against the real broker in test_bus.py, and the agent's own boundary by injecting a fault.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.bus.payload import MAX_DEPTH, PayloadError, nesting_depth, parse_request, transaction_in
from lobby.contract import ErrorCode

KILLERS = {
    "lone surrogate": (b'{"transaction": "\\ud800", "counter": "1"}', ErrorCode.NOT_UTF8),
    "deep nesting": (b"[" * 3000 + b"]" * 3000, ErrorCode.INVALID),
    "huge integer": (b'{"transaction": "t1", "counter": ' + b"9" * 5000 + b"}", ErrorCode.INVALID),
    "NaN": (b'{"transaction": "t2", "counter": NaN}', ErrorCode.BAD_JSON),
    "long float": (b'{"transaction": "t3", "x": 1.' + b"5" * 500 + b"}", ErrorCode.INVALID),
}


def test_each_known_killer_is_a_payload_error_with_its_code():
    for name, (payload, code) in KILLERS.items():
        try:
            parse_request(payload)
        except PayloadError as exc:
            assert exc.code is code, name
            assert len(exc.message) > 20, name
        else:
            raise AssertionError(f"{name} was accepted")


def test_real_requests_still_parse():
    assert parse_request(b'{"transaction": "t", "service": "cash", "card": {"token": "ab", "masked_pan": "1"}}')["service"] == "cash"
    assert parse_request(json.dumps({"a": [[[1, 2.5, -3]]], "b": "王先生"}, ensure_ascii=False).encode())["b"] == "王先生"


def test_nesting_depth_skips_brackets_inside_strings():
    assert nesting_depth('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[["}', MAX_DEPTH) == 1
    assert nesting_depth('{"a": "\\"[[[[", "b": [[1]]}', MAX_DEPTH) == 3
    assert nesting_depth("[" * 100, MAX_DEPTH) == MAX_DEPTH + 1  # stops counting past the limit


def test_the_transaction_is_found_as_sent_without_parsing():
    assert transaction_in(b'{"pad": "xxxx", "transaction": "  rt-1"}') is None  # not printable ASCII from the start: unreadable
    assert transaction_in(b'{"transaction":"rt-pad-1", "pad": "' + b"x" * 20000 + b'"}') == "rt-pad-1"
    assert transaction_in(b"\xff\xfe garbage") is None


def test_a_too_large_request_echoes_a_transaction_written_after_its_first_4_kb():
    """docs/mqtt.md: the transaction is echoed whenever it can be read, wherever it stands."""
    late = b'{"kiosk": "' + b"k" * 20_000 + b'", "transaction": "rt-late-1", "service": "cash"}'
    assert transaction_in(late) == "rt-late-1"


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=3000, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_fail_as_a_payload_error(payload):
    try:
        parse_request(payload)
    except PayloadError:
        pass


@settings(max_examples=3000, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_fails_as_a_payload_error(text):
    try:
        data = parse_request(text.encode("utf-8", errors="surrogatepass"))
    except PayloadError:
        return
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # whatever parsed can be written back


@settings(max_examples=1000, deadline=None)
@given(JSONISH)
def test_json_within_the_bounds_reads_back_as_itself(value):
    payload = json.dumps(value, ensure_ascii=False).encode("utf-8", errors="surrogatepass")
    try:
        assert parse_request(payload) == value
    except PayloadError as exc:
        assert exc.code in (ErrorCode.NOT_UTF8, ErrorCode.INVALID)  # a lone surrogate, or a number over the bound


def test_a_fault_inside_the_agent_is_answered_as_internal_and_the_agent_goes_on(branch_config, tmp_path, mocker):
    """The handler's boundary: whatever raises while a request is handled is logged and answered."""
    from edge_agent.agent import Agent
    from lobby.bus.client import ReplyTo

    credentials = branch_config.mqtt.credentials_file
    credentials.parent.mkdir(parents=True, exist_ok=True)
    credentials.write_text(json.dumps({"agent": {"username": "a", "password": "p"}}))
    agent = Agent(branch_config)
    sent = []
    mocker.patch.object(agent.bus, "publish", side_effect=lambda topic, payload, **kw: sent.append((topic, json.loads(payload))))
    fault = mocker.patch("edge_agent.agent.handle_request", side_effect=RuntimeError("a bug"))
    reply = ReplyTo("response/b1-teller.t/call_next", b"rt-7")
    agent._serve("call_next", b'{"transaction": "rt-7", "counter": "1"}', reply)
    assert sent == [("response/b1-teller.t/call_next", {
        "transaction": "rt-7", "status": "error", "code": "internal",
        "error": "the agent could not complete this request; it logged the details",
    })]
    mocker.stop(fault)
    agent._serve("counter_open", b'{"transaction": "rt-8", "counter": "1"}', reply)  # the next request is served as ever
    assert sent[-1][1]["status"] == "ok", sent[-1]
    agent.branch.close()


def test_an_error_answer_stays_small_however_many_problems_the_request_has():
    """1,400 unknown keys in a 13 KB request once drew a 55 KB error sent to every kiosk."""
    from edge_agent.bus.requests import handle_request

    fields = {f"k{i:04d}{'x' * 3}": i for i in range(1400)}
    payload = json.dumps({"transaction": "big-1", "service": "cash", **fields}).encode()
    assert len(payload) > 13_000
    # Validation refuses it before the branch is consulted, so none is needed here.
    handled = handle_request("ticket", payload, branch=None, max_payload_bytes=65536)
    answer = handled.response.model_dump_json(exclude_none=True)
    assert handled.response.code is ErrorCode.INVALID and handled.response.transaction == "big-1"
    assert len(answer) < 1200, len(answer)
    assert "and 1395 more problems" in answer
    long_key = json.dumps({"transaction": "big-2", "x" * 5000: 1}).encode()
    assert len(handle_request("ticket", long_key, branch=None, max_payload_bytes=65536).response.model_dump_json()) < 600


def test_every_generated_hostile_payload_is_refused_before_the_branch_is_consulted():
    """The fuzz test over the broker relies on this: none of its payloads is a request the
    agent may act on, so the store must be unchanged afterwards."""
    from edge_agent.bus.requests import handle_request
    from tests.hostile import BASES, KINDS, UNKNOWN_OPS, hostile_payloads

    kinds_seen = set()
    for op in [*BASES, *UNKNOWN_OPS]:
        for kind, payload in hostile_payloads(seed=7, op=op, count=270):
            handled = handle_request(op, payload, branch=None, max_payload_bytes=16384)
            assert handled.response.status == "error" and handled.response.code is not ErrorCode.INTERNAL, (kind, payload[:80])
            assert len(handled.response.model_dump_json()) < 1500, (kind, payload[:80])
            kinds_seen.add(kind)
    assert kinds_seen == set(KINDS)
