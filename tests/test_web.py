"""The three pages in real headless Chromium against the real agent and Mosquitto with the generated ACLs."""

from __future__ import annotations

import sqlite3
import time
import urllib.error
import urllib.request
import uuid

import pytest

from edge_agent.config import load_config
from tests.bus_helpers import AgentProcess, RawClient, write_config_for
from tests.test_bus import import_customer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def lobby(broker, branch_toml):
    toml = write_config_for(broker, branch_toml)
    agent = AgentProcess(toml)
    agent.start()
    watcher = RawClient(broker.config, broker.credentials["display"])
    watcher.subscribe("agent/state")
    watcher.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=20)
    watcher.close()
    config = load_config(toml)
    yield config, toml, agent
    agent.stop()


def url(config, page: str) -> str:
    return f"http://127.0.0.1:{config.web.port}/{page}/"


def login(page, credentials) -> None:
    page.fill("#user", credentials["username"])
    page.fill("#password", credentials["password"])
    page.click("button[type=submit]")


def shoot(page, artifacts_root, name: str) -> None:
    target = artifacts_root / "web"
    target.mkdir(exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def ticket_as_kiosk(broker, fields: dict) -> dict:
    kiosk = RawClient(broker.config, broker.credentials["kiosk"])
    kiosk.subscribe("response/ticket")
    transaction = uuid.uuid4().hex
    kiosk.publish("request/ticket", {"transaction": transaction, **fields})
    answer = kiosk.response("ticket", transaction)
    kiosk.close()
    return answer


def test_vip_alert_reaches_the_tablet_and_is_acknowledged(browser, broker, lobby, tmp_path, branch_config, artifacts_root):
    config, toml, _ = lobby
    card = import_customer(toml, tmp_path, branch_config, "6222021234567890128", "王先生,vip,李经理")
    page = browser.new_page(viewport={"width": 820, "height": 1180})
    page.goto(url(config, "manager"))
    login(page, broker.credentials["manager"])
    page.wait_for_selector("#conn[data-state=connected]")
    answer = ticket_as_kiosk(broker, {"service": "wealth", "card": card, "kiosk": "kiosk-1"})
    assert answer["data"]["customer"]["manager_alerted"] is True
    alert = page.wait_for_selector("article.alert", timeout=5000)
    assert alert.query_selector(".name").inner_text() == "王先生"
    assert alert.query_selector(".pan").inner_text() == "622202*********0128"
    assert alert.query_selector(".rm").inner_text() == "李经理"
    assert alert.query_selector(".ticket").inner_text() == "V001"
    assert "6222021234567890128" not in page.content()
    page.wait_for_timeout(600)  # let the arrival animation finish before the picture
    shoot(page, artifacts_root, "manager-alert-zh")
    page.click("#lang")
    shoot(page, artifacts_root, "manager-alert-en")
    page.click("article.alert button.referred")
    page.wait_for_selector("article.alert.done")
    row = sqlite3.connect(config.store.path).execute("SELECT acked_by, outcome FROM alerts").fetchone()
    assert row == (broker.credentials["manager"]["username"], "referred")
    page.close()


def test_wrong_password_is_refused(browser, broker, lobby):
    config, _, _ = lobby
    page = browser.new_page()
    page.goto(url(config, "manager"))
    login(page, {"username": broker.credentials["manager"]["username"], "password": "not-the-password"})
    page.wait_for_selector("#conn[data-state=refused]", timeout=10000)
    assert page.inner_text("#login-error")
    assert page.is_hidden("#main")
    page.close()


def test_pages_do_not_serve_outside_their_folders(lobby):
    config, _, _ = lobby
    base = f"http://127.0.0.1:{config.web.port}"
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/shared/", "/nothing.html", "/manager/../../../edge_agent/config.py"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(base + path, timeout=5)
        assert caught.value.code == 404, path
    config_json = urllib.request.urlopen(base + "/config.json", timeout=5).read().decode()
    assert "password" not in config_json and config.branch.id in config_json
    assert urllib.request.urlopen(base + "/vendor/mqtt.min.js", timeout=5).status == 200


def display_page(browser, config, credentials):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(url(config, "display") + f"#u={credentials['username']}&p={credentials['password']}")
    page.wait_for_selector("body[data-connection=connected]", timeout=10000)
    assert "#u=" not in page.url  # the password does not stay in the address bar
    return page


def test_teller_calls_and_the_hall_display_shows_it_then_survives_a_broker_restart(browser, broker, lobby, artifacts_root):
    config, _, _ = lobby
    for service in ("cash", "cash", "noncash"):
        assert ticket_as_kiosk(broker, {"service": service})["status"] == "ok"
    display = display_page(browser, config, broker.credentials["display"])
    teller = browser.new_page(viewport={"width": 1280, "height": 800})
    teller.goto(url(config, "teller"))
    login(teller, broker.credentials["teller"])
    teller.wait_for_selector("#conn[data-state=connected]")
    teller.select_option("#counter", "3")
    teller.keyboard.press("n")  # call next before opening: the agent's refusal is shown in words
    teller.wait_for_selector("#message.error")
    assert "closed" in teller.inner_text("#message")
    teller.keyboard.press("o")
    teller.wait_for_selector("#message.ok")
    teller.keyboard.press("n")
    teller.wait_for_function("document.querySelector('#number').textContent === 'A001'")
    assert "A001" in teller.inner_text("#message")
    display.wait_for_selector("body[data-last-call='A001@3']", timeout=5000)
    assert display.inner_text("#now-ticket") == "A001"
    shoot(teller, artifacts_root, "teller-zh")
    shoot(display, artifacts_root, "display-zh")
    teller.click("#lang")
    teller.keyboard.press("c")
    teller.wait_for_function("document.querySelector('#message').textContent.includes('completed')")
    shoot(teller, artifacts_root, "teller-en")

    broker.stop()
    display.wait_for_selector("body[data-connection=reconnecting], body[data-connection=offline]", timeout=15000)
    broker.start()
    display.wait_for_selector("body[data-connection=connected]", timeout=30000)
    teller.wait_for_selector("#conn[data-state=connected]", timeout=30000)
    # The agent also reconnects; once it has, the next call reaches the recovered display.
    deadline = time.monotonic() + 30
    while "A002" not in teller.inner_text("#message"):
        assert time.monotonic() < deadline, teller.inner_text("#message")
        teller.keyboard.press("n")
        teller.wait_for_timeout(1500)
    display.wait_for_selector("body[data-last-call='A002@3']", timeout=10000)
    assert display.inner_text("#history").startswith("A001")
    shoot(display, artifacts_root, "display-after-broker-restart")
    teller.close()
    display.close()


def test_alerts_missed_while_offline_arrive_marked_with_their_age(browser, broker, lobby, tmp_path, branch_config, artifacts_root):
    config, toml, _ = lobby
    card = import_customer(toml, tmp_path, branch_config, "6222021234567890128", "王先生,vip,李经理")
    context = browser.new_context(viewport={"width": 1180, "height": 820})  # one tablet: its storage survives a reload
    page = context.new_page()
    page.goto(url(config, "manager") + "?stale_s=2&escalate_s=3")
    login(page, broker.credentials["manager"])
    page.wait_for_selector("#conn[data-state=connected]")
    page.close()  # the tablet goes offline; the broker keeps its session
    ticket_as_kiosk(broker, {"service": "wealth", "card": card})
    time.sleep(3)
    page = context.new_page()
    page.goto(url(config, "manager") + "?stale_s=2&escalate_s=3")
    login(page, broker.credentials["manager"])
    alert = page.wait_for_selector("article.alert.stale", timeout=10000)
    assert "min" in alert.inner_text() or "分钟" in alert.inner_text()
    assert "escalated" in alert.get_attribute("class")  # unanswered for longer than escalate_s
    page.wait_for_timeout(600)
    shoot(page, artifacts_root, "manager-landscape-stale")
    context.close()
