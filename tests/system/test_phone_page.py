"""The customer's ticket on their phone, end to end: a real branch (agent and Mosquitto) bridged
to head office's broker, an ingester into PostgreSQL, `head-office serve`, and the link the
branch signed for the ticket opened in Chromium at a small phone's size. The teller's call
turns the page to "please go to counter 3" within 2 s; when the branch's link to head office
goes down, the page says it cannot see the branch."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.branch_rig import Branch
from tests.bus_helpers import RawClient
from tests.pages import PHONE, PageErrors
from tools.hq_rig import HeadOfficeBroker, Ingesters, WebServer, count, wait_for
from tools.private_broker import free_port

BRANCH = "sh-lujiazui-01"


@pytest.fixture
def lobby_and_head_office(database, tmp_path) -> Iterator[tuple[Branch, WebServer]]:
    hq = HeadOfficeBroker((BRANCH,))
    hq.start()
    web_port = free_port()
    config = hq.write_ingest_config(tmp_path, database, web_port)
    ingesters = Ingesters(config, tmp_path)
    ingesters.start("i1")
    web = WebServer(config, web_port, tmp_path)
    branch = None
    try:
        web.start()
        branch = Branch(BRANCH, tmp_path / BRANCH, hq, edits={
            'public_url = ""': f'public_url = "{web.url}"',
            "heartbeat_s = 10": "heartbeat_s = 1",  # so a silent branch shows within seconds
        })
        wait_for(lambda: count(database, "SELECT count(*) FROM branch_state WHERE payload ? 'ticket_link_key'") == 1, 30,
                 "the branch's ticket key at head office")
        yield branch, web
        assert "Traceback" not in ingesters.log("i1") + web.log()
    finally:
        if branch is not None:
            branch.close()
        web.stop()
        ingesters.stop_all()
        hq.stop()


def test_the_phone_follows_the_ticket_until_the_teller_calls_it(browser, lobby_and_head_office, artifacts_root):
    branch, web = lobby_and_head_office
    shots = artifacts_root / "head-office"
    shots.mkdir(parents=True, exist_ok=True)
    first = branch.ticket_answer()
    mine = branch.ticket_answer()
    assert mine["link"].startswith(f"{web.url}/t/") and first["link"] != mine["link"]

    # The customer allowed notifications; what the page asks of the phone is recorded.
    phone_context = browser.new_context(viewport=PHONE, locale="zh-CN", permissions=["notifications"])
    phone_context.add_init_script("""
        window.told = [];
        const Real = window.Notification;
        window.Notification = class extends Real { constructor(title, options) { super(title, options); window.told.push(title); } };
        window.Notification.requestPermission = Real.requestPermission.bind(Real);
        Object.defineProperty(window.Notification, "permission", { get: () => Real.permission });
        navigator.vibrate = (pattern) => { window.told.push("vibrate"); return true; };
    """)
    phone = phone_context.new_page()
    errors = PageErrors(phone)
    phone.goto(mine["link"])
    expect(phone.locator("#label")).to_have_text(mine["ticket"])
    expect(phone.locator("#headline")).to_have_text("前面还有 1 位", timeout=10_000)
    expect(phone.locator("#service")).to_have_text("个人现金")
    phone.screenshot(path=str(shots / "phone-live-waiting.png"), full_page=True)

    teller = RawClient(branch.broker.config, branch.broker.credentials["teller"])

    def teller_does(op: str, **fields) -> dict:
        transaction = uuid.uuid4().hex
        teller.publish(f"request/{op}", {"transaction": transaction, **fields})
        return teller.response(op, transaction)

    try:
        assert teller_does("counter_open", counter="3")["status"] == "ok"
        assert teller_does("call_next", counter="3")["data"]["ticket"] == first["ticket"]
        expect(phone.locator("#headline")).to_have_text("下一位就是您，请留意叫号", timeout=5_000)
        assert teller_does("complete", counter="3")["status"] == "ok"
        called = time.monotonic()
        assert teller_does("call_next", counter="3")["data"]["ticket"] == mine["ticket"]
        expect(phone.locator("#headline")).to_have_text("请到3号窗口", timeout=2_000)
        took = time.monotonic() - called
        expect(phone.locator("#ticket")).to_have_attribute("data-state", "called")
        assert phone.evaluate("window.told") == ["vibrate", f"{mine['ticket']} · 请到3号窗口"]
        phone.screenshot(path=str(shots / "phone-live-called.png"), full_page=True)
    finally:
        teller.close()
    assert took < 2.0, f"the phone showed the call after {took:.2f} s"

    # The branch's broker dies: its bridge's will tells head office the link is down.
    assert branch.broker.process is not None
    branch.broker.process.kill()
    expect(phone.locator("#unseen")).to_be_visible(timeout=10_000)
    expect(phone.locator("#headline")).to_have_text("请到3号窗口")  # the last known, kept
    phone.screenshot(path=str(shots / "phone-branch-unseen.png"), full_page=True)
    assert errors.errors == []
