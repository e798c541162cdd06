"""预约 from end to end, every part real: a customer books on head office's page in Chromium,
`head-office sync` sends the booking over the real bridge to the branch, the virtual scanner
reads the pass at the real kiosk (Kivy, offscreen, in a child process: this file run as a
script is that child), the teller's next call picks the appointment over an earlier walk-in,
the RM the VIP booked with gets the check-in on their workbench, and head office learns it.

Then the outage: the link is cut, check-in still works with the bookings the branch holds, a
booking made meanwhile is refused at the kiosk with its sentence, and once the link is back
it arrives and can be used, once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from playwright.sync_api import expect

from lobby.config import load_config
from tests.branch_rig import Branch
from tests.bus_helpers import RawClient
from tests.conftest import REPO
from tests.pages import PHONE, PageErrors, open_page, sign_in, staff_sign_in
from tests.staff_helpers import PINS, roster_csv
from tools.hq_rig import HeadOfficeBroker, Ingesters, WebServer, branches_behind, count, wait_for
from tools.private_broker import free_port

BRANCH = "sh-lujiazui-01"
SHANGHAI = ZoneInfo("Asia/Shanghai")
APP_KEY = "bank-app-key-for-the-test"
# Five-minute slots all day, so that the slot under way can be booked and is due at once.
PLAN = (
    "branch_id,service,name_zh,name_en,weekdays,opens,closes,slot_minutes,per_slot,counters,service_minutes\n"
    f"{BRANCH},cash,个人现金,Cash,1234567,00:00,23:59,5,4,6,2\n"
)


def head_office_cli(*args: str, config: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "head_office.cli", *args, "--config", str(config)], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def read_qr(picture: Path) -> str:
    """The text of the QR code in `picture`, as a 2D scanner reads it (zbarimg, from zbar-tools)."""
    done = subprocess.run(["zbarimg", "--quiet", "--raw", str(picture)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"no QR code could be read in {picture}: {done.stderr}"
    return done.stdout.strip()


def wait_out_the_last_slot_of_the_day() -> None:
    """The plan's last slot starts at 23:50 Shanghai time: from 23:54 the test waits for tomorrow's first."""
    now = datetime.now(SHANGHAI)
    if (now.hour, now.minute) >= (23, 54):
        time.sleep((60 - now.minute) * 60 - now.second + 5)


class Lobby:
    """Head office and one bridged branch, with the branch's staff, as a bank would run them."""

    def __init__(self, folder: Path, database: str):
        wait_out_the_last_slot_of_the_day()
        self.folder, self.database = folder, database
        self.hq = HeadOfficeBroker((BRANCH,))
        self.hq.start()
        self.web_port = free_port()
        (folder / "app.key").write_text(APP_KEY)
        # The page tells customers what the branch's [appointments] says (edited below).
        self.config = self.hq.write_ingest_config(
            folder, database, self.web_port, bookings=f'check_in_late_min = 60\napp_key_file = "{folder / "app.key"}"\n'
        )
        self.processes = Ingesters(self.config, folder)
        self.web = WebServer(self.config, self.web_port, folder)
        self.branch: Branch | None = None
        try:
            self.processes.start("i1")
            self.processes.start("s1", command="sync")
            wait_for(lambda: count(database, "SELECT COUNT(*) FROM schema_version") == 1, 30, "head office's schema")
            (folder / "branches.csv").write_text(f"branch_id,name,region\n{BRANCH},陆家嘴支行,East\n", encoding="utf-8")
            head_office_cli("branches", "import", str(folder / "branches.csv"), config=self.config)
            (folder / "plan.csv").write_text(PLAN, encoding="utf-8")
            assert "1 booking plans imported" in head_office_cli("bookings", "plan", str(folder / "plan.csv"), config=self.config)
            self.web.start()
            self.branch = Branch(BRANCH, folder / "branch", self.hq, edits={"late_min = 10": "late_min = 60"})
            roster = roster_csv(folder)
            done = subprocess.run([sys.executable, "-m", "edge_agent.cli", "staff", "import", str(roster), "--config", str(self.branch.config_path)],
                                  cwd=REPO, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            credentials = self.branch.broker.credentials
            self.teller = RawClient(self.branch.broker.config, credentials["teller"])
            self.rm = RawClient(self.branch.broker.config, credentials["rm"])
            self.rm.subscribe("events/referral")
        except BaseException:
            self.close()
            raise

    def ask(self, client: RawClient, op: str, fields: dict, timeout: float = 15) -> dict:
        transaction = uuid.uuid4().hex
        client.publish(f"request/{op}", {"transaction": transaction, **fields})
        return client.response(op, transaction, timeout=timeout)

    def book_by_app(self, slot_start: str, phone: str, **more) -> dict:
        body = json.dumps({"branch": BRANCH, "service": "cash", "slot_start": slot_start, "phone": phone, "consent": True, **more}).encode()
        request = urllib.request.Request(f"{self.web.url}/api/v1/bookings", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "X-App-Key": APP_KEY})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def branch_holds_everything(self, timeout: float = 30) -> None:
        wait_for(lambda: branches_behind(self.database) == 0, timeout, "the branch to hold every booking head office has")

    def state_at_head_office(self, code: str) -> str | None:
        with psycopg.connect(self.database, autocommit=True) as conn:
            row = conn.execute("SELECT state FROM bookings WHERE code = %s", (code,)).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        for client in ("teller", "rm"):
            if hasattr(self, client):
                getattr(self, client).close()
        if self.branch is not None:
            self.branch.close()
        self.web.stop()
        self.processes.stop_all()
        self.hq.stop()

    def logs(self) -> str:
        return self.processes.log("i1") + self.processes.log("s1") + self.web.log()


