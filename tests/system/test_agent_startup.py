"""`edge-agent run` that cannot start says why in one sentence, exits non-zero, no traceback.

The technician reads these in the journal: each names the file or setting and what to do.
A taken web port is the exception that keeps running: tickets matter more than the pages.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

QUIET = {**os.environ, "LOBBY_VOICE__ENABLED": "false"}  # no voice pack to build: these tests are about starting


def run_agent(toml: Path, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "run"],
        capture_output=True, text=True, timeout=timeout, env=env or QUIET,
    )


def assert_one_sentence(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    fatal = [line for line in result.stderr.splitlines() if line.startswith("CRITICAL")]
    assert len(fatal) == 1, result.stderr
    for word in words:
        assert word in fatal[0], fatal[0]


def test_a_missing_credentials_file_is_one_sentence(branch_toml, tmp_path):
    result = run_agent(branch_toml)  # the fixture's credentials file was never written
    assert_one_sentence(result, "no broker credentials at", str(tmp_path / "broker" / "credentials.json"), "edge-agent broker setup")


def test_an_unreadable_credentials_file_is_one_sentence(branch_toml, tmp_path):
    (tmp_path / "broker" / "credentials.json").mkdir(parents=True)  # root reads any file: a folder cannot be read as one
    assert_one_sentence(run_agent(branch_toml), "cannot read the broker credentials", "credentials_file")


def test_credentials_without_the_agent_role_are_one_sentence(branch_toml, tmp_path):
    (tmp_path / "broker").mkdir()
    (tmp_path / "broker" / "credentials.json").write_text(json.dumps({"kiosk": {"username": "k", "password": "p"}}))
    assert_one_sentence(run_agent(branch_toml), "no entry for role 'agent'", "broker setup")


def test_a_store_that_cannot_be_opened_is_one_sentence(branch_toml, tmp_path):
    (tmp_path / "branch.db").mkdir()  # the store path is taken by a folder
    assert_one_sentence(run_agent(branch_toml), "cannot open the store", str(tmp_path / "branch.db"), "[store]")


def test_a_taken_web_port_is_logged_and_the_agent_runs_on(broker, branch_toml):
    from lobby.config import load_config
    from tests.bus_helpers import AgentProcess, write_config_for

    toml = write_config_for(broker, branch_toml)
    web_port = load_config(toml).web.port
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("0.0.0.0", web_port))
        taken.listen()
        agent = AgentProcess(toml, env={"LOBBY_VOICE__ENABLED": "false"})
        agent.start()
        try:
            deadline = time.monotonic() + 30
            while "pages are not served" not in agent.log() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert "pages are not served" in agent.log() and str(web_port) in agent.log()
            assert agent.alive() and "Traceback" not in agent.log()
        finally:
            agent.stop()
