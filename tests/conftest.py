"""Fixtures shared by the whole suite: the example branch, artefact folders, a private broker."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime
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


SYSTEM_LANE = Path(__file__).resolve().parent / "system"


@pytest.fixture(autouse=True)
def in_process_lane_stays_in_process(request, monkeypatch):
    """A test outside tests/system/ that starts a process or opens a pseudo-terminal fails,
    saying where it belongs: the fast lane stays fast and needs nothing but Python."""
    if SYSTEM_LANE in request.node.path.parents:
        return

    def refuse(*_args, **_kwargs):
        raise AssertionError(f"{request.node.nodeid} starts a process or a device: it belongs in tests/system/")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    monkeypatch.setattr(os, "openpty", refuse)


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

    from tests.pages import CHROMIUM, CHROMIUM_ARGS

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


# ---- the branch in process: a branch over its store, with a clock that moves when told ---------

VIP_PAN = "6222021234567890128"


@pytest.fixture
def clock():
    from tests.clocks import SHANGHAI, FakeClock

    return FakeClock(datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))


@pytest.fixture
def branch(branch_config, clock):
    from edge_agent.branch import Branch

    opened = Branch.open(branch_config, clock)
    yield opened
    opened.close()


@pytest.fixture
def vip_card(branch_config, branch, tmp_path, clock):
    """A VIP's card in the branch's customer directory: what the reader would hand over."""
    from edge_agent.branch import tier_thresholds
    from edge_agent.store.directory import import_customers
    from lobby.card_key import card_token, load_or_create_key, mask_pan
    from lobby.contract import CardIdentity

    key = load_or_create_key(branch_config.security.key_file)
    export = tmp_path / "crm.csv"
    export.write_text(f"card_number,display_name,tier,rm,assets\n{VIP_PAN},王先生,vip,李经理,3500000\n", encoding="utf-8")
    report = import_customers(branch.store, export, key, tier_thresholds(branch_config), clock())
    assert report.problems == []
    return CardIdentity(token=card_token(key, VIP_PAN), masked_pan=mask_pan(VIP_PAN))


@pytest.fixture
def staffed(branch, tmp_path, clock):
    """The in-process branch with the staff roster imported."""
    from tests.staff_helpers import import_roster

    import_roster(branch.store, tmp_path, clock())
    return branch


# ---- the branch as processes: its agent on the private broker ----------------------------------


@pytest.fixture
def agent_toml(broker, branch_toml):
    from tests.bus_helpers import write_config_for

    return write_config_for(broker, branch_toml)


@pytest.fixture
def agent(broker, agent_toml):
    """A running agent, subscribed and announced online before the test starts."""
    from tests.bus_helpers import running_agent

    with running_agent(broker, agent_toml) as process:
        yield process


@pytest.fixture
def staffed_agent(broker, agent_toml, tmp_path):
    """The agent on a branch whose roster is imported (before it starts, as a technician would)."""
    from tests.bus_helpers import import_roster_with_cli, running_agent

    import_roster_with_cli(agent_toml, tmp_path)
    with running_agent(broker, agent_toml) as process:
        yield process


@pytest.fixture
def lobby(broker, agent_toml):
    """The real agent on the private broker; it serves the pages on [web] port."""
    from lobby.config import load_config
    from tests.bus_helpers import running_agent

    with running_agent(broker, agent_toml) as process:
        yield load_config(agent_toml), agent_toml, process


@pytest.fixture
def staffed_lobby(broker, agent_toml, tmp_path, branch_config):
    """The agent on a branch with its staff roster and a VIP in the directory, as a
    technician sets it up before the day starts."""
    from lobby.config import load_config
    from tests.bus_helpers import import_customer, import_roster_with_cli, running_agent

    import_roster_with_cli(agent_toml, tmp_path)
    card = import_customer(agent_toml, tmp_path, branch_config, VIP_PAN, "王先生,vip,李经理")
    with running_agent(broker, agent_toml) as process:
        yield load_config(agent_toml), agent_toml, process, card


@pytest.fixture
def shots(artifacts_root):
    """Screenshots of the pages, kept in the artefacts for people to look at."""
    folder = artifacts_root / "web"
    folder.mkdir(parents=True, exist_ok=True)

    def shoot(page, name: str) -> None:
        page.wait_for_timeout(700)  # let arrival animations settle before the picture
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return shoot
