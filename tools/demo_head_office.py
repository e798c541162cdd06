"""Head office beside the demo branch: a private PostgreSQL (initdb in a folder under /tmp),
head office's Mosquitto with the branch's bridge user, one ingester, `head-office sync` and
`head-office serve`. The demo branch bridges to it and prints each ticket's link to the phone
page; customers book visits (the bank's app's API) that sync sends to the branch for the
kiosk journey to check in; at the end the network view, the drill-down, the report, a
ticket's phone page and the booking pages are photographed."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tools.hq_rig import HeadOfficeBroker, Ingesters, WebServer, add_user, branches_behind, count, wait_for
from tools.kiosk_journey.journey import Visits
from tools.private_broker import free_port
from tools.private_postgres import PrivatePostgres

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
REGION = "华东"
# The demo takes bookings all day, every day, so that a demo at any hour has a slot.
PLAN = "branch_id,service,name_zh,name_en,weekdays,opens,closes,slot_minutes,per_slot,counters,service_minutes\n{branch},{service},{zh},{en},1234567,00:00,23:59,15,4,4,4\n"
APP_KEY = "demo-bank-app-key"


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
        (self.out / "app.key").write_text(APP_KEY)
        self.config = self.broker.write_ingest_config(self.out, self.database, web_port, bookings=f'app_key_file = "{self.out / "app.key"}"\n')
        self.ingesters = Ingesters(self.config, self.out)
        self.ingesters.start("demo-1")
        self.ingesters.start("demo-sync", command="sync")
        self.web = WebServer(self.config, web_port, self.out)
        self.web.start()
        registry = self.out / "branches.csv"
        registry.write_text(f"branch_id,name,region\n{self.branch_id},{self.branch_name},{REGION}\n", encoding="utf-8")
        subprocess.run([sys.executable, "-m", "head_office.cli", "branches", "import", str(registry), "--config", str(self.config)],
                       check=True, capture_output=True, cwd=REPO)
        plan = self.out / "booking-plan.csv"
        plan.write_text(PLAN.format(branch=self.branch_id, service="cash", zh="个人现金", en="Cash"), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "head_office.cli", "bookings", "plan", str(plan), "--config", str(self.config)],
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

    def book(self, slot_start: datetime, phone: str, **more) -> dict:
        """A booking through the bank app's API (with its key, so a tier and an RM may be booked)."""
        body = json.dumps({"branch": self.branch_id, "service": "cash", "slot_start": slot_start.isoformat(), "phone": phone,
                           "consent": True, **more}).encode()
        request = urllib.request.Request(f"{self.url}/api/v1/bookings", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "X-App-Key": APP_KEY})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def book_visits(self, zone: ZoneInfo) -> Visits:
        """Three customers book: the slot under way, a VIP with their RM, one two hours ahead."""
        now = datetime.now(zone)
        current = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        if now >= current + timedelta(minutes=8):  # too near the end of its check-in window: the next slot
            current += timedelta(minutes=15)
        typed = self.book(current, "13800138000")
        vip = self.book(current, "13900139000", tier="vip", rm="R201", customer_name="王先生")
        early = self.book(current + timedelta(hours=2), "13700137000")
        self.pass_links = [typed["link"], vip["link"], early["link"]]
        return Visits(typed["code"], vip["link"], early["link"])

    def wait_for_sync(self, timeout: float = 30) -> None:
        wait_for(lambda: branches_behind(self.database) == 0, timeout, "the demo branch to hold head office's bookings")

    def photograph(self, links: list[str]) -> list[Path]:
        """The pages as head office's staff and a customer's phone see them now."""
        from playwright.sync_api import expect, sync_playwright

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
                    # Not wait_for_function: the page's CSP forbids the eval it polls with, so a slow
                    # first poll failed the demo on a loaded machine. A locator needs no eval.
                    expect(phone.locator("#headline")).not_to_have_text("…", timeout=10_000)
                    shots.append(self._shoot(phone, "phone-ticket"))
                phone = browser.new_page(viewport={"width": 360, "height": 740}, locale="zh-CN")
                phone.goto(f"{self.url}/book?branch={self.branch_id}&service=cash&day={datetime.now().date().isoformat()}")
                shots.append(self._shoot(phone, "phone-booking"))
                for name, link in zip(("phone-booking-checked-in", "phone-booking-vip", "phone-booking-pass"), getattr(self, "pass_links", []), strict=False):
                    phone.goto(link)
                    shots.append(self._shoot(phone, name))
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
