"""The learned wait predictor: quantile gradient boosting on the branch's own days.

Three `HistGradientBoostingRegressor`s with quantile loss predict the 10th, 50th and 90th
percentile of the wait from a `WaitSituation` (Thiongane, Chan & L'Ecuyer predict the
whole conditional distribution; three quantiles are what a ticket prints). The range is
then conformalised (Romano, Patterson & Candes, "Conformalized quantile regression",
2019): on days held out from fitting, each group of tickets
(service, VIP or not) gets the widening or narrowing that makes 80 % of its actual waits
fall inside, so the promise holds for VIPs and for every service, not only on average.
The held-out errors come from cross-fitting over runs of days (see `train`), so every day
serves both to fit and to calibrate.

Tickets that a free counter takes at once are neither learned from nor estimated: every
predictor says 0 for them (predictors.settle).
"""

from __future__ import annotations

import math
import os
import pickle
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

# One prediction is a few hundred tiny trees: OpenMP threads only add their start-up, and
# spinning between predictions they starve the other processes on a two-core branch box
# (bench/bus_latency.py --wait-model: 4 agents went from 5 ms to 5 s a ticket). The runtime
# reads this once, when scikit-learn first loads it, and for every thread.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: E402

from edge_agent.queue import situation as situation_format
from edge_agent.queue.estimate import WaitEstimate
from edge_agent.queue.predictors import HIGH_Q, LOW_Q, QueueLength, free_now, settle
from edge_agent.queue.situation import WaitSituation
from edge_agent.wait_model.samples import Sample
from lobby.contract import Tier

MODEL_FORMAT = 1
NAME = "learned-hgb"
TIERS = [t.value for t in Tier]
PROFILES = ["", "fifo", "ratio", "accumulating"]
# Categories first (as indices: service, tier, profile), then numbers.
CATEGORICAL = ["service", "tier", "profile"]
NUMERIC = [
    "weekday", "minute_of_day", "ahead", "ahead_priority", "ahead_mass", "waiting_service", "waiting_shared", "counters_open",
    "counters_idle", "serving_elapsed_s", "capacity", "mean_service_s", "sd_service_s", "tier_priority", "today_s", "today_high_s",
    "les_s", "les_age_s", "recent_wait_s",
]
FEATURES = CATEGORICAL + NUMERIC
COVERAGE = HIGH_Q - LOW_Q  # 0.8: the share of waits the range must hold
MAX_NARROWING_S = 600.0  # a group almost always served at once must not turn ranges inside out
MIN_GROUP = 30
FOLDS = 5  # runs of days for cross-conformal calibration  # calibration tickets a group needs for its own correction; fewer borrow the service's


class NotEnoughHistory(Exception):
    """Too little history to learn from; the message says how much there is and is needed."""


class ModelRefused(Exception):
    """A model file that cannot be used; the message is for the technician's log."""


@dataclass(frozen=True)
class ModelInfo:
    trained_on: str  # ISO date of the training (the day closed)
    first_day: str
    last_day: str
    days: int
    tickets: int
    # On the held-out calibration days, after calibration:
    mae_s: float
    coverage: float
    train_seconds: float = 0.0

    def describe(self) -> str:
        return (
            f"{NAME} trained {self.trained_on} on {self.days} days ({self.first_day}..{self.last_day}, "
            f"{self.tickets} tickets): held-out MAE {self.mae_s / 60:.1f} min, {self.coverage:.0%} inside the range"
        )


def feature_rows(situations: Sequence[WaitSituation], services: Sequence[str]) -> np.ndarray:
    """The numeric matrix the regressors read: categories as indices, unknowns as NaN."""
    index = {s: i for i, s in enumerate(services)}
    rows = np.empty((len(situations), len(FEATURES)), dtype=np.float64)
    for r, s in enumerate(situations):
        rows[r, 0] = index.get(s.service, math.nan)
        rows[r, 1] = TIERS.index(s.tier) if s.tier in TIERS else math.nan
        rows[r, 2] = PROFILES.index(s.profile) if s.profile in PROFILES else math.nan
        for c, name in enumerate(NUMERIC, start=len(CATEGORICAL)):
            value = getattr(s, name)
            rows[r, c] = math.nan if value is None else float(value)
    return rows


