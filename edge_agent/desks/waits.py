"""Which predictor tells customers their wait, and keeping it learned.

At start the desk loads the model file beside the store (`wait-model.pkl`); a missing,
corrupt or incompatible one is refused with one log line and the queue-length estimator
answers instead. After each business day has ended, the agent's housekeeping asks the desk
to retrain (`after_close`): a separate process at a lower priority (training.py), so the
agent never stalls; when it finishes, the new model is loaded.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from edge_agent.queue.estimate import WaitEstimate
from edge_agent.queue.predictors import Predictor, QueueLength
from edge_agent.queue.situation import WaitSituation
from edge_agent.store import waits
from edge_agent.store.db import Store
from edge_agent.wait_model.training import NOT_ENOUGH_HISTORY
from lobby.config import BranchConfig

log = logging.getLogger(__name__)

TRAINING_NICE = 10


def model_path(config: BranchConfig) -> Path:
    return config.store.path.with_name("wait-model.pkl")


def training_arguments(config: BranchConfig, through: date, model: Path | None = None) -> list[str]:
    """training.py's arguments for this branch: its store, its model file (`model_path` unless
    given), `[wait_estimate]`."""
    settings = config.wait_estimate
    return [
        "--store", str(config.store.path), "--model", str(model or model_path(config)), "--through", through.isoformat(),
        "--days", str(settings.training_days), "--min-days", str(settings.min_history_days), "--min-tickets", str(settings.min_tickets),
    ]


class WaitDesk:
    def __init__(self, config: BranchConfig, store: Store):
        self.config = config
        self.store = store
        self.path = model_path(config)
        self.fallback = QueueLength()
        self.predictor: Predictor = self.fallback
        self.described = ""
        self._training: subprocess.Popen[str] | None = None
        self._attempted: date | None = None  # the last closed day a training was started for
        self.load()

    @property
    def name(self) -> str:
        return self.predictor.name

    def predict(self, situations: Sequence[WaitSituation]) -> list[WaitEstimate | None]:
        return self.predictor.predict(list(situations))

    def load(self) -> None:
        """Use the model file if it can be used; otherwise say why and use the fallback."""
        if not self.path.exists():  # said without loading scikit-learn: a new branch starts fast
            self.predictor = self.fallback
            self.described = f"{self.fallback.name} (no wait model at {self.path} yet)"
            log.info("wait estimate: %s", self.described)
            return
        from edge_agent.wait_model.learned import ModelRefused, load  # scikit-learn loads here (about a second)

        try:
            learned = load(self.path)
        except ModelRefused as refused:
            self.predictor = self.fallback
            self.described = f"{self.fallback.name} ({refused})"
        else:
            self.predictor = learned
            self.described = learned.info.describe() if learned.info else learned.name
            if learned.info:
                self._attempted = max(self._attempted or date.min, date.fromisoformat(learned.info.trained_on))
        log.info("wait estimate: %s", self.described)

    def after_close(self, closed: date) -> None:
        """Retrain on the history up to the business day `closed`, once per day."""
        if self._training is not None or (self._attempted is not None and self._attempted >= closed):
            return
        self._attempted = closed
        settings = self.config.wait_estimate
        # Said without starting a process (and loading scikit-learn) while the store is young.
        days, tickets = waits.history_size(self.store.conn, closed - timedelta(days=settings.training_days - 1), closed + timedelta(days=1))
        if days < settings.min_history_days or tickets < settings.min_tickets:
            log.info(
                "wait estimate: not enough history to learn yet (%d tickets over %d days; %d over %d needed); %s keeps answering",
                tickets, days, settings.min_tickets, settings.min_history_days, self.predictor.name,
            )
            return
        arguments = training_arguments(self.config, closed, self.path)
        command = [sys.executable, "-m", "edge_agent.wait_model.training", *arguments, "--nice", str(TRAINING_NICE)]
        log.info("wait estimate: learning from the days up to %s in the background", closed)
        self._training = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def poll(self) -> bool:
        """Pick up a finished training; True when the predictor answering changed."""
        if self._training is None or self._training.poll() is None:
            return False
        output, _ = self._training.communicate()
        status, self._training = self._training.returncode, None
        said = output.strip().splitlines()[-1] if output.strip() else f"exit status {status}"
        if status == 0:
            before = self.described
            self.load()
            return self.described != before
        if status == NOT_ENOUGH_HISTORY:
            log.info("wait estimate: %s; %s keeps answering", said, self.predictor.name)
        else:
            log.warning("wait estimate: training failed (%s); %s keeps answering", said, self.predictor.name)
        return False

    def stop(self) -> None:
        if self._training is not None and self._training.poll() is None:
            self._training.kill()
            self._training.wait()
