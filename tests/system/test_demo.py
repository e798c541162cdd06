"""`make demo` end to end, from a checkout in a private folder, as root meets it in /root.

The demo's broker drops to user `mosquitto`, which cannot enter a 0700 folder: this is the
first thing a new user runs, so it runs here the way they would, and what it leaves in
demo-output/ is checked.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO

SOURCES = ("lobby", "edge_agent", "kiosk", "head_office", "tools", "config", "broker")


@pytest.fixture
def private_checkout():
    """The project's sources in a folder only its owner can enter, as `mktemp -d` makes one.

    Not pytest's tmp_path: its path is too long for the virtual printer's unix socket.
    """
    checkout = Path(tempfile.mkdtemp(prefix="lobby-kiosk-"))
    assert stat.S_IMODE(checkout.stat().st_mode) == 0o700
    for name in SOURCES:
        shutil.copytree(REPO / name, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
    if (REPO / "node_modules").exists():
        (checkout / "node_modules").symlink_to(REPO / "node_modules")
    if (REPO / "build").exists():  # what `make` built there: the broker's client-id plugin
        shutil.copytree(REPO / "build", checkout / "build")
    yield checkout
    if not os.environ.get("LOBBY_KEEP_DEMO"):
        shutil.rmtree(checkout, ignore_errors=True)


def test_make_demo_runs_from_a_folder_only_its_owner_can_enter(private_checkout):
    checkout = private_checkout
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY", "DEMO_KEEP")}
    # `python -m` puts the working folder first on sys.path: the copy runs, not the checkout the venv points at.
    run = subprocess.run([sys.executable, "-m", "tools.demo"], cwd=checkout, env=env, capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        agent_log = checkout / "demo-output" / "agent.log"
        devices = [line for line in agent_log.read_text().splitlines() if "printer" in line] if agent_log.exists() else []
        raise AssertionError(
            f"make demo failed:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}\nthe agent on its printer:\n" + "\n".join(devices[-40:])
        )

    out = checkout / "demo-output"
    assert str(out / "branch.toml") in run.stdout  # the copy ran, and wrote its own demo-output
    broker = out / "broker"
    assert broker.is_dir() and not broker.is_symlink(), "the broker's files are left in demo-output, not behind a link"
    assert "mosquitto version" in (broker / "mosquitto.log").read_text()
    roles = json.loads((broker / "credentials.json").read_text())
    assert {"agent", "kiosk", "teller", "manager", "rm", "display", "hq"} <= set(roles)
    # The referral loop ran: staff signed in, the VIP was referred and followed up, a teller referred too.
    assert "王理财 accepts" in run.stdout and "counter 3 refers" in run.stdout and ": ok, to the RM pool" in run.stdout
    follow_ups = list(out.glob("followups-*.csv"))
    assert follow_ups and "王先生" in follow_ups[0].read_text(encoding="utf-8-sig")
    assert not (out / "staff.csv").exists(), "the demo roster's PINs are not left in a file"
    # The customer's voice: a low rating became a complaint, resolved; the day's report was written.
    assert "the customer taps 不满意" in run.stdout and "acknowledges and resolves it: resolved" in run.stdout
    assert {"agent", "rater"} <= set(roles) and list(out.glob("report-*.html"))
    # The wait the customers were told came from the model learned from the branch's past.
    assert "learned into its wait model: learned-hgb trained" in run.stdout
    assert "wait estimate: learned-hgb trained" in (out / "agent.log").read_text(encoding="utf-8")

    alerts = json.loads((out / "manager-saw.json").read_text(encoding="utf-8"))
    assert any("王先生" in json.dumps(event, ensure_ascii=False) for event in alerts)
    # Head office saw the branch over its bridge; a ticket's link opened on a phone.
    assert "tickets carry a link, e.g. http://127.0.0.1:" in run.stdout
    assert {p.name for p in (out / "head-office").glob("*.png")} == {
        "network.png", "branch.png", "report.png", "fleet.png", "phone-ticket.png",
        "phone-booking.png", "phone-booking-checked-in.png", "phone-booking-vip.png", "phone-booking-pass.png",
    }
    logs = ("serve.log", "demo-1.log", "demo-sync.log")
    assert "Traceback" not in "".join((out / "head-office" / name).read_text() for name in logs)
    # Bookings made at head office reached the branch and were checked in at the kiosk.
    assert "the branch holds them: code " in run.stdout
    screenshots = sorted((out / "kiosk").glob("*.png"))
    assert len(screenshots) == 19, [p.name for p in screenshots]
    assert {"16-appointment-ticket-zh.png", "17-appointment-vip-zh.png", "18-too-early-zh.png"} <= {p.name for p in screenshots}
    assert list((out / "kiosk" / "printed").glob("*.png")), "the virtual printer printed no ticket"
