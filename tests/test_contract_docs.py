"""docs/mqtt.md describes every topic, operation, field and error code the agent uses."""

from __future__ import annotations

import re

from edge_agent.bus.broker_setup import role_access
from lobby.contract import EVENT_TOPICS, REQUEST_MODELS, AgentState, QueueState
from tests.conftest import REPO

DOC = (REPO / "docs" / "mqtt.md").read_text(encoding="utf-8")


def test_every_event_topic_and_field_is_documented():
    for model, topic in EVENT_TOPICS.items():
        assert f"`{topic}`" in DOC, topic
        for field in model.model_fields:
            assert f'"{field}"' in DOC, f"{topic}: field {field} is not in docs/mqtt.md"


def test_every_operation_and_its_fields_are_documented():
    for op, model in REQUEST_MODELS.items():
        assert f"| `{op}` |" in DOC, op
        for field in model.model_fields:
            if field != "transaction":
                assert f"`{field}" in DOC, f"{op}: field {field}"


def test_state_payloads_are_documented():
    for model in (AgentState, QueueState):
        for field in model.model_fields:
            assert f'"{field}"' in DOC, field


def test_every_error_code_in_the_code_is_documented():
    sources = "".join(p.read_text() for p in (REPO / "edge_agent").rglob("*.py"))
    codes = set(re.findall(r'QueueError\(\s*"([a-z_]+)"', sources))
    codes |= set(re.findall(r'_error\(op, [a-z_]+, "([a-z_]+)"', sources))
    codes |= set(re.findall(r'_called\(\s*counter_id,\s*"([a-z_]+)"', sources))
    assert len(codes) > 20
    for code in codes:
        assert f"`{code}`" in DOC, f"error code {code} is not documented"


def test_acl_table_matches_the_generated_roles():
    for role in role_access():
        assert f"| `{role}` |" in DOC
