"""head-office serve in real Chromium against a real PostgreSQL: staff sign in, see the branches
their role allows, drill down, read the fleet and the daily report; a phone opens a ticket's
link and a wrong, expired or another branch's link is refused in a plain page."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import expect
from psycopg.types.json import Jsonb

from head_office.db.schema import ensure_month
from lobby.contract import CounterQueueState, QueueState
from lobby.ticket_link import LinkSigner, TicketClaim
from tests.contract_payloads import agent_state, arrival, called, device_state, service_state, waiting_eta
from tests.pages import PHONE, PageErrors
from tools.hq_rig import WebServer, add_user
from tools.private_broker import free_port

PASSWORD = "correct horse battery"
DESK = {"width": 1400, "height": 900}
SIGNERS = {b: LinkSigner(Ed25519PrivateKey.generate(), "http://unused") for b in ("b1", "b2")}


def _publish_states(database: str) -> None:
    """Two branches as their agents left them: Lujiazui (East) busy, Nanshan (South) out of paper."""
    now = datetime.now(UTC)
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("INSERT INTO branches VALUES ('b1', '陆家嘴支行', 'East'), ('b2', '南山支行', 'South')")
        for branch, waiting, longest in (("b1", 7, 1500), ("b2", 2, 200)):
            agent = agent_state(now, beat_ago_s=0, heartbeat_s=3600, outbox_pending=0, ticket_link_key=SIGNERS[branch].public_key)
            etas = [waiting_eta(f"A{n:03d}", 120 * n, 60 * n, 200 * n) for n in range(1, waiting + 1)]
            cash = service_state(waiting=waiting, longest=longest, etas=etas, name_zh="个人现金").model_copy(update={"counters_open": 2, "eta_min": 9})
            queue = QueueState(at=now, services={"cash": cash}, counters={
                c: CounterQueueState(open=True, serving=None, services=["cash"]) for c in ("1", "3")}).model_dump(mode="json")
            conn.execute("INSERT INTO branch_state VALUES (%s, 'agent', '', %s, %s), (%s, 'queue', '', %s, %s)",
                         (branch, Jsonb(agent), now, branch, Jsonb(queue), now))
        conn.execute("INSERT INTO branch_state VALUES ('b2', 'device', 'printer', %s, %s)",
                     (Jsonb(device_state(now, "paper_out", detail="the roll is empty")), now))
        ensure_month(conn, now)
        for seq, (topic, payload) in enumerate([
            ("events/arrival", arrival("A001", at=now)), ("events/called", called("1", "A001", at=now)),
        ], start=1):
            conn.execute("INSERT INTO events VALUES (%s, %s, 'b1', %s, %s, %s, now(), 't')", (f"e{seq}", now, topic, seq, Jsonb(payload)))


@pytest.fixture
def site(database, tmp_path) -> Iterator[WebServer]:
    port = free_port()
    config = tmp_path / "head-office.toml"
    config.write_text(f'[database]\nconninfo = "{database}"\n\n[web]\nport = {port}\n', encoding="utf-8")
    add_user(config, "ops", PASSWORD, "head_office")
    add_user(config, "li", PASSWORD, "regional", "East")
    add_user(config, "wang", PASSWORD, "technician")
    _publish_states(database)
    web = WebServer(config, port, tmp_path)
    web.start()
    yield web
    web.stop()


@pytest.fixture
def shoot(artifacts_root: Path):
    folder = artifacts_root / "head-office"
    folder.mkdir(parents=True, exist_ok=True)
    return lambda page, name: page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in_form(page, name: str, password: str = PASSWORD) -> None:
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def signed_in(browser, site: WebServer, name: str, viewport=DESK):
    page = browser.new_page(viewport=viewport)
    errors = PageErrors(page)
    page.goto(f"{site.url}/network")
    expect(page).to_have_url(f"{site.url}/login?next=/network")
    sign_in_form(page, name)
    return page, errors


def test_head_office_staff_see_every_branch_filter_by_region_and_drill_down(browser, site, shoot):
    page, errors = signed_in(browser, site, "ops")
    expect(page.locator("#branches tbody tr")).to_have_count(2)
    first = page.locator("#branches tbody tr").first  # sorted by services over target: Lujiazui's cash waits 25 of 10 min
    expect(first).to_have_attribute("data-branch", "b1")
    expect(first).to_contain_text("个人现金 25/10 min")
    expect(page.locator("tr[data-branch=b2]")).to_contain_text("printer: paper_out")
    shoot(page, "network-view")
    page.select_option("select[name=region]", "South")
    expect(page.locator("#branches tbody tr")).to_have_count(1)
    expect(page.locator("#branches tbody tr")).to_have_attribute("data-branch", "b2")
    page.click("text=Branch 网点")  # sorting keeps the region
    expect(page).to_have_url(f"{site.url}/network?region=South&sort=name")
    page.click("a[href='/branch/b2']")
    expect(page.locator("h1")).to_contain_text("南山支行")
    expect(page.locator("#service-chart")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#service-chart svg")).to_have_count(1)
    shoot(page, "branch-drill-down")
    page.goto(f"{site.url}/report")
    expect(page.locator("#report tbody tr")).to_have_count(1)
    expect(page.locator("#report-chart")).to_have_attribute("data-drawn", "true")
    shoot(page, "daily-report")
    page.goto(f"{site.url}/fleet")
    expect(page.locator("#devices tbody tr")).to_have_count(1)
    expect(page.locator("#devices")).to_contain_text("the roll is empty")
    assert errors.errors == []


def test_a_regional_manager_sees_only_their_region_everywhere(browser, site):
    page, errors = signed_in(browser, site, "li")
    expect(page.locator("#branches tbody tr")).to_have_count(1)
    expect(page.locator("#branches tbody tr")).to_have_attribute("data-branch", "b1")
    expect(page.locator("select[name=region] option")).to_have_count(2)  # "all" and East
    assert page.goto(f"{site.url}/branch/b2").status == 404
    errors.errors.remove("Failed to load resource: the server responded with a status of 404 (Not Found)")  # that one
    page.goto(f"{site.url}/fleet")
    expect(page.locator("#devices")).not_to_contain_text("南山")
    page.goto(f"{site.url}/report")
    expect(page.locator("#report")).not_to_contain_text("南山")
    csv = page.request.get(f"{site.url}/report.csv").text()
    assert "陆家嘴支行" in csv and "南山支行" not in csv
    assert errors.errors == []


def test_a_technician_gets_the_fleet_page_only(browser, site):
    page, _ = signed_in(browser, site, "wang")
    expect(page.locator("body")).to_contain_text("Your role does not include this page")
    page.goto(f"{site.url}/fleet")
    expect(page.locator("#devices tbody tr")).to_have_count(1)


def test_a_wrong_password_an_expired_session_and_signing_out(browser, site, database):
    page = browser.new_page(viewport=DESK)
    page.goto(f"{site.url}/login")
    sign_in_form(page, "ops", "not the password")
    expect(page.locator(".problem")).to_contain_text("wrong")
    sign_in_form(page, "ops")
    expect(page).to_have_url(f"{site.url}/network")
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
    page.goto(f"{site.url}/fleet")
    expect(page).to_have_url(f"{site.url}/login?next=/fleet")
    sign_in_form(page, "ops")
    expect(page).to_have_url(f"{site.url}/fleet")  # back where they were going
    page.click("text=Sign out")
    page.goto(f"{site.url}/network")
    expect(page).to_have_url(f"{site.url}/login?next=/network")
    # Someone guessing the technician's password: after five, the name is locked.
    for _ in range(5):
        page.goto(f"{site.url}/login")
        sign_in_form(page, "wang", "a guess at it")
        expect(page.locator(".problem")).to_contain_text("wrong")
    sign_in_form(page, "wang")
    expect(page.locator(".problem")).to_contain_text("Too many wrong passwords for this name: try again after")
    # A sign-in never sends anyone off the site.
    assert page.goto(f"{site.url}/login?next=//evil.example/").ok
    expect(page.locator("input[name=next]")).to_have_value("/network")


def _token(branch: str, signer: str, ticket="20261205-A002", hours=3.0) -> str:
    return SIGNERS[signer].token(TicketClaim(branch, ticket, "cash", datetime.now(UTC) + timedelta(hours=hours)))


def _status(site: WebServer, token: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{site.url}/t/{token}/status", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_the_ticket_page_refuses_forged_expired_and_another_branchs_links(browser, site, shoot):
    assert _status(site, _token("b1", "b1"))[0] == 200
    genuine = _token("b1", "b1")
    cases = {
        "forged": (genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB"), 404),
        "another branch's key": (_token("b1", "b2"), 404),
        "expired": (_token("b1", "b1", hours=-0.01), 410),
        "not a link": ("hello", 404),
        "unknown branch": (LinkSigner(Ed25519PrivateKey.generate(), "x").token(
            TicketClaim("b9", "20261205-A002", "cash", datetime.now(UTC) + timedelta(hours=1))), 404),
    }
    for what, (token, code) in cases.items():
        status, body = _status(site, token)
        assert status == code, what
        assert "A00" not in body and "个人现金" not in body, what  # nothing about any ticket
    phone = browser.new_page(viewport=PHONE, locale="en-GB", extra_http_headers={"Accept-Language": "en-GB,en"})
    errors = PageErrors(phone)
    assert phone.goto(f"{site.url}/t/{cases['forged'][0]}").status == 404
    expect(phone.locator("h1")).to_have_text("This ticket cannot be shown")
    expect(phone.locator("#refused")).to_contain_text("may have been changed")
    shoot(phone, "phone-refused-en")
    assert phone.goto(f"{site.url}/t/{cases['expired'][0]}?lang=zh").status == 410
    expect(phone.locator("#refused")).to_contain_text("此排队号已过期")
    shoot(phone, "phone-expired-zh")
    assert errors.errors == [f"Failed to load resource: the server responded with a status of {code}" for code in ("404 (Not Found)", "410 (Gone)")]


def test_the_ticket_page_shows_people_ahead_and_the_wait(browser, site, shoot):
    phone = browser.new_page(viewport=PHONE, locale="zh-CN")  # the phone's language: Chinese
    errors = PageErrors(phone)
    phone.goto(f"{site.url}/t/{_token('b1', 'b1', ticket='20261205-A003')}")
    expect(phone.locator("#headline")).to_have_text("前面还有 2 位")
    expect(phone.locator("#detail")).to_have_text("预计等候约 6 分钟（3～10）")
    expect(phone.locator("#service")).to_have_text("个人现金")
    expect(phone.locator("#unseen")).to_be_hidden()
    shoot(phone, "phone-waiting-zh")
    phone.click("text=English")
    expect(phone.locator("#headline")).to_have_text("2 people before you")
    shoot(phone, "phone-waiting-en")
    assert errors.errors == []


def test_without_its_database_every_page_says_so_in_a_sentence(tmp_path):
    port, dead = free_port(), free_port()  # nothing listens on `dead`
    config = tmp_path / "head-office.toml"
    config.write_text(f'[database]\nconninfo = "host=127.0.0.1 port={dead} dbname=x connect_timeout=1"\nconnect_timeout_s = 1\n\n'
                      f'[web]\nport = {port}\n', encoding="utf-8")
    web = WebServer(config, port, tmp_path)
    web.start(healthy=False)
    try:
        for path in ("/healthz", "/network", "/t/abc.def"):
            try:  # a signed-in user's cookie, so that the page has to ask the database who it is
                urllib.request.urlopen(urllib.request.Request(f"{web.url}{path}", headers={"Cookie": "lobby_hq_session=x"}), timeout=10)
                raise AssertionError(f"{path} answered without a database")
            except urllib.error.HTTPError as down:
                assert down.code == 503, path
                assert "does not answer right now" in down.read().decode()
        status, body = _status(web, "abc.def")
        assert status == 503 and body == '{"unavailable":true}'  # the phone page keeps polling and says it cannot see
    finally:
        web.stop()
    log = web.log()
    assert "could not reach PostgreSQL" in log and "Traceback" not in log
