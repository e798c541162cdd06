"""识别转介 end to end in real Chromium against the real agent and broker: a VIP swipes, the
lobby manager refers them to the RM pool, an RM accepts and records a follow-up, the
follow-up list holds it; a teller refers the customer at counter 3 with two triggers; a
promotion reaches the hall display beside a call. Screenshots of each page in zh and en."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.bus_helpers import RawClient
from tests.pages import COUNTER_SCREEN, TABLET, branch_day, open_display, open_page, sign_in, staff_sign_in, text, ticket_as_kiosk
from tests.staff_helpers import PINS

PAN = "6222021234567890128"
PHONE = "13912345678"
DESKTOP = {"width": 1280, "height": 860}








def promotion_png(path) -> None:
    picture = Image.new("RGB", (440, 300), (200, 16, 46))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((30, 30, 410, 270), outline=(228, 199, 127), width=10)
    draw.ellipse((150, 80, 290, 220), fill=(228, 199, 127))
    picture.save(path, "PNG")


def test_the_whole_sop_from_a_vip_swipe_to_the_follow_up_list(browser, broker, staffed_lobby, shots, tmp_path):
    config, toml, agent, card = staffed_lobby
    # The RM's workbench: the device signs in to the broker, then the person with staff id + PIN.
    rm, rm_errors = open_page(browser, config, "rm", DESKTOP)
    sign_in(rm, broker.credentials["rm"])
    rm.wait_for_selector("#conn[data-state=connected]")
    shots(rm, "rm-staff-sign-in-zh")
    rm.fill("#staff-id", "R201")
    rm.fill("#staff-pin", "000000")
    rm.click("#staff-submit")
    expect(rm.locator("#staff-error")).to_contain_text("工号或密码不正确")
    staff_sign_in(rm, "R201")
    assert text(rm, "#person-name") == "王理财"
    manager, manager_errors = open_page(browser, config, "manager", TABLET)
    sign_in(manager, broker.credentials["manager"])
    staff_sign_in(manager, "M101")

    # 识别: a VIP swipes at the kiosk; 转介: the manager refers them to the RM pool.
    assert ticket_as_kiosk(broker, {"service": "wealth", "card": card})["data"]["customer"]["manager_alerted"]
    manager.wait_for_selector("article.alert")
    manager.click("article.alert [data-outcome=referred]")
    manager.wait_for_selector("dialog.refer[open]")
    manager.select_option("dialog.refer select[name=destination]", "vip_room")
    manager.fill("dialog.refer input[name=note]", "在贵宾区等候")
    manager.click("dialog.refer button[type=submit]")
    expect(manager.locator("article.alert .result")).to_contain_text("客户经理组")

    # The RM page hears it live, and accepts: the manager's tablet shows who is on the way.
    card_on_rm = rm.locator("article.referral", has_text="王先生")
    expect(card_on_rm).to_be_visible(timeout=3000)
    assert "在贵宾区等候" in card_on_rm.inner_text() and "V001" in card_on_rm.inner_text()
    shots(rm, "rm-referral-open-zh")
    card_on_rm.locator(".act-accept").click()
    expect(card_on_rm.locator(".referral-state")).to_have_text("已接受")
    expect(manager.locator("#referrals li .referral-state")).to_contain_text("王理财 正在赶来")
    shots(manager, "manager-rm-on-the-way-zh")

    # 跟进: interested, follow up in three days by phone, with the customer's consent.
    card_on_rm.locator(".act-outcome").click()
    rm.wait_for_selector("dialog.outcome[open]")
    rm.check("dialog.outcome input[value=follow_up]")
    rm.fill("dialog.outcome input[name=follow_up_on]", branch_day(3))
    rm.select_option("dialog.outcome select[name=channel]", "phone")
    rm.fill("dialog.outcome input[name=phone]", PHONE)
    rm.click("dialog.outcome button[type=submit]")  # no consent ticked: refused, nothing kept
    expect(rm.locator("dialog.outcome .sheet-error")).to_contain_text("客户同意")
    rm.check("dialog.outcome input[name=consent]")
    rm.fill("dialog.outcome input[name=note]", "对大额存单有兴趣")
    rm.click("dialog.outcome button[type=submit]")
    expect(rm.locator("#follow-ups li")).to_contain_text(PHONE)
    expect(card_on_rm.locator(".referral-state")).to_have_text("待跟进")
    shots(rm, "rm-follow-up-zh")
    rm.click("#lang button[data-lang=en]")
    expect(rm.locator("article.referral .referral-state").first).to_have_text("Follow-up")
    shots(rm, "rm-follow-up-en")

    # The 优质客户推荐表 for this referral, ready to print.
    card_on_rm.locator(".act-form").click()
    expect(rm.locator("#form-view h1")).to_have_text("Premium customer referral form")
    assert "☑ VIP wealth room" in text(rm, "#form-view") and "张敏 (M101)" in text(rm, "#form-view")
    shots(rm, "referral-form-en")
    rm.click("#form-close")
    rm.click("#lang button[data-lang=zh]")
    card_on_rm.locator(".act-form").click()
    expect(rm.locator("#form-view h1")).to_have_text("优质客户推荐表")
    assert "☑ 贵宾理财室" in text(rm, "#form-view") and "☑ 是" in text(rm, "#form-view")
    shots(rm, "referral-form-zh")
    rm.click("#form-close")

    # The follow-up list for the day holds the entry.
    out = subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "followups", "--date", branch_day(),
                          "--out", str(tmp_path / "followups")], capture_output=True, text=True, check=True).stdout
    assert "1 open follow-up(s)" in out
    listing = (tmp_path / "followups" / f"followups-{branch_day()}.html").read_text(encoding="utf-8")
    assert "王先生" in listing and PHONE in listing and branch_day(3) in listing and "王理财" in listing

    # A teller signs in at counter 3, calls, and refers the customer with two triggers: the
    # RM page has it within a second.
    assert ticket_as_kiosk(broker, {"service": "cash"})["status"] == "ok"
    teller, teller_errors = open_page(browser, config, "teller", COUNTER_SCREEN)
    sign_in(teller, broker.credentials["teller"])
    staff_sign_in(teller, "T301", counter="3")
    assert teller.input_value("#counter") == "3" and teller.is_disabled("#counter")
    teller.keyboard.press("o")
    teller.wait_for_selector("#counter-state.is-open")
    teller.keyboard.press("n")
    expect(teller.locator("#number")).to_have_text("A001")
    teller.keyboard.press("f")
    teller.wait_for_selector("dialog.refer[open]")
    teller.check("dialog.refer input[value=large_cash]")
    teller.check("dialog.refer input[value=wealth_enquiry]")
    teller.fill("dialog.refer input[name=customer_name]", "李女士")
    shots(teller, "teller-refer-dialog-zh")
    sent = time.monotonic()
    teller.click("dialog.refer button[type=submit]")
    from_teller = rm.locator("article.referral", has_text="李女士")
    expect(from_teller).to_be_visible(timeout=1000)
    assert time.monotonic() - sent < 1.0
    assert "大额存取现金或汇款" in from_teller.inner_text() and "陈柜员" in from_teller.inner_text()
    expect(teller.locator("#message")).to_have_text("A001 已转介给客户经理组")
    teller.click("#lang button[data-lang=en]")
    teller.keyboard.press("f")
    teller.wait_for_selector("dialog.refer[open]")
    shots(teller, "teller-refer-dialog-en")
    teller.keyboard.press("Escape")
    shots(rm, "rm-two-referrals-zh")

    # 潜在客户: a customer who swiped a card the directory does not know is marked as a prospect.
    from lobby.card_key import card_token, load_or_create_key, mask_pan

    walk_in_pan = "6222020000000000014"
    walk_in = {"token": card_token(load_or_create_key(config.security.key_file), walk_in_pan), "masked_pan": mask_pan(walk_in_pan)}
    teller.keyboard.press("c")
    assert ticket_as_kiosk(broker, {"service": "cash", "card": walk_in})["status"] == "ok"
    teller.keyboard.press("n")
    expect(teller.locator("#prospect")).to_be_visible()
    teller.click("#prospect")
    teller.fill("dialog.prospect input[name=reason]", "asked about large deposits")
    teller.click("dialog.prospect button[type=submit]")
    expect(teller.locator("#unprospect")).to_be_visible()
    assert "prospect" in text(teller, "#message")

    # Nothing a stranger should read is on the pages that are not the RM's own view.
    for page in (manager, teller):
        html = page.content()
        assert PHONE not in html and PAN not in html and not any(pin in html for pin in PINS.values())
    for errors in (rm_errors, manager_errors, teller_errors):
        assert errors.errors == []


def test_a_promotion_from_the_tablet_shows_on_the_hall_display_beside_a_call(browser, broker, staffed_lobby, shots, tmp_path):
    config, _, _, _ = staffed_lobby
    manager, manager_errors = open_page(browser, config, "manager", TABLET)
    sign_in(manager, broker.credentials["manager"])
    staff_sign_in(manager, "M101")
    manager.wait_for_selector("#promotions:not(.hidden)")
    # A file that is not a picture is refused in words and nothing is published.
    (tmp_path / "notes.png").write_bytes(b"%PDF-1.4 this is not a picture")
    manager.click("#promo-new")
    manager.fill("dialog.promotion input[name=title]", "假图片")
    manager.set_input_files("dialog.promotion input[name=image]", str(tmp_path / "notes.png"))
    manager.click("dialog.promotion button[type=submit]")
    expect(manager.locator("dialog.promotion .sheet-error")).to_have_text("图片不是 PNG 或 JPEG，或已损坏")
    manager.click("dialog.promotion button[value=cancel]")
    promotion_png(tmp_path / "cd.png")
    manager.click("#promo-new")
    manager.fill("dialog.promotion input[name=title]", "大额存单 年利率3.1%")
    manager.fill("dialog.promotion textarea[name=text]", "20万元起存，三年期，详询理财经理")
    manager.set_input_files("dialog.promotion input[name=image]", str(tmp_path / "cd.png"))
    manager.fill("dialog.promotion input[name=ends_on]", branch_day(30))
    manager.click("dialog.promotion button[type=submit]")
    expect(manager.locator(".promotion-list li")).to_contain_text("大额存单 年利率3.1%")

    display, display_errors = open_display(browser, config, broker.credentials["display"])
    expect(display.locator("#promo-title")).to_have_text("大额存单 年利率3.1%")
    teller = RawClient(broker.config, broker.credentials["hq"])  # the call comes from head office's user: no PIN on this page
    hq_session = teller_session(teller)
    assert ticket_as_kiosk(broker, {"service": "cash"})["status"] == "ok"
    for op in ("counter_open", "call_next"):
        transaction = uuid.uuid4().hex
        teller.publish(f"request/{op}", {"transaction": transaction, "counter": "3", "session": hq_session})
        assert teller.response(op, transaction)["status"] == "ok"
    display.wait_for_selector("body[data-last-call='A001@3']", timeout=3000)
    # The call is whole and the promotion stays out of its way.
    call, promo = display.locator("#now").bounding_box(), display.locator("#promo").bounding_box()
    assert call and promo and (promo["x"] >= call["x"] + call["width"] or promo["y"] >= call["y"] + call["height"])
    assert display.locator("#promo img").is_visible()
    shots(display, "display-promotion-beside-call-zh")
    display.keyboard.press("l")
    expect(display.locator("#now-counter-1")).to_have_text("Counter 3")
    shots(display, "display-promotion-beside-call-en")
    shots(manager, "manager-promotions-zh")
    teller.close()
    assert manager_errors.errors == [] and display_errors.errors == []


def teller_session(client: RawClient) -> str:
    transaction = uuid.uuid4().hex
    client.publish("request/staff_sign_in", {"transaction": transaction, "staff_id": "T302", "pin": PINS["T302"], "page": "teller", "counter": "3"})
    return client.response("staff_sign_in", transaction)["data"]["session"]

