"""How good is the estimated wait printed on a ticket?

Simulates busy weekdays at the example branch (config/branch.example.toml: six counters,
two of them rotating out over lunch), with Poisson arrivals whose rate changes through the
day, lognormal service times that differ from the configured defaults, and 12 % VIPs,
all driven through the real queue engine. For every ticket it compares what the kiosk
would have said with the wait that actually happened.

    .venv/bin/python bench/wait_estimate.py [--seed N] [--days N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from a plain checkout

from edge_agent.queue.engine import QueueEngine  # noqa: E402
from edge_agent.queue.model import Tier  # noqa: E402
from tools.branch_sim import engine_day as simulate  # noqa: E402


def errors_min(visits: list[simulate.Visit], guess) -> tuple[float, float, float]:
    """(mean absolute error, median absolute error, mean signed error) in minutes."""
    signed = [(guess(v) - v.waited_s) / 60 for v in visits]
    return statistics.mean(map(abs, signed)), statistics.median(map(abs, signed)), statistics.mean(signed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=20)
    args = parser.parse_args()

    engine = QueueEngine(
        simulate.example_services(), simulate.example_counters(), simulate.example_profiles(), ZoneInfo("Asia/Shanghai")
    )
    visits = simulate.run_days(engine, args.seed, args.days)
    # With no counter open for its service (e.g. enquiries while counter 4 is at lunch) the
    # kiosk gives no estimate at all; those tickets are counted but not scored.
    scored = [v for v in visits if v.estimate is not None]
    waits = [v.waited_s / 60 for v in visits]
    print(f"seed {args.seed}, {args.days} days, {len(visits)} customers, "
          f"waits: mean {statistics.mean(waits):.1f} min, median {statistics.median(waits):.1f}, max {max(waits):.1f}; "
          f"{len(visits) - len(scored)} tickets issued with no counter open for them")
    groups = [
        ("all", scored),
        ("first day (learning)", [v for v in scored if v.ticket_id[:8] == scored[0].ticket_id[:8]]),
        ("vip", [v for v in scored if v.tier is Tier.VIP]),
        ("others", [v for v in scored if v.tier is not Tier.VIP]),
        ("waited > 15 min", [v for v in scored if v.waited_s > 900]),
    ]
    print(f"\n{'tickets':<22}{'n':>6} | {'estimate: MAE':>13} {'median':>7} {'bias':>6} {'in range':>9} | "
          f"{'naive: MAE':>10} {'median':>7} {'bias':>6}")
    for name, group in groups:
        mae, median, bias = errors_min(group, lambda v: v.estimate.expected_s)
        nmae, nmedian, nbias = errors_min(group, lambda v: v.naive_s)
        inside = sum(v.estimate is not None and v.estimate.low_s <= v.waited_s <= v.estimate.high_s for v in group) / len(group)
        print(f"{name:<22}{len(group):>6} | {mae:>13.2f} {median:>7.2f} {bias:>+6.2f} {inside:>9.0%} | "
              f"{nmae:>10.2f} {nmedian:>7.2f} {nbias:>+6.2f}")
    print("\nminutes; naive = people ahead x configured default service time; "
          "in range = actual wait inside the printed range")


if __name__ == "__main__":
    main()
