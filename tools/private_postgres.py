"""A private PostgreSQL cluster for the head-office tests: Debian's server, a fresh `initdb`
in a folder under /tmp, on a free port, its socket in that folder. Never the system cluster.

The server refuses to run as root, so the cluster belongs to user `postgres` (made by
Debian's package), which `runuser` switches to.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tools.private_broker import free_port, reachable_folder

BIN = Path("/usr/lib/postgresql/15/bin")
OWNER = "postgres"


class PrivatePostgres:
    def __init__(self, database: str = "lobby_hq", durable: bool = False, settings: dict[str, str] | None = None):
        # Tests need no durability against power loss (fsync off: faster); a bench measures it as it runs.
        self.durable = durable
        self.settings = settings or {}  # more server settings, e.g. track_commit_timestamp for a bench
        self.home = reachable_folder("lobby-pg-")
        self.data = self.home / "data"
        self.port = free_port()
        self.database = database
        self.log_path = self.home / "postgres.log"
        shutil.chown(self.home, OWNER, OWNER)
        self._as_owner([str(BIN / "initdb"), "-D", str(self.data), "-U", OWNER, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"])

    @property
    def conninfo(self) -> str:
        return f"host={self.home} port={self.port} dbname={self.database} user={OWNER}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=''" + ("" if self.durable else " -c fsync=off")
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self._as_owner([str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w", "-t", "60", "start"])
        if not getattr(self, "_created", False):
            self._as_owner([str(BIN / "createdb"), "-h", str(self.home), "-p", str(self.port), "-U", OWNER, self.database])
            self._created = True

    def new_database(self, name: str) -> str:
        """A fresh, empty database in this cluster; returns its conninfo."""
        self._as_owner([str(BIN / "createdb"), "-h", str(self.home), "-p", str(self.port), "-U", OWNER, name])
        return f"host={self.home} port={self.port} dbname={name} user={OWNER}"

    def stop(self, mode: str = "fast") -> None:
        self._as_owner([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.home, ignore_errors=True)

    def _as_owner(self, command: list[str]) -> None:
        prefix = ["runuser", "-u", OWNER, "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, cwd=self.home)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:2])} failed: {done.stderr.strip() or done.stdout.strip()}")
