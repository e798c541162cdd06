"""How good is the wait printed on a ticket? Five predictors side by side, on days none of
them learned from.

Simulates weekdays at a branch (its configuration: counters, services, work profiles) with
Poisson arrivals whose rate changes through the day, lognormal service times that differ
from the configured defaults, tellers' lunch breaks and a share of VIPs, all driven
through the real queue engine. The learned predictor trains on the first `--train-days`
(as the agent does at each daily close); every predictor is then scored on the days after.

    .venv/bin/python bench/wait_estimate.py [--scenario default|small|wealth]
        [--config BRANCH.toml] [--arrivals DAY.toml] [--vip-share 0.12]
        [--seed 1] [--train-days 60] [--test-days 20] [--json]

Scenarios: default (the example branch, a busy weekday), small (3 counters, one closed
over lunch), wealth (25 % VIPs, a fifth asking for wealth management).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a plain checkout

from edge_agent.branch import queue_setup  # noqa: E402
from edge_agent.queue.engine import QueueEngine  # noqa: E402
from edge_agent.queue.estimate import WaitEstimate  # noqa: E402
from edge_agent.queue.predictors import LastToEnterService, Naive, Predictor, QueueLength, Today  # noqa: E402
from edge_agent.queue.situation import WaitSituation  # noqa: E402
from edge_agent.wait_model import learned  # noqa: E402
from edge_agent.wait_model.samples import Sample  # noqa: E402
from lobby.config import load_config  # noqa: E402
from lobby.contract import Tier  # noqa: E402
from tools.branch_sim import engine_day as simulate  # noqa: E402

SCENARIOS = {
    "default": (ROOT / "config/branch.example.toml", ROOT / "bench/scenarios/weekday.toml", 0.12),
    "small": (ROOT / "bench/scenarios/small-branch.toml", ROOT / "bench/scenarios/small-day.toml", 0.12),
    "wealth": (ROOT / "bench/scenarios/wealth-branch.toml", ROOT / "bench/scenarios/wealth-day.toml", 0.25),
}
LONG_WAIT_S = 15 * 60


@dataclass(frozen=True)
class Scored:
    visit: simulate.Visit
    estimate: WaitEstimate


def simulate_days(config_path: Path, arrivals_path: Path, vip_share: float, seed: int, days: int) -> tuple[list[simulate.Visit], QueueEngine]:
    config = load_config(config_path)
    services, counters, profiles = queue_setup(config)
    engine = QueueEngine(services, counters, profiles, config.branch.zone)
    profile = simulate.DayProfile.load(arrivals_path)
    return simulate.run_days(engine, seed, days, simulate.vip_mix(vip_share), profile), engine


def figures(scored: Sequence[Scored], mean_wait_s: float) -> dict[str, Any]:
    """The table's row for one predictor, in minutes."""
    errors = [(s.estimate.expected_s - s.visit.waited_s) / 60 for s in scored]
    long = [abs(e) for e, s in zip(errors, scored, strict=True) if s.visit.waited_s > LONG_WAIT_S]

    def coverage(group: Sequence[Scored]) -> float | None:
        if not group:
            return None
        return sum(s.estimate.low_s <= s.visit.waited_s <= s.estimate.high_s for s in group) / len(group)

    mae = statistics.mean(map(abs, errors))
    services = sorted({s.visit.service for s in scored})
    return {
        "mae_min": round(mae, 2),
        "mae_share": round(mae * 60 / mean_wait_s, 3),
        "mae_over_15_min": round(statistics.mean(long), 2) if long else None,
        "bias_min": round(statistics.mean(errors), 2),
        "coverage": round(coverage(scored) or 0.0, 3),
        "coverage_vip": _round(coverage([s for s in scored if s.visit.tier is Tier.VIP])),
        "coverage_by_service": {sv: _round(coverage([s for s in scored if s.visit.service == sv])) for sv in services},
        "median_width_min": round(statistics.median((s.estimate.high_s - s.estimate.low_s) / 60 for s in scored), 2),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def run(config: Path, arrivals: Path, vip_share: float, seed: int, train_days: int, test_days: int) -> dict[str, Any]:
    started = time.perf_counter()
    visits, engine = simulate_days(config, arrivals, vip_share, seed, train_days + test_days)
    simulated = time.perf_counter() - started
    days = sorted({v.day for v in visits})
    train_ids, test_ids = set(days[:train_days]), set(days[train_days:])
    history = [Sample(v.situation, v.waited_s, v.day) for v in visits if v.day in train_ids]
    started = time.perf_counter()
    model = learned.train(history, visits[-1].day)
    trained = time.perf_counter() - started

    test = [v for v in visits if v.day in test_ids]
    defaults = {sid: s.default_service_time_s for sid, s in engine.service_specs.items()}
    predictors: list[Predictor] = [Naive(defaults), Today(), LastToEnterService(), QueueLength(), model]
    situations: list[WaitSituation] = [v.situation for v in test]
    answers = {p.name: p.predict(situations) for p in predictors}
    # With no counter open for its service (e.g. enquiries while counter 4 is at lunch) no
    # predictor gives an estimate; those tickets are counted but not scored.
    keep = [i for i in range(len(test)) if all(a[i] is not None for a in answers.values())]
    mean_wait_s = statistics.mean(test[i].waited_s for i in keep)
    table = {
        name: figures([Scored(test[i], estimate) for i in keep if (estimate := a[i]) is not None], mean_wait_s)
        for name, a in answers.items()
    }
    return {
        "config": str(config.relative_to(ROOT) if config.is_relative_to(ROOT) else config),
        "arrivals": str(arrivals.relative_to(ROOT) if arrivals.is_relative_to(ROOT) else arrivals),
        "vip_share": vip_share,
        "seed": seed,
        "train_days": train_days,
        "test_days": test_days,
        "customers_tested": len(test),
        "unscored": len(test) - len(keep),
        "mean_wait_min": round(mean_wait_s / 60, 2),
        "waits_over_15_min": sum(test[i].waited_s > LONG_WAIT_S for i in keep),
        "simulate_s": round(simulated, 1),
        "train_s": round(trained, 1),
        "predictors": table,
    }


def print_table(result: dict[str, Any], out: Callable[[str], None] = print) -> None:
    out(f"{result['config']} + {result['arrivals']}, {result['vip_share']:.0%} VIPs, seed {result['seed']}: "
        f"trained on {result['train_days']} days, tested on the next {result['test_days']} "
        f"({result['customers_tested']} customers, {result['unscored']} with no counter open; "
        f"mean wait {result['mean_wait_min']:.1f} min, {result['waits_over_15_min']} waited over 15 min)")
    out(f"\n{'predictor':<14}{'MAE':>6}{'share':>7}{'>15min':>8}{'bias':>7}{'inside':>8}{'VIP':>6}  {'width':>6}  inside per service")
    for name, row in result["predictors"].items():
        over = f"{row['mae_over_15_min']:.2f}" if row["mae_over_15_min"] is not None else "-"
        vip = f"{row['coverage_vip']:.0%}" if row["coverage_vip"] is not None else "-"
        per = " ".join(f"{sv} {c:.0%}" for sv, c in row["coverage_by_service"].items() if c is not None)
        out(f"{name:<14}{row['mae_min']:>6.2f}{row['mae_share']:>7.0%}{over:>8}{row['bias_min']:>+7.2f}"
            f"{row['coverage']:>8.0%}{vip:>6}  {row['median_width_min']:>6.1f}  {per}")
    out("\nminutes; share = MAE / mean wait; >15min = MAE for waits over 15 min; inside = actual wait in the 80 % range; "
        "width = the range's median width. naive = people ahead x configured service time; today = the shipped estimator; "
        "les = last customer of the service to be called; queue_length = Erlang on counters open and learned service rates")
    out(f"(simulated in {result['simulate_s']} s; learned in {result['train_s']} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="default")
    parser.add_argument("--config", type=Path, help="a branch configuration (default: the scenario's)")
    parser.add_argument("--arrivals", type=Path, help="an arrival profile like bench/scenarios/weekday.toml")
    parser.add_argument("--vip-share", type=float, help="share of customers who are VIPs (default: the scenario's)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train-days", type=int, default=60)
    parser.add_argument("--test-days", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args()
    config, arrivals, vip_share = SCENARIOS[args.scenario]
    result = run(
        (args.config or config).resolve(), (args.arrivals or arrivals).resolve(),
        vip_share if args.vip_share is None else args.vip_share, args.seed, args.train_days, args.test_days,
    )
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
