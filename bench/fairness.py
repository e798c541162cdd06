"""Who waits how long under each work profile?

The same simulated customers (example branch, busy weekdays, 12 % VIPs unless told
otherwise) are served with every counter on one profile at a time: fifo, ratio 2:1 and
accumulating priority (VIP 3x, potential and prospect 1.5x), each without and with a
10-minute cap past target. With a larger VIP share (--vip-share 0.35) priority starts to
starve the others, which is what the cap is for.

    .venv/bin/python bench/fairness.py [--seed N] [--days N] [--vip-share 0.35]
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

CAP_S = 600
VARIANTS = [
    ("fifo", "fifo", None),
    ("ratio 2:1", "vip-ratio", None),
    ("ratio 2:1 + cap", "vip-ratio", CAP_S),
    ("accumulating", "weighted", None),
    ("accumulating + cap", "weighted", CAP_S),
]


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--vip-share", type=float, default=0.12, help="share of customers who are VIPs (0-1)")
    args = parser.parse_args()
    if not 0 <= args.vip_share < 1:
        parser.error("--vip-share is a fraction between 0 and 1, e.g. 0.35")

    services = simulate.example_services()
    targets = {s.id: s.target_wait_s for s in services}
    print(f"seed {args.seed}, {args.days} days, {args.vip_share:.0%} VIPs. Waits in minutes; 'in target' = called "
          f"within the service's target wait; 'past cap' = waited more than {CAP_S // 60} min past target.\n")
    print(f"{'profile':<20}{'tier':<11}{'n':>6}{'mean':>7}{'p90':>7}{'max':>7}{'in target':>11}{'past cap':>10}")
    for title, profile, cap_s in VARIANTS:
        engine = QueueEngine(
            services, simulate.example_counters(profile), simulate.example_profiles(cap_s), ZoneInfo("Asia/Shanghai")
        )
        visits = simulate.run_days(engine, args.seed, args.days, simulate.vip_mix(args.vip_share))
        for tier in (Tier.VIP, Tier.POTENTIAL, Tier.PROSPECT, Tier.MASS, None):
            group = [v for v in visits if tier is None or v.tier is tier]
            waits = [v.waited_s / 60 for v in group]
            within = sum(v.waited_s <= targets[v.service] for v in group) / len(group)
            past_cap = sum(v.waited_s > targets[v.service] + CAP_S for v in group)
            print(f"{title if tier is Tier.VIP else '':<20}{tier.value if tier else 'everyone':<11}{len(group):>6}"
                  f"{statistics.mean(waits):>7.1f}{p90(waits):>7.1f}{max(waits):>7.1f}{within:>11.0%}{past_cap:>10}")
        print()


if __name__ == "__main__":
    main()
