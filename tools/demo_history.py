"""The demo branch's past: 60 simulated weekdays, learned into a wait model beside its store.

A real branch learns from its own store after each daily close; a demo starts with an empty
store, so it would always show the queue-length fallback. This runs the same days the
bench does (tools/branch_sim, through the real engine) and the same training the agent
runs, so the demo's tickets are told what a branch with two months of history would say.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from edge_agent.branch import queue_setup
from edge_agent.desks.waits import model_path
from edge_agent.queue.engine import QueueEngine
from edge_agent.wait_model import learned
from edge_agent.wait_model.samples import Sample
from lobby.config import BranchConfig
from tools.branch_sim import engine_day as simulate

DAYS = 60


def write_demo_wait_model(config: BranchConfig, seed: int = 1) -> str:
    """Train on simulated history and save the model where the agent loads it; returns its description."""
    engine = QueueEngine(*queue_setup(config), config.branch.zone)
    today = datetime.now(config.branch.zone).date()
    visits = simulate.run_days(engine, seed, DAYS, first=today - timedelta(weeks=DAYS // 5 + 1))  # ends before today
    model = learned.train([Sample(v.situation, v.waited_s, v.day) for v in visits], visits[-1].day)
    path = model_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    learned.save(model, path)
    assert model.info is not None
    return model.info.describe()
