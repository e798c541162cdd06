"""A disk that fills up or turns read-only under a running agent: the agent stays up, says
why on agent/state and in every refusal, and carries on by itself once the disk is fixed.

Found on a bad day: a full disk let sqlite3.OperationalError escape after a ticket printed
and every later ticket was answered `internal`; a read-only disk crashed the agent every
3.5 s with agent/state flapping 65 times. The stores here are on real file systems: a 2 MB
tmpfs filled with a real file, and an ext4 image that fails into read-only the way a dying
SD card does (errors=remount-ro). Root only: mounting needs it, and CI runs as root.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.bus_helpers import AgentProcess, RawClient, write_config_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def failing_disk(tmp_path):
    """An ext4 file system that turns read-only on an error, and a way to cause one."""
    image, mount = tmp_path / "ext4.img", tmp_path / "ext4"
    mount.mkdir()
    subprocess.run(["truncate", "-s", "16M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", str(image)], check=True)
    subprocess.run(["mount", "-o", "loop,errors=remount-ro", str(image), str(mount)], check=True)
    device = Path(subprocess.run(["findmnt", "-n", "-o", "SOURCE", str(mount)], capture_output=True, text=True, check=True).stdout.strip()).name

    def fail() -> None:
        Path(f"/sys/fs/ext4/{device}/trigger_fs_error").write_text("1")

    yield mount, fail
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:  # unbuffered: the last write fails here, not at close
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def ticket(kiosk: RawClient) -> dict:
    kiosk.publish("request/ticket", {"transaction": (t := uuid.uuid4().hex), "service": "cash"})
    return kiosk.response("ticket", t, timeout=15)


def store_state(watcher: RawClient, wanted: str, timeout: float = 20) -> dict:
    watcher.wait_for(lambda m: any(t == "agent/state" and p.get("store") == wanted for t, p, _ in m), timeout=timeout)
    return next(p for t, p, _ in reversed(watcher.messages) if t == "agent/state" and p.get("store") == wanted)


@contextmanager
def branch_on(broker, branch_toml, disk: Path) -> Iterator[tuple[AgentProcess, RawClient, RawClient, int]]:
    """The agent with its store on `disk`, online and with A001 issued; a display watching
    agent/state and a kiosk. Yields (agent, watcher, kiosk, the agent's pid)."""
    toml = write_config_for(broker, branch_toml)
    text = re.sub(r'^path = "[^"]*branch.db"', f'path = "{disk / "branch.db"}"', toml.read_text(encoding="utf-8"), count=1, flags=re.M)
    assert str(disk) in text
    toml.write_text(text, encoding="utf-8")
    agent = AgentProcess(toml, env={"LOBBY_VOICE__ENABLED": "false"})
    agent.start()
    watcher = RawClient(broker.config, broker.credentials["display"])
    watcher.subscribe("agent/state")
    kiosk = RawClient(broker.config, broker.credentials["kiosk"])
    try:
        store_state(watcher, "ok")
        assert agent.process is not None and ticket(kiosk)["data"]["ticket"] == "A001"
        yield agent, watcher, kiosk, agent.process.pid
    finally:
        kiosk.close()
        watcher.close()
        agent.stop()


def test_a_full_disk_refuses_in_words_and_recovers_when_space_returns(broker, branch_toml, small_disk):
    with branch_on(broker, branch_toml, small_disk) as (agent, watcher, kiosk, pid):
        filler = fill(small_disk)
        refusals = [ticket(kiosk) for _ in range(5)]
        assert all(r["status"] == "error" and r["code"] == "store_full" for r in refusals), refusals
        assert "the branch's disk is full" in refusals[0]["error"] and "Call the technician" in refusals[0]["error"]
        full = store_state(watcher, "disk_full")
        assert full["state"] == "online" and str(small_disk) in full["store_detail"]

        filler.unlink()  # the technician frees space: no restart, no command
        store_state(watcher, "ok", timeout=20)
        assert ticket(kiosk)["data"]["ticket"] == "A002"

        # One process throughout, never offline, and said once, not for every refusal.
        assert agent.alive() and agent.process.pid == pid
        assert all(p["state"] == "online" for t, p, _ in watcher.messages if t == "agent/state")
        log = agent.log()
        assert "Traceback" not in log and "internal" not in log
        assert log.count("the branch's disk is full") == 1 and "takes writes again" in log
    store = sqlite3.connect(small_disk / "branch.db")
    assert store.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert [r[0] for r in store.execute("SELECT label FROM tickets ORDER BY label")] == ["A001", "A002"]
    store.close()


def test_a_disk_that_fails_into_read_only_keeps_the_agent_up_and_saying_so(broker, branch_toml, failing_disk):
    """Such a disk needs a technician (fsck, a new card) before it takes writes again; until
    then the agent must neither crash in a loop nor flap offline."""
    disk, fail = failing_disk
    with branch_on(broker, branch_toml, disk) as (agent, watcher, kiosk, pid):
        fail()
        refusals = [ticket(kiosk) for _ in range(3)]
        assert all(r["status"] == "error" and r["code"] == "store_read_only" for r in refusals), refusals
        state = store_state(watcher, "read_only")
        assert state["state"] == "online" and "read-only" in state["store_detail"]
        time.sleep(8)  # several probes and heartbeats later: still up, still saying so, no flapping
        assert agent.alive() and agent.process.pid == pid
        states = [p for t, p, _ in watcher.messages if t == "agent/state"]
        assert all(p["state"] == "online" for p in states) and states[-1]["store"] == "read_only"
        log = agent.log()
        assert "Traceback" not in log and log.count("has become read-only") == 1
