"""docs/mqtt.md describes every topic, operation, field and error code the agent uses.

The models in lobby/contract/ and the codes in lobby/contract/errors.py are the source; this file
checks the documentation and the pages' translations against them, so neither can drift.
"""

from __future__ import annotations

import ast
import re

from edge_agent.bus.broker_setup import role_access
from edge_agent.bus.requests import HANDLERS
from lobby.contract import EVENT_TOPICS, OPERATIONS, ROLES, AgentState, DeviceState, ErrorCode, QueueState, ServiceQueueState, SignIn
from tests.conftest import REPO

DOC = (REPO / "docs" / "mqtt.md").read_text(encoding="utf-8")
ERRORS_JS = (REPO / "edge_agent" / "web" / "static" / "shared" / "errors.js").read_text(encoding="utf-8")


def test_every_event_topic_and_field_is_documented():
    for model, topic in EVENT_TOPICS.items():
        assert f"`{topic}`" in DOC, topic
        for field in model.model_fields:
            assert f'"{field}"' in DOC, f"{topic}: field {field} is not in docs/mqtt.md"


def test_every_operation_and_its_fields_are_documented():
    for op, operation in OPERATIONS.items():
        assert f"| `{op}` |" in DOC, op
        for field in operation.request.model_fields:
            if field != "transaction":
                assert f"`{field}" in DOC, f"{op}: field {field}"


def test_every_answer_field_is_documented():
    for op, operation in OPERATIONS.items():
        for field in operation.answer.model_fields:
            assert f'"{field}"' in DOC, f"{op}: answer field {field} is not in docs/mqtt.md"


def test_every_operation_has_a_handler_and_no_handler_lacks_an_operation():
    assert set(HANDLERS) == set(OPERATIONS)


def test_state_payloads_are_documented():
    for model in (AgentState, QueueState, ServiceQueueState, DeviceState):
        for field in model.model_fields:
            assert f'"{field}"' in DOC, f"{model.__name__}.{field}"


def test_every_error_code_is_documented():
    missing = [code.value for code in ErrorCode if f"`{code.value}`" not in DOC]
    assert not missing, f"error codes not in docs/mqtt.md: {missing}"


def test_the_pages_translate_every_error_code():
    translated = set(re.findall(r"^\s*([a-z0-9_]+):\s*\[", ERRORS_JS, re.M))
    missing = [code.value for code in ErrorCode if code.value not in translated]
    assert not missing, f"errors.js has no words for: {missing}"


def test_no_error_code_is_raised_outside_the_catalogue():
    """A string code in the agent's source would slip past ErrorCode: there are none."""
    sources = "".join(p.read_text() for p in (REPO / "edge_agent").rglob("*.py"))
    assert not re.findall(r'QueueError\(\s*"', sources)
    assert not re.findall(r'_error\(op, [a-z_]+, "', sources)


def test_acl_table_matches_the_generated_roles():
    for role in role_access():
        assert f"| `{role}` |" in DOC


def _expand(cell: str, ops: list[str]) -> set[str]:
    """A cell of the ACL table as topics: the table's shorthands written out."""
    from edge_agent.bus.broker_setup import STATE_TOPICS

    topics: set[str] = set()
    if cell.strip() == "nothing":
        return topics
    if "state topics" in cell:
        topics |= set(STATE_TOPICS)
    if "its responses" in cell:
        topics |= {f"response/{op}" for op in ops}
    if "every `request/<op>`" in cell:
        topics |= {f"request/{op}" for op in OPERATIONS}
    if "everything under this branch's root" in cell:
        topics.add("#")
    for quoted in re.findall(r"`([^`]+)`", cell):
        if "{" in quoted:
            head, names = quoted.split("{")
            topics |= {head + name for name in names.rstrip("}").split(",")}
        elif quoted not in ("request/<op>", "#"):
            topics.add(quoted)
    return topics


def test_the_acl_table_says_exactly_what_the_generated_acl_allows():
    for role, access in role_access().items():
        row = next(line for line in DOC.splitlines() if line.startswith(f"| `{role}` |"))
        _, publishes, reads = (cell.strip() for cell in row.strip().strip("|").split(" | "))
        ops = [topic.removeprefix("request/") for topic in access.publish]
        assert _expand(publishes, ops) == set(access.publish), f"{role} publishes"
        assert _expand(reads, ops) == set(access.subscribe), f"{role} reads"


# ---- an op is declared once: the ACL, the handlers and the sign-in checks follow it ----------


def _ops_asking_for_a_person() -> dict[str, set[str]]:
    """Every op whose name the agent passes to the sign-in check (`actor` and the desks' helpers
    that call it), by the function it passes it to."""
    asked: dict[str, set[str]] = {}
    for path in (REPO / "edge_agent").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in PERSON_CHECKS:
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and arg.value in OPERATIONS:
                        asked.setdefault(arg.value, set()).add(node.func.attr)
    return asked


# `actor` is the check; the others are the desks' helpers that pass their op on to it, and
# `_counter_switch` is given its op by counter_open / counter_close.
PERSON_CHECKS = {"actor", "_teller", "_rm_referral", "_carded", "_counter_switch", "perform"}


def test_every_op_that_needs_a_person_asks_the_contract_who_may_do_it():
    asked = {op for op, calls in _ops_asking_for_a_person().items() if calls - {"perform"}}
    needs = {op for op, operation in OPERATIONS.items() if operation.sign_in is not SignIn.NONE}
    assert asked == needs, f"checked without a contract entry: {asked - needs}; entries never checked: {needs - asked}"


def test_the_acl_lets_each_role_publish_exactly_the_ops_the_contract_gives_it():
    access = role_access()
    for role in ROLES:
        published = {topic.removeprefix("request/") for topic in access[role].publish if topic.startswith("request/")}
        expected = set(OPERATIONS) if role == "hq" else {op for op, operation in OPERATIONS.items() if role in operation.roles}
        assert published == expected, role


def test_sign_in_pages_are_the_staff_roles_that_may_publish_the_op():
    for op, operation in OPERATIONS.items():
        assert set(operation.roles) <= set(ROLES), op
        if operation.sign_in is not SignIn.NONE:
            assert operation.pages, f"{op} needs a sign-in but no staff page may publish it"