@pytest.fixture
def lobby(database, tmp_path) -> Iterator[Lobby]:
    running = Lobby(tmp_path, database)
    yield running
    running.close()


def run_kiosk(lobby: Lobby, links: list[str], out: Path) -> list[dict]:
    """The real kiosk in a child process; each link shown at its scanner in turn. What each check-in gave."""
    report = out / "kiosk-report.json"
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_WINDOW": "sdl2", "PYTHONUNBUFFERED": "1"}
    env.pop("DISPLAY", None)
    assert lobby.branch is not None
    done = subprocess.run(
        [sys.executable, "-m", "tests.system.test_appointments_end_to_end", str(lobby.branch.config_path), str(out), str(report), *links],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, f"the kiosk failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return json.loads(report.read_text())


@pytest.mark.timeout(600)
def test_booked_on_the_phone_checked_in_at_the_kiosk_called_at_its_slot(lobby, browser, artifacts_root):
    shots = artifacts_root / "appointments"
    shots.mkdir(parents=True, exist_ok=True)
    assert lobby.branch is not None
    # A walk-in takes a ticket first.
    walk_in = lobby.branch.ticket_answer("cash")

    # The customer books on the phone: branch, service, today's slot under way, number, consent.
    for lang in ("zh", "en"):
        context = browser.new_context(viewport=PHONE, locale="zh-CN" if lang == "zh" else "en-GB")
        page = context.new_page()
        errors = PageErrors(page)
        page.goto(f"{lobby.web.url}/book?lang={lang}")
        page.click("text=陆家嘴支行")
        page.click("text=个人现金" if lang == "zh" else "text=Cash")
        page.locator(".days a").first.click()
        page.screenshot(path=str(shots / f"booking-slots-{lang}.png"), full_page=True)
        # The slot under way: its customer is on time now (the branch's window here is an hour).
        now = datetime.now(SHANGHAI)
        current = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
        page.locator(f'.slot input[value="{current.isoformat()}"]').check()
        page.fill("input[name=phone]", "13812345678" if lang == "zh" else "13812340000")
        page.check("input[name=consent]")
        page.click("button[type=submit]")
        expect(page.locator("#code")).to_have_count(1)
        expect(page.locator(".qr svg")).to_have_count(1)
        page.screenshot(path=str(shots / f"booking-pass-{lang}.png"), full_page=True)
        assert errors.errors == []
        if lang == "zh":
            code = page.locator("#code").inner_text()
            # What a scanner reads off the phone: the QR code on the screen, decoded (zbar).
            page.locator(".qr svg").screenshot(path=str(shots / "booking-qr.png"))
            pass_link = read_qr(shots / "booking-qr.png")
            zh_page = page
        else:
            context.close()
    assert len(code) == 6 and pass_link == zh_page.url.split("?")[0]  # the QR holds the pass page's own address

    # A VIP books the same slot with their RM, through the bank's app.
    with psycopg.connect(lobby.database, autocommit=True) as conn:
        slot = conn.execute("SELECT slot_start FROM bookings WHERE code = %s", (code,)).fetchone()[0]
    vip = lobby.book_by_app(slot.isoformat(), "13900001111", tier="vip", rm="R201", customer_name="王先生")
    assert (vip["tier"], vip["rm"]) == ("vip", "R201")

    # head-office sync sends them over the bridge; the branch says it holds them.
    lobby.branch_holds_everything()

    # The RM's workbench, open before the VIP comes: the device signs in, then the person.
    branch_config = load_config(lobby.branch.config_path)
    workbench, workbench_errors = open_page(browser, branch_config, "rm", {"width": 1280, "height": 900})
    sign_in(workbench, lobby.branch.broker.credentials["rm"])
    staff_sign_in(workbench, "R201")

    # At the kiosk: each pass at the scanner.
    checked_in = run_kiosk(lobby, [pass_link, vip["link"]], shots)
    assert [c["appointment"]["code"] for c in checked_in] == [code, vip["code"]]
    assert all(c["appointment"]["on_time"] for c in checked_in) and checked_in[1]["appointment"]["rm_alerted"]
    assert checked_in[1]["tier"] == "vip"

    # The lobby manager's tablet will say why each was called.
    manager, manager_errors = open_page(browser, branch_config, "manager", {"width": 1280, "height": 900})
    sign_in(manager, lobby.branch.broker.credentials["manager"])
    staff_sign_in(manager, "M101")

    # The teller's next calls: the appointments (their slot has come), then the earlier walk-in.
    teller = lobby.teller
    session = lobby.ask(teller, "staff_sign_in", {"staff_id": "T301", "pin": PINS["T301"], "page": "teller", "counter": "1"})["data"]["session"]
    lobby.ask(teller, "counter_open", {"counter": "1", "session": session})
    teller.subscribe("events/called")
    called = []
    for _ in range(3):
        answer = lobby.ask(teller, "call_next", {"counter": "1", "session": session})
        called.append(answer["data"]["ticket"])
        lobby.ask(teller, "complete", {"counter": "1", "session": session})
    assert called == [checked_in[0]["ticket"], checked_in[1]["ticket"], walk_in["ticket"]]
    teller.wait_for(lambda m: len([p for t, p, _ in m if t == "events/called"]) == 3)
    assert [p["rule"] for p in teller.on("events/called")] == ["appointment", "appointment", "first_come"]
    calls = manager.locator("#calls li")
    expect(calls).to_have_count(3)
    expect(calls.nth(0)).to_contain_text("按到店顺序")  # the newest first: the walk-in
    expect(calls.nth(2)).to_contain_text(checked_in[0]["ticket"])
    expect(calls.nth(2)).to_contain_text("预约到时，优先叫号")
    manager.screenshot(path=str(shots / "manager-calls-why-zh.png"), full_page=True)
    assert manager_errors.errors == []
    manager.close()

    # The RM the VIP booked with has the check-in on their workbench.
    lobby.rm.wait_for(lambda m: any(p["referral"]["source"] == "appointment" for t, p, _ in m if t == "events/referral"))
    [referral] = [p["referral"] for p in lobby.rm.on("events/referral") if p["referral"]["source"] == "appointment"]
    assert (referral["to_rm"], referral["customer_name"], referral["ticket"]) == ("R201", "王先生", checked_in[1]["ticket"])
    card = workbench.locator("article.referral").filter(has_text="王先生")
    expect(card).to_contain_text("预约客户")
    expect(card).to_contain_text(checked_in[1]["ticket"])
    workbench.screenshot(path=str(shots / "rm-workbench-appointment-zh.png"), full_page=True)
    assert workbench_errors.errors == []
    workbench.close()

    # Head office learns the check-ins, and the customer's page says so.
    wait_for(lambda: lobby.state_at_head_office(code) == "checked_in", 30, "head office to learn the check-in")
    zh_page.reload()
    expect(zh_page.locator("#state")).to_contain_text("您已签到")
    zh_page.screenshot(path=str(shots / "booking-checked-in-zh.png"), full_page=True)
    zh_page.context.close()
    assert "Traceback" not in lobby.logs()
    # The customers' numbers are kept masked and never written to a log, the branch's included.
    written = lobby.logs() + lobby.branch.agent.log()
    assert "13812345678" not in written and "13900001111" not in written
    with psycopg.connect(lobby.database, autocommit=True) as conn:
        stored = conn.execute("SELECT string_agg(row_to_json(b)::text, ' ') FROM bookings b").fetchone()[0]
    assert "13812345678" not in stored and "138****5678" in stored


@pytest.mark.timeout(300)
def test_check_in_works_while_head_office_is_cut_off_and_a_booking_made_meanwhile_waits(lobby):
    assert lobby.branch is not None
    day = datetime.now(SHANGHAI).date().isoformat()
    slots = json.loads(urllib.request.urlopen(f"{lobby.web.url}/api/v1/slots?branch={BRANCH}&service=cash&day={day}", timeout=10).read())
    first = slots["slots"][0]["slot_start"]
    before = lobby.book_by_app(first, "13800000001")
    lobby.branch_holds_everything()

    lobby.hq.halt()  # the link to head office is down before the customers come
    during = lobby.book_by_app(first, "13800000002")  # head office still takes bookings; it cannot send them

    kiosk = lobby.branch.kiosk
    ok = lobby.ask(kiosk, "check_in", {"scanned": before["link"], "kiosk": "k1"})
    assert ok["status"] == "ok" and ok["data"]["appointment"]["code"] == before["code"]
    refused = lobby.ask(kiosk, "check_in", {"scanned": during["link"], "kiosk": "k1"})
    assert refused["code"] == "booking_not_yet_here" and "made after this branch last heard from head office" in refused["error"]

    lobby.hq.start()  # the link is back: the booking arrives, the check-in reaches head office
    lobby.branch_holds_everything(timeout=90)
    wait_for(lambda: lobby.state_at_head_office(before["code"]) == "checked_in", 60, "head office to learn the check-in made offline")
    now_ok = lobby.ask(kiosk, "check_in", {"scanned": during["link"], "kiosk": "k1"})
    assert now_ok["status"] == "ok"
    again = lobby.ask(kiosk, "check_in", {"scanned": during["link"], "kiosk": "k1"})
    assert again["code"] == "booking_used"
    wait_for(lambda: lobby.state_at_head_office(during["code"]) == "checked_in", 60, "head office to learn the second check-in")
    # Cancelling after check-in is refused, and changes nothing.
    request = urllib.request.Request(f"{lobby.web.url}/api/v1/bookings/{during['pass']}/cancel", method="POST")
    with pytest.raises(urllib.error.HTTPError) as cancel:
        urllib.request.urlopen(request, timeout=10)
    assert cancel.value.code == 409 and json.loads(cancel.value.read())["error"] == "already_used"
    assert "Traceback" not in lobby.logs()


# ---- the kiosk (this file run as a script, in its own process) ------------------------------------------------


def check_in_each(driver, scanner, links: list[str], out: Path, report: list[dict]) -> None:
    from tools.kiosk_journey.driver import JourneyError

    app = driver.app
    driver.wait_screen("home", timeout=30)
    for n, link in enumerate(links):
        driver.wait_screen("home")
        if n == 0:
            driver.tap_text(driver.text("appointment_entry") + "  ›")
            driver.wait_screen("appointment")
            driver.shot("kiosk-scan-zh")
        scanner.show(link)
        driver.wait_for(lambda: app.sm.current in ("ticket", "printer_failure", "check_in_refused") and not app.state.busy, "the check-in")
        if driver.screen() != "ticket":
            raise JourneyError(f"the pass {n + 1} gave the {driver.screen()} screen: {app.state.check_in_problem}")
        ticket = driver.ui(lambda: app.state.ticket)
        report.append(ticket.model_dump(mode="json"))
        driver.shot(f"kiosk-welcome-{n + 1}-zh")
        driver.tap_text(driver.text("done"))


def main(config_path: str, out_dir: str, report_path: str, *links: str) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from kiosk.app import prepare_kivy_environment
    from kiosk.devices.virtual_scanner import VirtualScanner
    from lobby.config import load_config
    from tools.kiosk_journey.driver import run_script

    scanner = VirtualScanner()
    config = scanner.fitted_to(load_config(config_path))
    prepare_kivy_environment(config.kiosk, fullscreen=False, offscreen=True)
    from kiosk.touchscreen import KioskApp

    report: list[dict] = []
    try:
        run_script(KioskApp(config, card_reader=False), lambda d: check_in_each(d, scanner, list(links), Path(out_dir), report), Path(out_dir))
    finally:
        scanner.close()
        Path(report_path).write_text(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
