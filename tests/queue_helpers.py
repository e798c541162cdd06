"""What the store would persist of an engine, to show a refused or failed request changed nothing."""

from __future__ import annotations

from dataclasses import asdict

from edge_agent.queue.engine import QueueEngine


def state_of(engine: QueueEngine) -> tuple:
    """Everything the store would persist, to show a refused request changed nothing."""
    return (
        [asdict(t) for t in engine.open_tickets()],
        [asdict(engine.counter(c)) for c in engine.counter_specs],
        engine.last_numbers(),
        {s: (engine.service_times.mean_s(s), engine.service_times.count(s)) for s in engine.service_specs},
    )
