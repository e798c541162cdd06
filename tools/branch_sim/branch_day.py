"""A busy branch day in fast forward, through the real `Branch` and its store.

For the example report in docs/ and for tests that need a day of data: Poisson arrivals
with a morning and a lunch peak, counters that call, serve (lognormal service times),
miss no-shows and transfer; VIP customers with cards whose alerts the lobby manager
answers (or not). Seeded, so the same seed gives the same day.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

from edge_agent.branch import Branch
from lobby.config import BranchConfig
from lobby.contract import CardIdentity
from edge_agent.queue.engine import QueueError
from lobby.card_key import card_token, load_or_create_key, mask_pan
from edge_agent.store.db import Store

STEP = timedelta(seconds=20)
SHARE = {"cash": 0.36, "noncash": 0.3, "corporate": 0.1, "wealth": 0.1, "enquiry": 0.14}


def _rate_per_hour(hour: float) -> float:
    """Customers per hour: a morning peak around 10:00 and a lunch peak around 12:30."""
    return 28 + 40 * math.exp(-((hour - 10) ** 2) / 1.2) + 30 * math.exp(-((hour - 12.5) ** 2) / 0.6)


def _vip_cards(config: BranchConfig, store: Store, rng: random.Random, count: int = 40) -> list[CardIdentity]:
    key = load_or_create_key(config.security.key_file)
    cards = []
    with store.write() as conn:
        for i in range(count):
            pan = f"62220200{i:010d}"
            token = card_token(key, pan)
            conn.execute(
                "INSERT OR REPLACE INTO customers (token, display_name, tier, rm, imported_at) VALUES (?, ?, 'vip', ?, ?)",
                (token, f"{rng.choice('王李张刘陈杨赵黄周吴')}{rng.choice(['先生', '女士'])}", rng.choice(["李经理", "赵经理", "孙经理"]), "2026-01-01T00:00:00+08:00"),
            )
            cards.append(CardIdentity(token=token, masked_pan=mask_pan(pan)))
    return cards


def simulate_day(config: BranchConfig, day: date, seed: int = 1) -> Branch:
    rng = random.Random(seed)
    zone = config.branch.zone
    now = datetime.combine(day, time(8, 55), zone)
    clock = {"now": now}
    branch = Branch.open(config, clock=lambda: clock["now"])
    vips = _vip_cards(config, branch.store, rng)
    busy_until: dict[str, datetime] = {}
    pending_acks: list[tuple[datetime, str]] = []
    for counter in config.counters:
        branch.counter_open(counter.id)
    end = datetime.combine(day, time(17, 0), zone)
    while clock["now"] < end + timedelta(minutes=40):
        now = clock["now"]
        hour = now.hour + now.minute / 60
        if now < end:
            arrivals = rng.random() < _rate_per_hour(hour) * STEP.total_seconds() / 3600
            if arrivals:
                service = rng.choices(list(SHARE), weights=list(SHARE.values()))[0]
                card = rng.choice(vips) if rng.random() < 0.12 else None
                if card is None and service == "wealth":
                    service = "noncash"
                answer = branch.issue_ticket(service, card=card, kiosk="kiosk-1")
                if card is not None:
                    alert = branch.store.conn.execute("SELECT alert_id FROM alerts WHERE ticket_id = ?", (answer["ticket_id"],)).fetchone()
                    if alert and rng.random() < 0.9:
                        pending_acks.append((now + timedelta(seconds=rng.lognormvariate(math.log(45), 0.6)), alert["alert_id"]))
        for due, alert_id in [p for p in pending_acks if p[0] <= now]:
            pending_acks.remove((due, alert_id))
            branch.acknowledge_alert(alert_id, "大堂经理 张", rng.choices(["greeted", "referred", "declined"], [0.5, 0.35, 0.15])[0])
        for counter in config.counters:
            serving = branch.engine.counter(counter.id).serving
            if serving and now >= busy_until.get(counter.id, now):
                roll = rng.random()
                if roll < 0.05:
                    branch.no_show(counter.id)
                elif roll < 0.08 and len(config.services) > 1:
                    current = branch.engine.ticket(serving)
                    targets = [s for s in counter.services if s != current.service] or [s.id for s in config.services if s.id != current.service and s.id != "wealth"]
                    branch.transfer(current.label, targets[0])
                else:
                    branch.complete(counter.id)
                serving = None
            if not serving:
                try:
                    called = branch.call_next(counter.id)
                except QueueError:
                    continue
                mean = {"cash": 4, "noncash": 7, "corporate": 10, "wealth": 12, "enquiry": 3}.get(called["service"], 5)
                busy_until[counter.id] = now + timedelta(minutes=rng.lognormvariate(math.log(mean), 0.5))
        clock["now"] = now + STEP
    return branch
