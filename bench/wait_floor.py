"""The best any wait predictor could do on the simulated branch: the floor under the MAE.

For a sample of tickets, at the moment each is issued the rest of the day is replayed
`--replays` times from the exact state of the branch (every ticket waiting, every counter,
how long each customer at a counter has been served, the tellers' breaks), with what
nobody can know drawn afresh: the customers still to come and how long each service will
take (for a customer already at a counter, a duration longer than what has elapsed). The
median of the replayed waits is what a predictor that knew everything knowable would say;
its error against the wait that happened is the floor, printed beside what the learned
predictor and today's estimator achieve on the same tickets.

    .venv/bin/python bench/wait_floor.py [--scenario default] [--tickets 300] [--replays 25] [--seed 1]
"""

from __future__ import annotations

import argparse
import copy
import heapq
import math
import random
import statistics
import sys
from datetime import datetime, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a plain checkout

from bench.wait_estimate import SCENARIOS  # noqa: E402
from edge_agent.branch import queue_setup  # noqa: E402
from edge_agent.queue.engine import QueueEngine  # noqa: E402
from edge_agent.queue.predictors import Today  # noqa: E402
from edge_agent.wait_model import learned  # noqa: E402
from edge_agent.wait_model.samples import Sample  # noqa: E402
from lobby.config import load_config  # noqa: E402
from tools.branch_sim import engine_day as simulate  # noqa: E402


class Replayer:
    """Replays the rest of a day from a DaySim, with the unknowable drawn afresh."""

    def __init__(self, profile: simulate.DayProfile, tier_mix, engine: QueueEngine, replays: int, seed: int):
        self.profile, self.tier_mix, self.replays = profile, tier_mix, replays
        self.rng = random.Random(f"{seed}:replays")
        self.means = {
            sid: s.default_service_time_s * profile.service_time_factor.get(sid, 1.0) for sid, s in engine.service_specs.items()
        }

    def duration(self, service: str, longer_than: float = 0.0) -> float:
        sigma = self.profile.service_time_sigma
        mu = math.log(self.means[service]) - sigma**2 / 2
        for _ in range(1000):
            d = self.rng.lognormvariate(mu, sigma)
            if d > longer_than:
                return d
        return longer_than + 1.0  # far in the tail: about to finish

    def median_wait(self, sim: simulate.DaySim, ticket_id: str) -> float:
        waits = [self.replay(sim, ticket_id) for _ in range(self.replays)]
        return statistics.median(waits)

    def replay(self, sim: simulate.DaySim, ticket_id: str) -> float:
        t = sim.t
        visits, sim.visits = sim.visits, {}  # the record is not needed in a replay: not copied
        try:
            fork = copy.deepcopy(sim)  # the service-time draw is a function: shared, then replaced
        finally:
            sim.visits = visits
        fork.record = False
        fork.service_time = self.duration
        busy = {}
        for counter in fork.engine.counter_specs:
            serving = fork.engine.counter(counter).serving
            if serving:
                busy[counter] = serving
        kept = []
        for event in fork.events:
            when, order, kind, what = event
            if kind == "arrive":
                continue  # the customers still to come are drawn afresh below
            if kind == "done" and isinstance(what, str):
                called = fork.called_s[busy[what]]
                when = called + self.duration(fork.engine.ticket(busy[what]).service, t - called)
            kept.append((when, order, kind, what))
        fork.events = kept
        heapq.heapify(fork.events)
        for waiting in fork.engine.open_tickets():
            fork.durations[waiting.id] = self.duration(waiting.service)
        rest = [simulate.RatePeriod(max(p.start_s, t), p.end_s, p.per_hour) for p in self.profile.rates if p.end_s > t]
        for arrival in simulate.poisson_arrivals(self.rng, rest, self.profile.service_mix, self.tier_mix):
            fork.schedule(arrival.at_s, "arrive", arrival)
        while ticket_id not in fork.called_s and fork.events:
            fork.step()
        return fork.called_s.get(ticket_id, fork.t) - sim.visits[ticket_id].issued_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="default")
    parser.add_argument("--train-days", type=int, default=60)
    parser.add_argument("--test-days", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=300, help="tickets of the test days to replay")
    parser.add_argument("--replays", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config_path, arrivals_path, vip_share = SCENARIOS[args.scenario]
    config = load_config(config_path)
    engine = QueueEngine(*queue_setup(config), config.branch.zone)
    profile = simulate.DayProfile.load(arrivals_path)
    tier_mix = simulate.vip_mix(vip_share)
    visits = simulate.run_days(engine, args.seed, args.train_days, tier_mix, profile)
    model = learned.train([Sample(v.situation, v.waited_s, v.day) for v in visits], visits[-1].day)

    # The test days, replaying a sample of tickets at their moment of issue.
    replayer = Replayer(profile, tier_mix, engine, args.replays, args.seed)
    pick = random.Random(f"{args.seed}:pick")
    share = args.tickets / (args.test_days * 300)
    sims: list[tuple[str, float]] = []

    def on_issue(sim: simulate.DaySim, ticket_id: str) -> None:
        visit = sim.visits[ticket_id]
        if visit.situation.counters_open and pick.random() < share:
            sims.append((ticket_id, replayer.median_wait(sim, ticket_id)))

    test: list[simulate.Visit] = []
    arrivals_rng = random.Random(f"{args.seed}:test-arrivals")
    draw = simulate.lognormal_service(random.Random(f"{args.seed}:test-service"), list(engine.service_specs.values()),
                                      profile.service_time_factor, profile.service_time_sigma)
    days = simulate.weekdays(args.train_days + args.test_days)[args.train_days:]
    for day in days:
        arrivals = simulate.poisson_arrivals(arrivals_rng, profile.rates, profile.service_mix, tier_mix)
        test += simulate.run_day(engine, datetime.combine(day, time(9, 0), tzinfo=engine.tz), arrivals, draw, profile.breaks, on_issue)
    floors = dict(sims)
    by_id = {v.ticket_id: v for v in test}
    chosen = [by_id[t] for t in floors]
    situations = [v.situation for v in chosen]
    rows = {
        "floor (knows all)": [floors[v.ticket_id] for v in chosen],
        learned.NAME: [e.expected_s if e else 0.0 for e in model.predict(situations)],
        "today": [e.expected_s if e else 0.0 for e in Today().predict(situations)],
    }
    mean_wait = statistics.mean(v.waited_s for v in chosen) / 60
    long = [i for i, v in enumerate(chosen) if v.waited_s > 15 * 60]
    print(f"{args.scenario}: {len(chosen)} tickets of {len(test)} on {args.test_days} test days replayed {args.replays} times each "
          f"(mean wait {mean_wait:.1f} min, {len(long)} over 15 min)")
    print(f"\n{'':<20}{'MAE min':>8}{'share':>8}{'>15 min':>9}")
    for name, said in rows.items():
        errors = [abs(s - v.waited_s) / 60 for s, v in zip(said, chosen, strict=True)]
        over = statistics.mean(errors[i] for i in long) if long else float("nan")
        print(f"{name:<20}{statistics.mean(errors):>8.2f}{statistics.mean(errors) / mean_wait:>8.0%}{over:>9.2f}")


if __name__ == "__main__":
    main()
