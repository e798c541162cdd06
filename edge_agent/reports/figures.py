"""A branch's day in figures, from the store: pure arithmetic over rows (no I/O here).

Definitions a branch head can check against the floor:
- wait: from issuing the ticket to its *first* call (a transfer or a recall does not reset it);
- service time: from the last call to "complete";
- within target: first called no later than the service's target wait;
- alert answered: the lobby manager pressed greeted / referred / declined; time from the alert.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class TicketRow:
    ticket_id: str
    business_day: date
    service: str  # the service it was issued for
    tier: str
    state: str
    issued_at: datetime
    first_called_at: datetime | None
    last_called_at: datetime | None
    finished_at: datetime | None
    counter: str | None
    transfers: int


@dataclass(frozen=True)
class AlertRow:
    raised_at: datetime
    acked_at: datetime | None
    outcome: str | None


@dataclass
class Stats:
    count: int = 0
    mean_min: float | None = None
    p90_min: float | None = None

    @classmethod
    def of(cls, minutes: list[float]) -> Stats:
        if not minutes:
            return cls()
        ordered = sorted(minutes)
        return cls(len(ordered), round(statistics.fmean(ordered), 1), round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1))


@dataclass
class ServiceFigures:
    tickets: int = 0
    served: int = 0
    no_shows: int = 0
    transferred: int = 0
    within_target_pct: float | None = None
    wait: Stats = field(default_factory=Stats)
    service_time: Stats = field(default_factory=Stats)


@dataclass
class Figures:
    first_day: date
    last_day: date
    tickets: int
    served: int
    no_shows: int
    still_open: int
    expired: int  # still waiting when the business day ended: customers who gave up or were turned away
    within_target_pct: float | None
    wait: Stats
    per_service: dict[str, ServiceFigures]
    per_counter: dict[str, ServiceFigures]
    per_hour: dict[int, Counter[str]]  # local hour -> service -> tickets issued
    waits_by_service: dict[str, list[float]]  # minutes, for the distribution chart
    targets_min: dict[str, float]
    alerts: int
    alerts_answered: int
    answer_median_s: float | None
    answer_p90_s: float | None
    outcomes: Counter


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else max(0.0, (end - start).total_seconds() / 60)


def compute(tickets: list[TicketRow], alerts: list[AlertRow], targets_min: dict[str, float], first_day: date, last_day: date, zone) -> Figures:
    per_service: dict[str, ServiceFigures] = defaultdict(ServiceFigures)
    per_counter: dict[str, ServiceFigures] = defaultdict(ServiceFigures)
    per_hour: dict[int, Counter[str]] = defaultdict(Counter)
    waits: dict[str, list[float]] = defaultdict(list)
    service_times: dict[str, list[float]] = defaultdict(list)
    counter_waits: dict[str, list[float]] = defaultdict(list)
    counter_times: dict[str, list[float]] = defaultdict(list)
    within: dict[str, list[bool]] = defaultdict(list)
    for t in tickets:
        figures = per_service[t.service]
        figures.tickets += 1
        figures.transferred += t.transfers > 0
        per_hour[t.issued_at.astimezone(zone).hour][t.service] += 1
        wait = _minutes(t.issued_at, t.first_called_at)
        if wait is not None:
            waits[t.service].append(wait)
            within[t.service].append(wait <= targets_min.get(t.service, float("inf")))
        if t.counter:
            per_counter[t.counter].tickets += 1
            if wait is not None:
                counter_waits[t.counter].append(wait)
        if t.state == "served":
            figures.served += 1
            took = _minutes(t.last_called_at, t.finished_at)
            if took is not None:
                service_times[t.service].append(took)
                if t.counter:
                    per_counter[t.counter].served += 1
                    counter_times[t.counter].append(took)
        elif t.state == "no_show":
            figures.no_shows += 1
            if t.counter:
                per_counter[t.counter].no_shows += 1
    for service, figures in per_service.items():
        figures.wait, figures.service_time = Stats.of(waits[service]), Stats.of(service_times[service])
        if within[service]:
            figures.within_target_pct = round(100 * sum(within[service]) / len(within[service]), 1)
    for counter, figures in per_counter.items():
        figures.wait, figures.service_time = Stats.of(counter_waits[counter]), Stats.of(counter_times[counter])
    all_within = [ok for values in within.values() for ok in values]
    answered = sorted((a.acked_at - a.raised_at).total_seconds() for a in alerts if a.acked_at)
    return Figures(
        first_day=first_day,
        last_day=last_day,
        tickets=len(tickets),
        served=sum(t.state == "served" for t in tickets),
        no_shows=sum(t.state == "no_show" for t in tickets),
        still_open=sum(t.state in ("waiting", "called") for t in tickets),
        expired=sum(t.state == "expired" for t in tickets),
        within_target_pct=round(100 * sum(all_within) / len(all_within), 1) if all_within else None,
        wait=Stats.of([w for values in waits.values() for w in values]),
        per_service=dict(per_service),
        per_counter=dict(sorted(per_counter.items(), key=lambda kv: (len(kv[0]), kv[0]))),
        per_hour=dict(per_hour),
        waits_by_service=dict(waits),
        targets_min=targets_min,
        alerts=len(alerts),
        alerts_answered=len(answered),
        answer_median_s=round(statistics.median(answered)) if answered else None,
        answer_p90_s=round(answered[min(len(answered) - 1, int(0.9 * len(answered)))]) if answered else None,
        outcomes=Counter(a.outcome for a in alerts if a.outcome),
    )
