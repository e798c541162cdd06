"""The three pages in real headless Chromium (Debian's, driven by Playwright) against the real
agent, which serves them, and a real Mosquitto with the generated users and ACLs."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid

from playwright.sync_api import expect

from lobby.config import load_config
from tests.bus_helpers import AgentProcess, RawClient, import_customer, write_config_for
from tests.pages import COUNTER_SCREEN, TABLET, TABLET_LANDSCAPE, open_display, open_page, sign_in, text, ticket_as_kiosk

PAN = "6222021234567890128"
















def test_a_vip_swipe_appears_on_the_tablet_and_the_answer_is_recorded(browser, broker, lobby, tmp_path, branch_config, shots):
    config, toml, _ = lobby
    card = import_customer(toml, tmp_path, branch_config, PAN, "王先生,vip,李经理")
    page, errors = open_page(browser, config, "manager", TABLET)
    shots(page, "manager-sign-in-zh")
    sign_in(page, broker.credentials["manager"])
    page.wait_for_selector("#conn[data-state=connected]")
    assert ticket_as_kiosk(broker, {"service": "cash"})["status"] == "ok"
    answer = ticket_as_kiosk(broker, {"service": "wealth", "card": card})
    assert answer["data"]["customer"]["manager_alerted"] is True

    page.wait_for_selector("article.alert", timeout=3000)
    assert text(page, "article.alert .alert-name") == "王先生"
    assert text(page, "article.alert .pan") == "622202*********0128"
    assert text(page, "article.alert .rm") == "李经理"
    assert text(page, "article.alert .ticket") == "V001"
    assert text(page, "article.alert .tier") == "中高端客户"
    assert text(page, "article.alert .service") == "理财贵宾"
    assert text(page, "#alert-count") == "1"
    html = page.content()
    assert PAN not in html and card["token"] not in html
    expect(page.locator("#services [data-service=wealth] .svc-count b")).to_have_text("1")
    shots(page, "manager-alert-zh")
    page.click("#lang button[data-lang=en]")
    assert text(page, "article.alert .tier") == "Premier" and text(page, "article.alert [data-outcome=referred]") == "Referred to RM"
    shots(page, "manager-alert-en")
    page.set_viewport_size(TABLET_LANDSCAPE)
    shots(page, "manager-alert-landscape-en")

    # A branch without a staff roster: the tablet answers as its account (referrals need a
    # signed-in person: tests/system/test_referral_pages.py).
    page.click("article.alert [data-outcome=greeted]")
    page.wait_for_selector("article.alert .result-ok")
    assert "Recorded: Greeted" in text(page, "article.alert .result")
    page.wait_for_selector("#handled-list li")  # the card moves to the answered list
    manager_user = broker.credentials["manager"]["username"]
    assert f"Greeted · {manager_user}" in text(page, "#handled-list li")
    assert text(page, "#alert-count") == "0"
    row = sqlite3.connect(config.store.path).execute("SELECT acked_by, outcome FROM alerts").fetchone()
    assert row == (manager_user, "greeted")
    shots(page, "manager-answered-landscape-en")
    page.click("#lang button[data-lang=zh]")
    shots(page, "manager-answered-landscape-zh")
    assert errors.errors == []


def test_the_manager_page_refuses_a_wrong_password_in_words(browser, broker, lobby, shots):
    config, _, _ = lobby
    page, errors = open_page(browser, config, "manager", TABLET)
    sign_in(page, {"username": broker.credentials["manager"]["username"], "password": "not-the-password"})
    page.wait_for_selector("#conn[data-state=refused]", timeout=10000)
    assert "用户名或密码错误" in text(page, "#login-error")
    assert page.is_hidden("#main")
    page.click("#lang button[data-lang=en]")
    assert text(page, "#conn") == "Sign-in refused"
    assert "the user name or password is wrong" in text(page, "#login-error")
    shots(page, "manager-refused-en")
    sign_in(page, broker.credentials["manager"])  # the right password still works after a refusal
    page.wait_for_selector("#conn[data-state=connected]", timeout=10000)
    assert page.is_visible("#main") and text(page, "#login-error") == ""
    assert errors.errors == []


def test_alerts_missed_while_the_tablet_was_away_arrive_marked_with_their_age(browser, broker, lobby, tmp_path, branch_config, shots):
    config, toml, _ = lobby
    card = import_customer(toml, tmp_path, branch_config, PAN, "王先生,vip,李经理")
    tablet = browser.new_context(viewport=TABLET_LANDSCAPE)  # one tablet: its storage (device id) survives
    page, _ = open_page(browser, config, "manager", None, context=tablet, suffix="?stale_s=2&escalate_s=3")
    sign_in(page, broker.credentials["manager"])
    page.wait_for_selector("#conn[data-state=connected]")
    page.close()  # out of Wi-Fi: the broker keeps its session and queues the alert
    ticket_as_kiosk(broker, {"service": "wealth", "card": card})
    time.sleep(3.5)
    page, errors = open_page(browser, config, "manager", None, context=tablet)
    sign_in(page, broker.credentials["manager"])
    page.wait_for_selector("article.alert.stale", timeout=10000)
    assert text(page, "article.alert .flag-stale").startswith("离线期间的提醒 · ")
    # Unanswered for longer than escalate_s: it turns red and says so.
    page.wait_for_selector("article.alert.escalated .flag-bad", timeout=5000)
    shots(page, "manager-missed-and-escalated-zh")
    # A colleague answers it on another tablet: it leaves this one too, saying who did.
    colleague = RawClient(broker.config, broker.credentials["manager"])
    alert_id = page.get_attribute("article.alert", "data-alert-id")
    colleague.publish("request/alert_ack", {"transaction": (t := uuid.uuid4().hex), "alert_id": alert_id, "by": "李娜", "outcome": "greeted"})
    assert colleague.response("alert_ack", t)["status"] == "ok"
    colleague.close()
    expect(page.locator("article.alert .result-ok")).to_have_text("李娜 已处理：已接待")
    expect(page.locator("#handled-list li")).to_contain_text("已接待 · 李娜")
    expect(page.locator("article.alert")).to_have_count(0)
    tablet.close()
    assert errors.errors == []


def test_the_teller_calls_the_next_ticket_and_the_hall_display_shows_it(browser, broker, lobby, shots):
    config, _, _ = lobby
    for service in ("cash", "cash", "noncash"):
        assert ticket_as_kiosk(broker, {"service": service})["status"] == "ok"
    display, display_errors = open_display(browser, config, broker.credentials["display"])
    shots(display, "display-welcome-zh")
    teller, errors = open_page(browser, config, "teller", COUNTER_SCREEN)
    sign_in(teller, broker.credentials["teller"])
    teller.wait_for_selector("#conn[data-state=connected]")
    teller.select_option("#counter", "3")

    teller.keyboard.press("n")  # before opening the counter: the agent's refusal, in words
    teller.wait_for_selector("#message.message-error")
    assert text(teller, "#message") == "窗口未开启：请先开启窗口再叫号"
    teller.keyboard.press("o")
    teller.wait_for_selector("#counter-state.is-open")
    teller.keyboard.press("n")
    expect(teller.locator("#number")).to_have_text("A001")
    assert "已呼叫 A001" in text(teller, "#message")
    assert "大众客户" in text(teller, "#details") and "个人现金" in text(teller, "#details")

    display.wait_for_selector("body[data-last-call='A001@3']", timeout=3000)
    assert text(display, "#now-ticket") == "A001" and text(display, "#now-counter-1") == "3号窗口"
    assert "flash" in display.get_attribute("#now", "class")
    # Each tile says who is next and their own wait, re-estimated as the queue moves.
    expect(display.locator(".tile[data-service=cash] .t-next")).to_have_text(re.compile(r"^下一位 A002 · 约 \d+ 分钟$"))
    expect(display.locator(".tile[data-service=corporate] .t-next")).to_have_text("")
    shots(teller, "teller-called-zh")
    shots(display, "display-called-zh")
    teller.click("#lang button[data-lang=en]")
    assert text(teller, "#message") == "Called A001 to Counter 3"
    shots(teller, "teller-called-en")
    display.keyboard.press("l")  # the TV's language: English first
    assert text(display, "#now-counter-1") == "Counter 3"
    shots(display, "display-called-en")
    display.keyboard.press("l")

    teller.keyboard.press("r")  # recall: the display flashes again and says so
    display.wait_for_selector("#now-recall:not(.hidden)", timeout=3000)
    teller.keyboard.press("c")
    expect(teller.locator("#message")).to_have_text("A001 completed")
    teller.keyboard.press("n")
    display.wait_for_selector("body[data-last-call='A002@3']", timeout=3000)
    assert text(display, "#recent li .r-ticket") == "A001"
    teller.keyboard.press("t")  # transfer with no service chosen: asked for, nothing sent
    assert "Choose the service" in text(teller, "#message")
    teller.select_option("#to-service", "noncash")
    teller.keyboard.press("t")
    expect(teller.locator("#message")).to_have_text(re.compile(r"^A002 moved to Accounts & cards, \d+ ahead$"))
    teller.keyboard.press("n")  # the weighted counter may call the transferred A002 again: it waited longest
    expect(teller.locator("#message")).to_have_text(re.compile(r"^Called [AB]00\d to Counter 3$"))
    called = text(teller, "#number")
    teller.keyboard.press("x")
    expect(teller.locator("#message")).to_have_text(f"{called} marked as no-show")
    shots(teller, "teller-no-show-en")
    assert errors.errors == [] and display_errors.errors == []




def test_the_hall_display_recovers_by_itself_after_the_broker_restarts(browser, broker, lobby, shots):
    config, _, _ = lobby
    ticket_as_kiosk(broker, {"service": "cash"})
    ticket_as_kiosk(broker, {"service": "cash"})
    display, errors = open_display(browser, config, broker.credentials["display"])
    teller = RawClient(broker.config, broker.credentials["teller"])
    teller.publish("request/counter_open", {"transaction": (t := uuid.uuid4().hex), "counter": "1"})
    assert teller.response("counter_open", t)["status"] == "ok"
    teller.publish("request/call_next", {"transaction": (t := uuid.uuid4().hex), "counter": "1"})
    assert teller.response("call_next", t)["status"] == "ok"
    display.wait_for_selector("body[data-last-call='A001@1']", timeout=3000)

    broker.stop()
    display.wait_for_selector("body[data-connection=reconnecting]", timeout=20000)
    assert display.is_visible("#notice-link")
    broker.start()
    display.wait_for_selector("body[data-connection=connected]", timeout=30000)
    assert display.is_hidden("#notice-link")
    # The agent reconnects too; the next call reaches the display without anyone touching it.
    assert teller.wait_connected(30)
    deadline = time.monotonic() + 30
    while True:
        teller.publish("request/complete", {"transaction": (t := uuid.uuid4().hex), "counter": "1"})
        try:
            if teller.response("complete", t, timeout=3)["status"] == "ok":
                break
        except AssertionError:
            assert time.monotonic() < deadline, "the agent did not come back after the broker restarted"
    teller.publish("request/call_next", {"transaction": (t := uuid.uuid4().hex), "counter": "1"})
    assert teller.response("call_next", t)["data"]["ticket"] == "A002"
    display.wait_for_selector("body[data-last-call='A002@1']", timeout=5000)
    assert text(display, "#recent li .r-ticket") == "A001"
    shots(display, "display-after-broker-restart-zh")
    teller.close()
    assert errors.errors == []


def test_the_tablet_shows_a_printer_out_of_paper_and_the_agent_going_away(browser, broker, lobby, shots):
    config, toml, agent = lobby
    page, errors = open_page(browser, config, "manager", TABLET)
    sign_in(page, broker.credentials["manager"])
    page.wait_for_selector("#conn[data-state=connected]")
    expect(page.locator("#banners .banner")).to_have_count(0)  # the printer reports ok once the agent reaches it
    technician = subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "devices", "virtual", "paper_out"],
                                capture_output=True, text=True, timeout=30)
    assert technician.returncode == 0, technician.stderr
    assert ticket_as_kiosk(broker, {"service": "cash"})["data"]["printed"] is False  # the printer finds out on the next ticket
    expect(page.locator("#banners .banner-bad")).to_have_text("取号机打印机（printer-1）缺纸：请更换纸卷，客户暂时只能在屏幕上看到号码")
    page.click("#lang button[data-lang=en]")
    expect(page.locator("#banners .banner-bad")).to_contain_text("load a new roll")
    shots(page, "manager-printer-out-of-paper-en")
    agent.stop()  # a clean stop publishes agent/state offline (a crash: the broker's Last Will)
    expect(page.locator("#banners .banner-bad").first).to_contain_text("The queue system is offline")
    page.click("#lang button[data-lang=zh]")
    expect(page.locator("#banners .banner-bad").first).to_have_text("叫号系统离线：客户暂时无法取号，柜员无法叫号。请联系技术人员。")
    assert text(page, "#conn") == "已连接"  # the tablet's own link is fine: the indicator does not blame it
    shots(page, "manager-agent-offline-zh")
    assert errors.errors == []


def test_the_connection_indicator_notices_a_link_that_went_silent(browser, broker, lobby):
    """A frozen broker (as a pulled cable looks to the tablet): the indicator must not stay green."""
    config, _, _ = lobby
    page, errors = open_page(browser, config, "manager", TABLET)
    sign_in(page, broker.credentials["manager"])
    page.wait_for_selector("#conn[data-state=connected]")
    os.kill(broker.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        page.wait_for_selector("#conn[data-state=reconnecting]", timeout=30000)
        assert time.monotonic() - started < 25  # keep-alive 10 s: noticed within about 15 s, not mqtt.js's default 90
        expect(page.locator("#conn")).to_contain_text("连接中断")
    finally:
        os.kill(broker.process.pid, signal.SIGCONT)
    page.wait_for_selector("#conn[data-state=connected]", timeout=30000)
    assert errors.errors == []


def test_the_tablet_says_offline_when_the_agent_died_while_the_broker_was_down(browser, broker, branch_toml, shots):
    """A restarted broker restores the agent's retained "online" with no last will to follow:
    the tablet showed a dead agent as alive for ever. Now three silent heartbeats (1 s each
    here) bring up the offline banner."""
    toml = write_config_for(broker, branch_toml)
    agent = AgentProcess(toml, env={"LOBBY_MQTT__HEARTBEAT_S": "1"})
    agent.start()
    try:
        watcher = RawClient(broker.config, broker.credentials["display"])
        watcher.subscribe("agent/state")
        watcher.wait_for(lambda m: any(t == "agent/state" and p.get("heartbeat_s") == 1 for t, p, _ in m), timeout=20)
        watcher.close()
        config = load_config(toml)
        page, errors = open_page(browser, config, "manager", TABLET)
        sign_in(page, broker.credentials["manager"])
        page.wait_for_selector("#conn[data-state=connected]")
        page.wait_for_timeout(4000)  # heartbeats keep it online past the bound
        assert page.locator("#banners .banner-bad").count() == 0
        broker.process.kill()
        broker.process.wait()
        agent.kill()
        broker.start()
        page.wait_for_selector("#conn[data-state=connected]", timeout=20000)
        page.wait_for_selector("#banners .banner-bad", timeout=8000)
        assert "offline" in text(page, "#banners").lower() or "离线" in text(page, "#banners")
        assert page.locator("main.agent-offline").count() == 1
        shots(page, "manager-agent-stale-zh")
        assert errors.errors == []
    finally:
        agent.stop()


def test_the_tablet_gets_back_alerts_a_broker_crash_lost_while_it_was_away(browser, broker, lobby, tmp_path, branch_config, shots):
    """The worst case: the tablet away, VIPs arrive, Mosquitto is killed and its saved state
    is lost with it. The tablet comes back to an empty session, notices from the events'
    numbers that it has been away, and asks the agent for what it missed."""
    config, toml, _ = lobby
    card = import_customer(toml, tmp_path, branch_config, PAN, "王先生,vip,李经理")
    tablet = browser.new_context(viewport=TABLET_LANDSCAPE)  # one tablet: its storage survives
    page, errors = open_page(browser, config, "manager", None, context=tablet)
    sign_in(page, broker.credentials["manager"])
    page.wait_for_selector("#conn[data-state=connected]")
    ticket_as_kiosk(broker, {"service": "cash"})  # a numbered event the tablet has seen
    key = f"lobby.manager.{config.branch.id}.seq"
    deadline = time.monotonic() + 5
    while not page.evaluate(f"Number(localStorage.getItem('{key}'))"):
        assert time.monotonic() < deadline, "the tablet never noted an event's number"
        time.sleep(0.1)
    page.close()  # out of Wi-Fi
    vips = [ticket_as_kiosk(broker, {"service": "wealth", "card": card})["data"]["ticket"] for _ in range(3)]
    broker.process.kill()
    broker.process.wait()
    for saved in (broker.directory / "data").iterdir():  # what Mosquitto had saved is gone too
        saved.unlink()
    broker.start()
    page, errors = open_page(browser, config, "manager", None, context=tablet)
    sign_in(page, broker.credentials["manager"])
    page.wait_for_selector("#conn[data-state=connected]", timeout=20000)
    expect(page.locator("article.alert")).to_have_count(3, timeout=30000)
    assert sorted(page.locator("article.alert .ticket").all_inner_texts()) == sorted(vips)
    shots(page, "manager-alerts-replayed-after-broker-crash-zh")
    assert errors.errors == []
    tablet.close()
