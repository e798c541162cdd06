"""Fixtures shared by the whole suite: the example branch, artefact folders, a private broker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO / "config" / "branch.example.toml"


@pytest.fixture(scope="session")
def artifacts_root() -> Path:
    root = Path(os.environ.get("LOBBY_ARTIFACTS", REPO / "test-artifacts"))
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture
def branch_toml(tmp_path: Path) -> Path:
    """The example branch, with its store, key and device folders in a scratch folder."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    # Tests run at any hour of any day: the branch issues tickets outside its opening hours.
    text = text.replace("tickets_outside_hours = false", "tickets_outside_hours = true")
    text = text.replace("/var/lib/lobby", str(tmp_path))
    text = text.replace(
        'credentials_file = "/etc/lobby/broker/credentials.json"', f'credentials_file = "{tmp_path / "broker" / "credentials.json"}"'
    )
    path = tmp_path / "branch.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def branch_config(branch_toml: Path):
    from lobby.config import load_config

    return load_config(branch_toml)


@pytest.fixture
def broker(branch_config):
    """A real Mosquitto with the branch's generated users and ACLs, on free ports."""
    import shutil

    from tools.private_broker import private_broker_for

    running = private_broker_for(branch_config)
    running.start()
    yield running
    running.stop()
    shutil.rmtree(running.directory.parent, ignore_errors=True)
