"""What the learned wait predictor costs: training at the close, a prediction at the kiosk, memory.

Simulates `--days` weekdays at the example branch, trains on all of them as the agent does
after a daily close (timed), then times one prediction per ticket, as at issue, for the
learned predictor beside today's estimator and the queue-length fallback (the floor, in
the same run), and reads the agent process's resident memory with and without the model.

    .venv/bin/python bench/wait_predict_cost.py [--days 60] [--samples 2000] [--seed 1] [--save MODEL]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a plain checkout

from bench.wait_estimate import simulate_days  # noqa: E402
from edge_agent.queue.predictors import QueueLength, Today  # noqa: E402
from edge_agent.wait_model import learned  # noqa: E402
from edge_agent.wait_model.samples import Sample  # noqa: E402

# Resident memory of a process that imports what the agent imports, then loads the model.
RSS_PROBE = """
import sys
from pathlib import Path
def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
import edge_agent.agent, edge_agent.branch
from edge_agent.queue.predictors import QueueLength
before = rss_mb()
from edge_agent.wait_model import learned
model = learned.load(Path(sys.argv[1]))
print(f"{before:.1f} {rss_mb():.1f}")
"""


def timed(predict, situations) -> list[float]:
    times = []
    for situation in situations:
        started = time.perf_counter()
        predict([situation])
        times.append((time.perf_counter() - started) * 1000)
    return times


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", type=Path, help="also keep the trained model here (for bench/bus_latency.py --wait-model)")
    args = parser.parse_args()
    scenario = (ROOT / "config/branch.example.toml", ROOT / "bench/scenarios/weekday.toml", 0.12)
    visits, _ = simulate_days(*scenario, args.seed, args.days)
    history = [Sample(v.situation, v.waited_s, v.day) for v in visits]
    started = time.perf_counter()
    model = learned.train(history, visits[-1].day)
    train_s = time.perf_counter() - started
    print(f"training on {args.days} simulated days ({len(history)} tickets): {train_s:.1f} s")
    if args.save:
        learned.save(model, args.save)

    situations = [v.situation for v in visits if v.situation.counters_open and v.situation.ahead >= v.situation.counters_idle]
    situations = situations[-args.samples :]
    for _ in range(2):  # warm-up: first calls load code paths
        model.predict(situations[:50])
    print(f"\none prediction at issue, {len(situations)} tickets that wait (ms):")
    print(f"{'predictor':<16}{'median':>8}{'p99':>8}")
    for name, predict in (("today (floor)", Today().predict), ("queue_length", QueueLength().predict), (learned.NAME, model.predict)):
        times = timed(predict, situations)
        print(f"{name:<16}{statistics.median(times):>8.3f}{p99(times):>8.3f}")

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "wait-model.pkl"
        learned.save(model, path)
        size_kb = path.stat().st_size / 1024
        before, after = subprocess.run(
            [sys.executable, "-c", RSS_PROBE, str(path)], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.split()
    print(f"\nmodel file {size_kb:.0f} KB; the agent's imports: RSS {before} MB, with scikit-learn and the model loaded: {after} MB")


if __name__ == "__main__":
    main()
