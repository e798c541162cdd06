"""A short soak in the suite: faults during a busy stretch, and the books still balance."""

from __future__ import annotations

import shutil
import sys

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))


def test_short_soak_loses_and_repeats_nothing():
    from soak import Soak

    soak = Soak(seconds=40, seed=3)
    try:
        summary = soak.run()
    finally:
        shutil.rmtree(soak.broker.directory.parent, ignore_errors=True)
        shutil.rmtree(soak.home, ignore_errors=True)
    assert summary["tickets_acknowledged"] > 100
    assert summary["lost_tickets"] == 0 and summary["repeated_numbers"] == 0 and summary["number_gaps"] == 0
    assert summary["tickets_without_arrival"] == 0 and summary["lost_events"] == {}
    assert summary["report_matches_store"]
    assert summary["tickets_never_answered"] == 0  # nobody shown "out of service" for a ticket that exists
    assert summary["faults"].get("broker_restart") and summary["faults"].get("agent_kill")
    assert summary["faults"].get("broker_kill") and summary["faults"].get("agent_kill_after_request")
