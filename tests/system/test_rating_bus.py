"""Ratings and complaints over the real broker with the generated ACL: tampered votes are
refused in words (and on record), bad input on every new op is answered with the transaction
echoed, and the agent keeps running."""

from __future__ import annotations

from tests.bus_helpers import ask, client, publish_reason, tx
from tests.staff_helpers import PINS


def test_tampered_votes_are_refused_in_words_and_on_record(broker, staffed_agent, agent_toml):
    import sqlite3

    from lobby.config import load_config

    teller, rater, kiosk = client(broker, "teller"), client(broker, "rater"), client(broker, "kiosk")
    rater.subscribe("events/rating_prompt")
    session = ask(teller, "staff_sign_in", staff_id="T301", pin=PINS["T301"], page="teller", counter="3")["data"]["session"]
    assert ask(teller, "counter_open", counter="3", session=session)["status"] == "ok"

    def serve() -> dict:
        assert ask(kiosk, "ticket", service="cash")["status"] == "ok"
        assert ask(teller, "call_next", counter="3", session=session)["status"] == "ok"
        before = len(rater.on("events/rating_prompt"))
        assert ask(teller, "complete", counter="3", session=session)["status"] == "ok"
        rater.wait_for(lambda m: len([p for t, p, _ in m if t == "events/rating_prompt"]) > before, timeout=3)
        return [p for p in rater.on("events/rating_prompt") if p["state"] == "open"][-1]

    first = serve()
    assert ask(rater, "rate", counter="3", prompt_id=first["prompt_id"], score=3)["status"] == "ok"
    second = ask(rater, "rate", counter="3", prompt_id=first["prompt_id"], score=1)
    assert second["code"] == "prompt_closed" and "already rated" in second["error"]
    other = serve()
    wrong_counter = ask(rater, "rate", counter="5", prompt_id=other["prompt_id"], score=3)
    assert wrong_counter["code"] == "wrong_counter" and "counter 3" in wrong_counter["error"]
    assert ask(kiosk, "ticket", service="cash")["status"] == "ok"
    assert ask(teller, "call_next", counter="3", session=session)["status"] == "ok"
    late = ask(rater, "rate", counter="3", prompt_id=other["prompt_id"], score=3)
    assert late["code"] == "prompt_closed" and "called its next ticket" in late["error"]
    # The teller's own console cannot vote: the broker refuses the publish (MQTT 5 says so).
    assert publish_reason(teller, "request/rate") == "Not authorized"
    config = load_config(agent_toml)
    refused = sqlite3.connect(config.store.path).execute("SELECT code FROM rating_refusals ORDER BY seq").fetchall()
    assert [r[0] for r in refused] == ["prompt_closed", "wrong_counter", "prompt_closed"]
    assert staffed_agent.alive()
    for c in (teller, rater, kiosk):
        c.close()


BAD = [
    ("rate", {"counter": "3", "prompt_id": "not-hex", "score": 3}, "invalid"),
    ("rate", {"counter": "3", "prompt_id": "a" * 32, "score": 9}, "invalid"),
    ("rate", {"counter": "3", "prompt_id": "a" * 32, "score": "three"}, "invalid"),
    ("rate", {"counter": "3", "prompt_id": "a" * 32, "score": 3, "reasons": ["x" * 40]}, "invalid"),
    ("rate", {"counter": "3", "prompt_id": "a" * 32, "score": 3}, "unknown_prompt"),
    ("service_alert_ack", {"session": "s" * 43, "alert_id": "b" * 32}, "signed_out"),
    ("service_alert_ack", {"alert_id": "b" * 32}, "invalid"),
    ("complaint_open", {"session": "s" * 43, "category": "waiting", "said": "x" * 501}, "invalid"),
    ("complaint_open", {"session": "s" * 43, "category": "waiting", "said": ""}, "invalid"),
    ("complaint_open", {"session": "s" * 43, "category": "waiting", "said": "等太久", "contact": "call me"}, "invalid"),
    ("complaint_update", {"session": "s" * 43, "complaint_id": "c" * 32, "to": "closed", "note": "x"}, "invalid"),
    ("complaint_update", {"session": "s" * 43, "complaint_id": "c" * 32, "to": "resolved", "note": "x"}, "signed_out"),
    ("complaint_list", {"session": 42}, "invalid"),
]


def test_bad_input_on_every_new_op_is_answered_with_its_transaction(broker, staffed_agent):
    hq = client(broker, "hq")  # head office may send every request
    for op, fields, code in BAD:
        transaction = tx()
        hq.publish(f"request/{op}", {"transaction": transaction, **fields})
        answer = hq.response(op, transaction)
        assert answer["transaction"] == transaction and answer["status"] == "error" and answer["code"] == code, (op, fields, answer)
        assert len(answer["error"]) > 15
    manager = ask(hq, "staff_sign_in", staff_id="M101", pin=PINS["M101"], page="manager")["data"]["session"]
    assert ask(hq, "complaint_update", session=manager, complaint_id="c" * 32, to="resolved", note="x")["code"] == "unknown_complaint"
    assert ask(hq, "service_alert_ack", session=manager, alert_id="b" * 32)["code"] == "unknown_service_alert"
    assert ask(hq, "complaint_open", session=manager, category="weather", said="x")["code"] == "unknown_category"
    assert staffed_agent.alive()
    hq.close()
