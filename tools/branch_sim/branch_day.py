"""A busy branch day in fast forward, through the real `Branch` and its store.

For the example report in docs/ and for tests that need a day of data. Customers come as
engine_day's arrival model says (the same Poisson day the benches use), are served for
its lognormal service times, and some are missed (no-show) or transferred; VIP customers
swipe cards whose alerts the lobby manager answers (or not). Seeded, so the same seed
gives the same day.
"""

from __future__ import annotations

import math
import random
from collections import deque
from datetime import date, datetime, time, timedelta

from edge_agent.branch import Branch
from edge_agent.queue.engine import QueueError
from edge_agent.queue.model import ServiceSpec
from edge_agent.store import alerts
from edge_agent.store.db import Store
from edge_agent.store.directory import Customer, save_customers
from lobby.card_key import card_token, load_or_create_key, mask_pan
from lobby.config import BranchConfig
from lobby.contract import CardIdentity, Tier
from tools.branch_sim.engine_day import lognormal_service, poisson_arrivals

STEP = timedelta(seconds=20)
OPENING = time(9, 0)
NO_SHOW_SHARE = 0.05
TRANSFER_SHARE = 0.03
ALERTS_ANSWERED = 0.9


def _vip_cards(config: BranchConfig, store: Store, rng: random.Random, count: int = 40) -> list[CardIdentity]:
    """Test cards (not real numbers) for VIP customers in the directory."""
    key = load_or_create_key(config.security.key_file)
    cards, customers = [], []
    for i in range(count):
        pan = f"62220200{i:010d}"
        name = f"{rng.choice('王李张刘陈杨赵黄周吴')}{rng.choice(['先生', '女士'])}"
        customers.append(Customer(card_token(key, pan), name, Tier.VIP, rng.choice(["李经理", "赵经理", "孙经理"])))
        cards.append(CardIdentity(token=card_token(key, pan), masked_pan=mask_pan(pan)))
    save_customers(store, customers, datetime(2026, 1, 1, tzinfo=config.branch.zone))
    return cards


def _service_specs(config: BranchConfig) -> list[ServiceSpec]:
    return [ServiceSpec(s.id, s.prefix, s.target_wait_min * 60, s.default_service_min * 60) for s in config.services]


def simulate_day(config: BranchConfig, day: date, seed: int = 1) -> Branch:
    rng = random.Random(seed)
    opening = datetime.combine(day, OPENING, config.branch.zone)
    clock = {"now": opening - timedelta(minutes=5)}
    branch = Branch.open(config, clock=lambda: clock["now"])
    vips = _vip_cards(config, branch.store, rng)
    arrivals = deque(poisson_arrivals(random.Random(f"{seed}:arrivals")))
    service_time = lognormal_service(random.Random(f"{seed}:service"), _service_specs(config))
    busy_until: dict[str, datetime] = {}
    pending_acks: list[tuple[datetime, str]] = []
    for counter in config.counters:
        branch.counter_open(counter.id)
    last_arrival = opening + timedelta(seconds=arrivals[-1].at_s) if arrivals else opening
    while clock["now"] < last_arrival + timedelta(minutes=40):
        now = clock["now"]
        while arrivals and opening + timedelta(seconds=arrivals[0].at_s) <= now:
            arrival = arrivals.popleft()
            card = rng.choice(vips) if arrival.tier is Tier.VIP else None
            service = arrival.service if card is not None or arrival.service != "wealth" else "noncash"
            try:
                answer = branch.issue_ticket(service, card=card, kiosk="kiosk-1")
            except QueueError:  # after closing time (the 20 s step can land past it): turned away
                continue
            alert_id = alerts.alert_for_ticket(branch.store.conn, answer.ticket_id) if card is not None else None
            if alert_id is not None and rng.random() < ALERTS_ANSWERED:
                pending_acks.append((now + timedelta(seconds=rng.lognormvariate(math.log(45), 0.6)), alert_id))
        for due, alert_id in [p for p in pending_acks if p[0] <= now]:
            pending_acks.remove((due, alert_id))
            branch.acknowledge_alert(alert_id, "大堂经理 张", rng.choices(["greeted", "declined"], [0.85, 0.15])[0])
        for counter in config.counters:
            serving = branch.engine.counter(counter.id).serving
            if serving and now >= busy_until.get(counter.id, now):
                roll = rng.random()
                if roll < NO_SHOW_SHARE:
                    branch.no_show(counter.id)
                elif roll < NO_SHOW_SHARE + TRANSFER_SHARE and len(config.services) > 1:
                    current = branch.engine.ticket(serving)
                    others = [s.id for s in config.services if s.id not in (current.service, "wealth")]
                    targets = [s for s in counter.services if s != current.service] or others
                    branch.transfer(current.label, targets[0])
                else:
                    branch.complete(counter.id)
                serving = None
            if not serving:
                try:
                    called = branch.call_next(counter.id)
                except QueueError:
                    continue
                busy_until[counter.id] = now + timedelta(seconds=service_time(called.service))
        clock["now"] = now + STEP
    return branch
