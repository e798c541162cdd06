"""The branch's durable store: one SQLite file, WAL, synchronous=FULL, versioned schema.

Every change to the queue and the events it causes are written in one transaction
(`Store.write()`), so a crash at any moment leaves either all of it or none of it.
Several processes may open the same file (the agent, and a technician's CLI); writers
serialise on `BEGIN IMMEDIATE`, and `data_version` tells a process that someone else
committed, so it can reload what it keeps in memory.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from edge_agent.store.migrations import MIGRATIONS

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The store cannot be used; the message says what a technician should do."""


class StoreUnwritable(StoreError):
    """The disk under the store is full or read-only: nothing can be recorded until a
    technician frees space (or remounts it), after which writing simply works again."""

    def __init__(self, problem: str, path: Path, detail: str):
        self.problem = problem  # "disk_full" | "read_only", as agent/state says it
        if problem == "disk_full":
            message = f"the branch's disk is full ({path.parent}): no ticket can be recorded. Call the technician to free space"
        else:
            message = f"the branch's disk has become read-only ({path.parent}): no ticket can be recorded. Call the technician"
        super().__init__(f"{message} ({detail}).")


# SQLite's primary result codes for a disk that will not take a write.
_FULL, _READONLY, _IOERR = 13, 8, 10
# Less free space than this, and a failed write is put down to a full disk.
_NEARLY_FULL_BYTES = 256 * 1024


def unwritable(exc: sqlite3.Error, path: Path) -> StoreUnwritable | None:
    """The StoreUnwritable an SQLite error means, or None for any other error. SQLite reports
    a failed write as FULL, READONLY or a plain I/O error; the file system says which it is."""
    code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    if code not in (_FULL, _READONLY, _IOERR):
        return None
    refused = _refused_write(path.parent)
    if code == _READONLY or refused == errno.EROFS:  # also a disk the kernel turned read-only after an error
        return StoreUnwritable("read_only", path, str(exc))
    if code == _FULL or refused in (errno.ENOSPC, errno.EDQUOT) or _free_bytes(path.parent) < _NEARLY_FULL_BYTES:
        return StoreUnwritable("disk_full", path, str(exc))
    return None


def _refused_write(folder: Path) -> int | None:
    """The errno with which the file system refuses a small write in `folder`, or None.
    (statvfs does not show a disk the kernel made read-only after an error; a write does.)"""
    probe = folder / ".lobby-write-probe"
    try:
        with open(probe, "wb", buffering=0) as out:
            out.write(b"x")
            os.fsync(out.fileno())
        probe.unlink()
    except OSError as exc:
        return exc.errno
    return None


def _free_bytes(folder: Path) -> int:
    try:
        disk = os.statvfs(folder)
    except OSError:
        return 0
    return disk.f_bavail * disk.f_frsize


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
        """One atomic, durable transaction holding the write lock from its first statement.

        A disk that is full or read-only raises StoreUnwritable (nothing was written)."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self._rollback()
                raise
            else:
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.Error:
                    self._rollback()
                    raise
        except sqlite3.Error as exc:
            problem = unwritable(exc, self.path)
            if problem is None:
                raise
            raise problem from None

    def _rollback(self) -> None:
        # SQLite may already have rolled back by itself (a full disk does that): then there
        # is no transaction to end, and that is fine.
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def probe_write(self, now: str) -> None:
        """A real write, committed: raises StoreUnwritable when the disk will not take one."""
        with self.write() as conn:
            conn.execute("INSERT INTO store_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at", (now,))

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
