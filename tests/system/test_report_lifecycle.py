"""The branch head's report from a simulated day, the daily close and the online backup."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import threading
from datetime import date

import pytest

from edge_agent.reports.report import make_report
from edge_agent.store.db import Store
from edge_agent.store.retention import close_day
from tools.branch_sim.branch_day import simulate_day

DAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    from lobby.config import load_config
    from tests.conftest import EXAMPLE_CONFIG

    home = tmp_path_factory.mktemp("day")
    toml = home / "branch.toml"
    toml.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("/var/lib/lobby", str(home)), encoding="utf-8")
    config = load_config(toml)
    simulate_day(config, DAY, seed=7).close()
    return config, toml


def test_report_counts_match_the_store(simulated, tmp_path, artifacts_root):
    config, _ = simulated
    store = Store(config.store.path)
    html_path, csv_path, figures = make_report(config, store, DAY, DAY, tmp_path)
    count = lambda sql: store.conn.execute(sql).fetchone()[0]  # noqa: E731
    assert figures.tickets == count("SELECT COUNT(*) FROM tickets") > 200
    assert figures.served == count("SELECT COUNT(*) FROM tickets WHERE state = 'served'")
    assert figures.no_shows == count("SELECT COUNT(*) FROM tickets WHERE state = 'no_show'") > 0
    assert figures.alerts == count("SELECT COUNT(*) FROM alerts") > 0
    assert figures.alerts_answered == count("SELECT COUNT(*) FROM alerts WHERE acked_at IS NOT NULL")
    assert sum(figures.outcomes.values()) == figures.alerts_answered
    assert sum(f.tickets for f in figures.per_service.values()) == figures.tickets
    assert sum(sum(c.values()) for c in figures.per_hour.values()) == figures.tickets
    store.close()
    page = html_path.read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and not re.search(r'src="https?://', page)  # self-contained
    assert "浦东陆家嘴支行" in page and "Daily report" in page
    rows = list(csv.DictReader(csv_path.read_text(encoding="utf-8-sig").splitlines()))
    branch_row = next(r for r in rows if r["scope"] == "branch")
    assert int(branch_row["tickets"]) == figures.tickets
    # The wait we promised: every ticket told a wait and then called, checked against what happened.
    store = Store(config.store.path)
    told = store.conn.execute("SELECT COUNT(*) FROM wait_situations WHERE eta_s IS NOT NULL AND waited_s IS NOT NULL").fetchone()[0]
    inside = store.conn.execute(
        "SELECT COUNT(*) FROM wait_situations WHERE eta_s IS NOT NULL AND waited_s BETWEEN eta_low_s AND eta_high_s"
    ).fetchone()[0]
    store.close()
    promise = next(r for r in rows if r["scope"] == "wait_promise" and r["id"] == "all")
    assert (int(promise["tickets"]), int(promise["served"])) == (told, inside) and told > 200
    assert "The wait we promised" in page and "queue_length" in page
    (artifacts_root / "report").mkdir(exist_ok=True)
    (artifacts_root / "report" / "report.png").write_bytes((tmp_path / "report-2026-11-23.png").read_bytes())


def test_report_command_and_a_range(simulated, tmp_path):
    _, toml = simulated
    result = subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "report", "--from", "2026-11-22", "--to", "2026-11-23", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "report-2026-11-22-to-2026-11-23.html").exists()
    backwards = subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "report", "--from", "2026-11-23", "--to", "2026-11-01"],
        capture_output=True, text=True, timeout=60,
    )
    assert backwards.returncode == 2 and "before" in backwards.stderr


def test_daily_close_erases_identities_and_keeps_statistics(branch_config):
    from edge_agent.branch import Branch
    from lobby.contract import CardIdentity

    branch = Branch.open(branch_config)
    branch.issue_ticket("cash", card=CardIdentity(token="ab" * 32, masked_pan="411111******1111"))
    branch.close()
    store = Store(branch_config.store.path)
    assert close_day(store, DAY, retention_days=30).erased_tickets == 0  # still within retention
    report = close_day(store, date(2027, 1, 31), retention_days=30)
    assert report.erased_tickets == 1
    row = store.conn.execute("SELECT customer_token, masked_pan, service, state FROM tickets").fetchone()
    assert (row["customer_token"], row["masked_pan"], row["service"]) == (None, None, "cash")
    store.close()


def test_backup_while_the_branch_keeps_writing(branch_toml, branch_config, tmp_path):
    from edge_agent.branch import Branch

    branch = Branch.open(branch_config)
    stop = threading.Event()

    def keep_issuing():
        while not stop.is_set():
            branch.issue_ticket("noncash")

    writer = threading.Thread(target=keep_issuing)
    writer.start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "edge_agent.cli", "--config", str(branch_toml), "backup", "--out", str(tmp_path / "copy.db")],
            capture_output=True, text=True, timeout=120,
        )
    finally:
        stop.set()
        writer.join()
        branch.close()
    assert result.returncode == 0 and "integrity checked" in result.stdout, result.stderr
    copy = Store(tmp_path / "copy.db")
    assert copy.integrity_ok()
    numbers = [r[0] for r in copy.conn.execute("SELECT number FROM tickets ORDER BY number")]
    assert numbers == list(range(1, len(numbers) + 1))  # a consistent moment: no gap, no half-written ticket
    copy.close()