def _group(situation: WaitSituation) -> tuple[str, bool]:
    return situation.service, situation.tier == Tier.VIP.value


class LearnedPredictor:
    name = NAME

    def __init__(self, models: Sequence[HistGradientBoostingRegressor], services: Sequence[str],
                 corrections: dict[tuple[str, bool] | str, float], info: ModelInfo | None):
        self.models = list(models)
        self.services = list(services)
        self.corrections = corrections
        self.info = info
        self._fallback = QueueLength()

    def predict(self, situations: Sequence[WaitSituation]) -> list[WaitEstimate | None]:
        estimates: list[WaitEstimate | None] = [None] * len(situations)
        learned = [i for i, s in enumerate(situations) if s.service in self.services and s.counters_open and not free_now(s)]
        if learned:
            rows = feature_rows([situations[i] for i in learned], self.services)
            low, middle, high = (model.predict(rows) for model in self.models)
            for k, i in enumerate(learned):
                s = situations[i]
                fix = self.correction(s)
                estimates[i] = settle(s, float(middle[k]), float(low[k]) - fix, float(high[k]) + fix)
        answered = set(learned)
        for i, s in enumerate(situations):
            if i not in answered:  # no counter, a free counter, or a service the model never saw
                estimates[i] = self._fallback.predict([s])[0]
        return estimates

    def correction(self, s: WaitSituation) -> float:
        group = _group(s)
        return self.corrections.get(group, self.corrections.get(s.service, self.corrections.get("*", 0.0)))


def _regressor(quantile: float, seed: int) -> HistGradientBoostingRegressor:
    # Few, shallow trees: a prediction must cost well under 2 ms at the kiosk (bench/).
    return HistGradientBoostingRegressor(
        loss="quantile", quantile=quantile, max_iter=40, learning_rate=0.2, max_leaf_nodes=15, min_samples_leaf=30,
        # Categories go in as plain indices: declaring them categorical puts an encoder in
        # front of every prediction that costs 2-3 ms, more than all the trees (bench/).
        categorical_features=None, early_stopping=False, random_state=seed,
    )


def conformal_correction(scores: Sequence[float]) -> float:
    """The CQR correction for one group: the ceil((n+1) x 0.8)-th smallest score."""
    ordered = sorted(scores)
    rank = min(len(ordered), math.ceil((len(ordered) + 1) * COVERAGE))
    return ordered[rank - 1]


