"""Two real branches, each its agent and its Mosquitto bridged to head office's broker; an
ingester writes what crosses into PostgreSQL. The link goes down while the branches keep
issuing tickets; when it is back, every event is in head office's database once."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.branch_rig import Branch
from tools.hq_rig import HeadOfficeBroker, Ingesters, count, wait_for

BRANCHES = ("sh-lujiazui-01", "sz-nanshan-02")






@pytest.fixture
def two_branches(tmp_path) -> Iterator[tuple[HeadOfficeBroker, list[Branch]]]:
    hq = HeadOfficeBroker(BRANCHES)
    hq.start()
    branches: list[Branch] = []
    try:
        for name in BRANCHES:
            branches.append(Branch(name, tmp_path / name, hq))
        yield hq, branches
    finally:
        for branch in branches:
            branch.close()
        hq.stop()


def test_events_from_two_bridged_branches_land_once_across_an_outage(two_branches, database, tmp_path):
    hq, branches = two_branches
    ingesters = Ingesters(hq.write_ingest_config(tmp_path, database), tmp_path)
    ingesters.start("i1")
    try:
        arrivals = "SELECT COUNT(*) FROM events WHERE topic = 'events/arrival'"
        wait_for(lambda: count(database, "SELECT COUNT(*) FROM schema_version") == 1, 20, "the ingester's schema")
        issued = {branch.broker.config.branch.id: [branch.ticket() for _ in range(2)] for branch in branches}
        wait_for(lambda: count(database, arrivals) == 4, 30, "the first tickets at head office")

        hq.halt()  # the link to head office is down: the branches carry on
        for branch in branches:
            issued[branch.broker.config.branch.id] += [branch.ticket() for _ in range(3)]
        hq.start()
        wait_for(lambda: count(database, arrivals) == 10, 90, "the tickets issued during the outage")

        with psycopg.connect(database) as conn:
            rows = conn.execute(
                "SELECT branch, payload->>'ticket' FROM events WHERE topic = 'events/arrival' ORDER BY branch, (payload->>'seq')::int"
            ).fetchall()
            agents = conn.execute("SELECT branch FROM branch_state WHERE kind = 'agent' ORDER BY branch").fetchall()
        assert {b: [t for branch, t in rows if branch == b] for b in BRANCHES} == issued
        assert count(database, "SELECT COUNT(*) FROM events") == count(database, "SELECT COUNT(DISTINCT event_id) FROM events")
        assert [a for (a,) in agents] == sorted(BRANCHES)  # each agent's state reached head office too
        assert "Traceback" not in ingesters.log("i1")
    finally:
        ingesters.stop_all()
