"""Head office beside the demo branch: a private PostgreSQL (initdb in a folder under /tmp),
head office's Mosquitto with the branch's bridge user, one ingester and `head-office serve`.
The demo branch bridges to it and prints each ticket's link to the phone page; at the end the
network view, the drill-down, the report and a ticket's phone page are photographed."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tools.hq_rig import HeadOfficeBroker, Ingesters, WebServer, add_user, count, wait_for
from tools.private_broker import free_port
from tools.private_postgres import PrivatePostgres

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
REGION = "华东"


class DemoHeadOffice:
    def __init__(self, out: Path, branch_id: str, branch_name: str):
        self.out, self.branch_id, self.branch_name = out, branch_id, branch_name
        self.out.mkdir(parents=True, exist_ok=True)
        self.postgres = PrivatePostgres()
        self.broker = HeadOfficeBroker((branch_id,))
        self.password = secrets.token_urlsafe(12)  # the demo's staff users; printed once, kept nowhere
        self.web: WebServer | None = None
        self.ingesters: Ingesters | None = None

    def start(self) -> None:
        self.postgres.start()
        self.database = self.postgres.conninfo  # the cluster's own database (lobby_hq)
        self.broker.start()
        web_port = free_port()
        self.config = self.broker.write_ingest_config(self.out, self.database, web_port)
        self.ingesters = Ingesters(self.config, self.out)
        self.ingesters.start("demo-1")
        self.web = WebServer(self.config, web_port, self.out)
        self.web.start()
        registry = self.out / "branches.csv"
        registry.write_text(f"branch_id,name,region\n{self.branch_id},{self.branch_name},{REGION}\n", encoding="utf-8")
        subprocess.run([sys.executable, "-m", "head_office.cli", "branches", "import", str(registry), "--config", str(self.config)],
                       check=True, capture_output=True, cwd=REPO)
        add_user(self.config, "ops", self.password, "head_office")
        add_user(self.config, "east", self.password, "regional", REGION)

    @property
    def url(self) -> str:
        assert self.web is not None
        return self.web.url

    def bridge(self, password_file: Path) -> dict:
        """The branch's [bridge] settings for this head office."""
        password_file.write_text(self.broker.passwords[f"branch-{self.branch_id}"] + "\n", encoding="utf-8")
        return {"enabled": True, "address": "127.0.0.1", "port": self.broker.port, "username": f"branch-{self.branch_id}",
                "password_file": password_file, "tls": False}

    def wait_for_branch(self, timeout: float = 30) -> None:
        wait_for(lambda: count(self.database, "SELECT count(*) FROM branch_state WHERE payload ? 'ticket_link_key'") == 1, timeout,
                 "the demo branch at head office")

    def photograph(self, links: list[str]) -> list[Path]:
        """The pages as head office's staff and a customer's phone see them now."""
        from playwright.sync_api import sync_playwright

        waiting = next((link for link in reversed(links) if self._state(link) == "waiting"), links[-1] if links else None)
        shots = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
            try:
                desk = browser.new_page(viewport={"width": 1400, "height": 900})
                desk.goto(f"{self.url}/login")
                desk.fill("input[name=name]", "ops")
                desk.fill("input[name=password]", self.password)
                desk.click("button[type=submit]")
                desk.wait_for_url(f"{self.url}/network")
                for name, path in (("network", "/network"), ("branch", f"/branch/{self.branch_id}"), ("report", "/report"), ("fleet", "/fleet")):
                    desk.goto(f"{self.url}{path}")
                    shots.append(self._shoot(desk, name))
                if waiting:
                    phone = browser.new_page(viewport={"width": 360, "height": 740}, locale="zh-CN")
                    phone.goto(waiting)
                    phone.wait_for_function("document.getElementById('headline').textContent.length > 1", timeout=10_000)
                    shots.append(self._shoot(phone, "phone-ticket"))
            finally:
                browser.close()
        return shots

    def _state(self, link: str) -> str | None:
        try:
            with urllib.request.urlopen(f"{link}/status", timeout=5) as answer:
                return json.loads(answer.read()).get("state")
        except OSError:
            return None

    def _shoot(self, page, name: str) -> Path:
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def stop(self) -> None:
        if self.web is not None:
            self.web.stop()
        if self.ingesters is not None:
            self.ingesters.stop_all()
        time.sleep(0.2)
        self.broker.stop()
        shutil.copy(self.postgres.log_path, self.out / "postgres.log")
        self.postgres.destroy()