def train(samples: Iterable[Sample], trained_on: date, *, min_days: int = 5, min_tickets: int = 500,
          folds: int = FOLDS, seed: int = 0) -> LearnedPredictor:
    """Learn from every day given; calibrate the range by cross-conformal prediction.

    The days are cut into `folds` runs of consecutive days; the models fitted without a run
    predict it, which gives every ticket an honest error and conformity score. The scores
    set each group's correction and the errors the model's own figures; the models kept are
    then fitted on all the days. Raises NotEnoughHistory when there are fewer than
    `min_days` days or `min_tickets` tickets that waited for a counter.
    """
    estimable = [s for s in samples if s.situation.counters_open and s.waited_s >= 0]
    useful = [s for s in estimable if not free_now(s.situation)]
    days = sorted({s.day for s in useful})
    if len(days) < max(2, min_days) or len(useful) < min_tickets:
        raise NotEnoughHistory(
            f"{len(useful)} tickets over {len(days)} days that waited for a counter; "
            f"learning needs at least {min_tickets} over {max(2, min_days)} days"
        )
    services = sorted({s.situation.service for s in useful})
    # Calibrated on every ticket a predictor answers, those a free counter took too: they
    # are told 0 and always fall inside, so the range of the others can be that much tighter.
    scores: dict[tuple[str, bool] | str, list[float]] = defaultdict(list)
    told: list[tuple[Sample, float, float, float]] = []  # (sample, low, middle, high) from models that never saw it
    for run in np.array_split(np.array(days, dtype=object), min(folds, len(days))):
        held_days = set(run)
        held = [s for s in estimable if s.day in held_days]
        if not held:
            continue
        models = _fit([s for s in useful if s.day not in held_days], services, seed)
        low, middle, high = (m.predict(feature_rows([s.situation for s in held], services)) for m in models)
        for k, s in enumerate(held):
            if free_now(s.situation):
                score, answer = -math.inf, (0.0, 0.0, 0.0)
            else:
                score, answer = max(low[k] - s.waited_s, s.waited_s - high[k]), (low[k], middle[k], high[k])
            for key in (_group(s.situation), s.situation.service, "*"):
                scores[key].append(float(score))
            told.append((s, *answer))
    corrections = {key: max(conformal_correction(v), -MAX_NARROWING_S) for key, v in scores.items() if key == "*" or len(v) >= MIN_GROUP}
    predictor = LearnedPredictor(_fit(useful, services, seed), services, corrections, info=None)
    inside = []
    for s, low_s, middle_s, high_s in told:
        fix = 0.0 if free_now(s.situation) else predictor.correction(s.situation)
        estimate = settle(s.situation, middle_s, low_s - fix, high_s + fix)
        inside.append(estimate is not None and estimate.low_s <= s.waited_s <= estimate.high_s)
    predictor.info = ModelInfo(
        trained_on=trained_on.isoformat(), first_day=days[0].isoformat(), last_day=days[-1].isoformat(), days=len(days),
        tickets=len(useful), mae_s=float(np.mean([abs(m - s.waited_s) for s, _, m, _ in told])), coverage=float(np.mean(inside)),
    )
    return predictor


def _fit(samples: Sequence[Sample], services: Sequence[str], seed: int) -> list[HistGradientBoostingRegressor]:
    x = feature_rows([s.situation for s in samples], services)
    y = np.array([s.waited_s for s in samples])
    return [_regressor(q, seed).fit(x, y) for q in (LOW_Q, 0.5, HIGH_Q)]


def save(predictor: LearnedPredictor, path: Path) -> None:
    """Write the model beside the store, atomically (a crash leaves the old one)."""
    payload = {
        "format": MODEL_FORMAT,
        "situation_format": situation_format.FORMAT,
        "sklearn": sklearn.__version__,
        "features": FEATURES,
        "services": predictor.services,
        "models": predictor.models,
        "corrections": predictor.corrections,
        "info": predictor.info,
    }
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as out:
        pickle.dump(payload, out, protocol=pickle.HIGHEST_PROTOCOL)
    partial.chmod(0o600)
    partial.replace(path)


def load(path: Path) -> LearnedPredictor:
    """The saved model; raises ModelRefused with a sentence saying why it cannot be used.

    The file is the agent's own, written by `save` into its private data folder: pickle
    is only as trustworthy as that folder, which is why it is never read from elsewhere.
    """
    try:
        with open(path, "rb") as source:
            payload = pickle.load(source)
    except FileNotFoundError:
        raise ModelRefused(f"no wait model at {path} yet") from None
    except Exception as problem:  # a truncated or foreign file fails in many ways
        raise ModelRefused(f"the wait model {path} is unreadable ({type(problem).__name__}); it will be retrained") from None
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ModelRefused(f"the wait model {path} is not in this agent's format {MODEL_FORMAT}; it will be retrained")
    if payload.get("situation_format") != situation_format.FORMAT or payload.get("features") != FEATURES:
        raise ModelRefused(f"the wait model {path} was trained on other features than this agent uses; it will be retrained")
    if payload.get("sklearn") != sklearn.__version__:
        raise ModelRefused(
            f"the wait model {path} was made by scikit-learn {payload.get('sklearn')}, this agent has {sklearn.__version__}; "
            "it will be retrained"
        )
    predictor = LearnedPredictor(payload["models"], payload["services"], payload["corrections"], payload["info"])
    for model in predictor.models:  # the first prediction sets up what every later one reuses: not at a customer's expense
        model.predict(np.zeros((1, len(FEATURES))))
    return predictor
