"""Fixtures shared by the whole suite: the example branch, artefact folders, a private broker."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tools.hq_rig import HeadOfficeBroker
    from tools.private_postgres import PrivatePostgres

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO / "config" / "branch.example.toml"


def _never_printed() -> re.Pattern[str]:
    """The staff PINs and customers' phone numbers the suite uses: none may appear in what a
    test prints or logs (the RM's own view and the follow-up list are files and answers, not
    output). Digits on their own, so an id or a hash that merely contains them does not count."""
    from tests.staff_helpers import PINS
    from tools.demo_staff import DEMO_STAFF

    secrets = {*PINS.values(), *(pin for *_, pin, _ in DEMO_STAFF), "13812345678", "13912345678", "13800138000"}
    return re.compile(r"(?<![0-9A-Za-z])(" + "|".join(sorted(secrets)) + r")(?![0-9A-Za-z])")


NEVER_PRINTED = _never_printed()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Every test's captured output and log is grepped for a PIN or a phone number."""
    outcome = yield
    report = outcome.get_result()
    for title, text in report.sections:
        if not title.endswith(report.when):  # each phase's own output, once
            continue
        found = NEVER_PRINTED.search(text)
        if found and report.outcome != "failed":
            report.outcome = "failed"
            report.longrepr = f"{title} shows a PIN or a phone number ({found.group(0)[:2]}…): personal data must never be printed or logged"


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


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never its own browser download)."""
    from playwright.sync_api import sync_playwright

    from tests.test_web_pages import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


# ---- head office: a private PostgreSQL cluster (one per run) and a head-office broker ----------

@pytest.fixture(scope="session")
def postgres() -> Iterator[PrivatePostgres]:
    from tools.private_postgres import PrivatePostgres

    cluster = PrivatePostgres()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def hq_broker() -> Iterator[HeadOfficeBroker]:
    from tools.hq_rig import HeadOfficeBroker

    broker = HeadOfficeBroker()
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def database(postgres) -> str:
    """A fresh database in the run's cluster, for one test."""
    return postgres.new_database(f"hq_{uuid.uuid4().hex[:8]}")
