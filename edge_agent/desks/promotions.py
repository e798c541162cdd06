"""Publishing and withdrawing lobby promotions, from the manager's tablet or a technician's
files, and the retained `promotions` state the hall display and the kiosk show."""

from __future__ import annotations

import logging
import secrets
import sqlite3
from datetime import date, datetime

from edge_agent.desks.work import BranchWork
from edge_agent.queue.engine import QueueError
from edge_agent.rules.promotion_files import PromotionFile, read_folder
from edge_agent.rules.promotion_images import checked_image, decode_base64
from edge_agent.store import promotions as stored
from lobby.contract import ErrorCode, Promotion, PromotionAnswer, PromotionsState, Tier

log = logging.getLogger(__name__)


class PromotionDesk:
    def __init__(self, branch: BranchWork):
        self.branch = branch
        self._folder_problems: dict[str, str] = {}

    @property
    def _settings(self):
        return self.branch.config.promotions

    def _today(self, now: datetime) -> date:
        return now.astimezone(self.branch.config.branch.zone).date()

    def _checked(self, conn: sqlite3.Connection, now: datetime, promotion_id: str, starts_on: date, ends_on: date,
                 image: bytes | None) -> str | None:
        if ends_on < starts_on:
            raise QueueError(ErrorCode.BAD_DATES, f"The promotion ends ({ends_on}) before it starts ({starts_on}).")
        if ends_on < self._today(now):
            raise QueueError(ErrorCode.BAD_DATES, f"The promotion ended on {ends_on}: choose an end date from today on.")
        others = [r for r in stored.current(conn, self._today(now)) if r["promotion_id"] != promotion_id]
        if len(others) >= self._settings.max_active:
            raise QueueError(
                ErrorCode.TOO_MANY_PROMOTIONS,
                f"{len(others)} promotions are already running or planned (at most {self._settings.max_active}): withdraw one first.",
            )
        if image is None:
            return None
        return checked_image(image, self._settings.max_image_kb * 1024, self._settings.max_image_pixels)

    def publish(self, session: str, title: str, text: str, image: str | None, starts_on: date, ends_on: date, tiers: list[Tier],
                transaction: str | None = None) -> PromotionAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> PromotionAnswer:
            actor = self.branch.actor(conn, now, session, "promotion_publish")
            assert actor is not None
            raw = decode_base64(image) if image else None
            promotion_id = f"p-{secrets.token_hex(6)}"
            uri = self._checked(conn, now, promotion_id, starts_on, ends_on, raw)
            stored.save(conn, promotion_id, title, text, uri, [t.value for t in tiers], starts_on, ends_on, "tablet", actor.staff_id, now)
            return PromotionAnswer(promotion_id=promotion_id, active=starts_on <= self._today(now) <= ends_on)

        return self.branch.perform("promotion_publish", transaction, action)

    def withdraw(self, session: str, promotion_id: str, transaction: str | None = None) -> PromotionAnswer:
        def action(conn: sqlite3.Connection, now: datetime) -> PromotionAnswer:
            actor = self.branch.actor(conn, now, session, "promotion_withdraw")
            assert actor is not None
            if not stored.withdraw(conn, promotion_id, actor.staff_id, now):
                raise QueueError(ErrorCode.UNKNOWN_PROMOTION, f"There is no running promotion '{promotion_id}'.")
            return PromotionAnswer(promotion_id=promotion_id, active=False)

        return self.branch.perform("promotion_withdraw", transaction, action)

    def sync_folder(self) -> None:
        """Housekeeping: the folder's files as promotions (added, changed, removed)."""
        folder = self._settings.folder
        if folder is None or not folder.is_dir():
            return
        dropped, problems = read_folder(folder)
        with self.branch.store.write() as conn:
            now = self.branch.clock()
            known = stored.from_files(conn)
            for item in dropped:
                if known.get(item.promotion_id) == item.version:
                    continue
                try:
                    uri = self._checked(conn, now, item.promotion_id, item.form.starts_on, item.form.ends_on, item.image)
                except QueueError as exc:
                    problems[item.promotion_id.removeprefix("file-") + ".toml"] = exc.message
                    continue
                self._save_file(conn, now, item.promotion_id, item.form, uri, item.version)
                log.info("promotion %s published from %s", item.promotion_id, folder)
            present = {item.promotion_id for item in dropped}
            for promotion_id in set(known) - present:
                stored.withdraw(conn, promotion_id, "file removed", now)
                log.info("promotion %s withdrawn: its file is gone from %s", promotion_id, folder)
        for name, problem in problems.items():
            if self._folder_problems.get(name) != problem:
                log.warning("promotion file %s in %s is not used: %s", name, folder, problem)
        self._folder_problems = problems

    def _save_file(self, conn: sqlite3.Connection, now: datetime, promotion_id: str, form: PromotionFile, uri: str | None, version: str) -> None:
        stored.save(conn, promotion_id, form.title, form.text, uri, [t.value for t in form.tiers], form.starts_on, form.ends_on,
                    "file", "technician", now, file_version=version)

    def state(self) -> PromotionsState:
        now = self.branch.clock()
        today = self._today(now)
        showing = [r for r in stored.current(self.branch.store.conn, today) if date.fromisoformat(r["starts_on"]) <= today]
        return PromotionsState(at=now, promotions=[
            Promotion(
                promotion_id=r["promotion_id"], title=r["title"], text=r["text"], image=r["image"], tiers=[Tier(t) for t in stored.tiers_of(r)],
                starts_on=date.fromisoformat(r["starts_on"]), ends_on=date.fromisoformat(r["ends_on"]),
            )
            for r in showing
        ])
