"""Appointments merged into the queue: are booked customers called at their slot, and what
does it cost the walk-ins?

The same simulated weekdays (example branch, its counters on their own work profiles with a
10-minute cap) are played with 0 %, 10 % and 25 % of the customers holding a booking; the
walk-ins are the same people arriving at the same times in every run. A booked customer who
checks in inside the window gets an appointment ticket, called at its slot ahead of walk-ins
(after anybody past the cap); one who comes later than 10 minutes after the slot is a walk-in.

    .venv/bin/python bench/appointments.py [--seed N] [--days N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from a plain checkout

from edge_agent.queue.engine import QueueEngine  # noqa: E402
from tools.branch_sim import engine_day as simulate  # noqa: E402

SHARES = (0.0, 0.10, 0.25)


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else (values[0] if values else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=20)
    args = parser.parse_args()
    services = simulate.example_services()
    targets = {s.id: s.target_wait_s for s in services}
    print(f"seed {args.seed}, {args.days} weekdays at the example branch; minutes. 'late vs slot': how long after its slot an\n"
          "appointment ticket was first called (0 when called before or at it); 'in target': walk-ins called within their\n"
          "service's target wait.\n")
    print(f"{'booked':>7}{'appts':>7}{'late vs slot p50':>18}{'p90':>7}{'max':>7}{'<=5 min':>9} |"
          f"{'walk-ins':>9}{'wait mean':>11}{'p90':>7}{'in target':>11}{'VIP mean':>10} | rules of the calls")
    baseline: dict[str, float] = {}  # each customer's wait on the days without appointments, by ticket
    for share in SHARES:
        engine = QueueEngine(services, simulate.example_counters(), simulate.example_profiles(600), ZoneInfo("Asia/Shanghai"))
        started = time.perf_counter()
        visits = simulate.run_days(engine, args.seed, args.days, booked_share=share)
        took = time.perf_counter() - started
        booked = [v for v in visits if v.slot_s is not None]
        walk_ins = [v for v in visits if v.slot_s is None]
        lateness = [max(0.0, (v.called_s or 0) - v.slot_s) / 60 for v in booked if v.slot_s is not None]
        waits = [v.waited_s / 60 for v in walk_ins]
        vip = [v.waited_s / 60 for v in walk_ins if v.tier.value == "vip"]
        within = sum(v.waited_s <= targets[v.service] for v in walk_ins) / len(walk_ins)
        rules = Counter(v.rule for v in visits)
        late_cols = (f"{statistics.median(lateness):>18.1f}{p90(lateness):>7.1f}{max(lateness):>7.1f}"
                     f"{sum(x <= 5 for x in lateness) / len(lateness):>9.0%}") if lateness else f"{'—':>18}{'—':>7}{'—':>7}{'—':>9}"
        print(f"{share:>7.0%}{len(booked):>7}{late_cols} |{len(walk_ins):>9}{statistics.mean(waits):>11.1f}{p90(waits):>7.1f}"
              f"{within:>11.0%}{statistics.mean(vip):>10.1f} | "
              + ", ".join(f"{rule} {n}" for rule, n in sorted(rules.items(), key=lambda kv: -kv[1])))
        if share == 0:
            baseline = {v.ticket_id: v.waited_s / 60 for v in visits}
        else:
            # The same people arrive at the same times in every run, so tickets are numbered alike:
            # the walk-ins here are compared with themselves on the days without appointments.
            before = [baseline[v.ticket_id] for v in walk_ins]
            as_walk_ins = [baseline[v.ticket_id] for v in booked]
            print(f"{'':>7}the booked customers waited from arrival {statistics.mean(v.waited_s / 60 for v in booked):.1f} min on average "
                  f"(p90 {p90([v.waited_s / 60 for v in booked]):.1f}); as walk-ins the same days, {statistics.mean(as_walk_ins):.1f} "
                  f"(p90 {p90(as_walk_ins):.1f})")
            print(f"{'':>7}the same walk-ins without appointments: mean {statistics.mean(before):.1f}, p90 {p90(before):.1f}; "
                  f"with: mean {statistics.mean(waits):.1f} ({statistics.mean(waits) - statistics.mean(before):+.1f}), "
                  f"p90 {p90(waits):.1f} ({p90(waits) - p90(before):+.1f})   [{took:.1f} s to simulate]")


if __name__ == "__main__":
    main()
