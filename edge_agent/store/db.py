"""The branch's durable store: one SQLite file, WAL, synchronous=FULL, versioned schema.

Every change to the queue and the events it causes are written in one transaction
(`Store.write()`), so a crash at any moment leaves either all of it or none of it.
Several processes may open the same file (the agent, and a technician's CLI); writers
serialise on `BEGIN IMMEDIATE`, and `data_version` tells a process that someone else
committed, so it can reload what it keeps in memory.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from edge_agent.store.migrations import MIGRATIONS

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The store cannot be used; the message says what a technician should do."""


class Store:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is
            # exactly the block inside write(), never something Python opened implicitly.
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA busy_timeout=30000")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}. Check the path in [store] and its permissions.") from None

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        current = self.schema_version
        if current > len(MIGRATIONS):
            raise StoreError(
                f"the store {self.path} has schema version {current}, newer than this software "
                f"understands ({len(MIGRATIONS)}). Install the newer Lobby Kiosk version or restore a backup."
            )
        for version, statements in enumerate(MIGRATIONS[current:], start=current + 1):
            with self.write():
                # Another process may have migrated while we waited for the lock.
                if self.schema_version >= version:
                    continue
                for statement in statements:
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version={version}")
            log.info("store %s migrated to schema version %d", self.path, version)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable transaction holding the write lock from its first statement."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def data_version(self) -> int:
        """Changes whenever another connection commits (SQLite's PRAGMA data_version)."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def backup_to(self, target: Path) -> None:
        """A consistent copy while others keep writing (SQLite's online backup API)."""
        destination = sqlite3.connect(target)
        try:
            self.conn.backup(destination)
        finally:
            destination.close()

    def close(self) -> None:
        self.conn.close()
