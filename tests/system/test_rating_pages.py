"""服务评价 to 投诉处理 in real Chromium against the real agent and broker: the teller completes
a ticket, the rating screen at that counter asks within a second, the customer taps 不满意
with a reason, the lobby manager's tablet shows the service alert, opens a complaint from it
and resolves it; the day's report counts it all. Screenshots at a 7-inch size, zh and en."""

from __future__ import annotations

import subprocess
import sys
import time

from playwright.sync_api import expect

from tests.pages import COUNTER_SCREEN, TABLET, branch_day, open_page, sign_in, staff_sign_in, text, ticket_as_kiosk

SEVEN_INCH = {"width": 1024, "height": 600}


def test_a_low_rating_becomes_a_resolved_complaint(browser, broker, staffed_lobby, shots, tmp_path):
    config, toml, agent, _ = staffed_lobby
    rater, rater_errors = open_page(browser, config, "rate", SEVEN_INCH, suffix="?counter=3")
    sign_in(rater, broker.credentials["rater"])
    expect(rater.locator("body")).to_have_attribute("data-screen", "idle")
    assert text(rater, "#counter-name") == "3号窗口"
    shots(rater, "rate-idle-zh")
    rater.click("#lang button[data-lang=en]")
    shots(rater, "rate-idle-en")
    rater.click("#lang button[data-lang=zh]")

    teller, teller_errors = open_page(browser, config, "teller", COUNTER_SCREEN)
    sign_in(teller, broker.credentials["teller"])
    staff_sign_in(teller, "T301", counter="3")
    teller.keyboard.press("o")
    teller.wait_for_selector("#counter-state.is-open")
    assert ticket_as_kiosk(broker, {"service": "cash"})["status"] == "ok"
    teller.keyboard.press("n")
    expect(teller.locator("#number")).to_have_text("A001")
    expect(rater.locator("body")).to_have_attribute("data-screen", "serving")
    assert text(rater, "#serving-ticket") == "A001" and text(rater, "#teller-name") == "陈柜员" and "T301" in text(rater, "#teller-no")
    shots(rater, "rate-serving-zh")
    rater.click("#lang button[data-lang=en]")
    expect(rater.locator("#serving .label")).to_have_text("Now serving you")
    shots(rater, "rate-serving-en")
    rater.click("#lang button[data-lang=zh]")

    manager, manager_errors = open_page(browser, config, "manager", TABLET)
    sign_in(manager, broker.credentials["manager"])
    staff_sign_in(manager, "M101")

    sent = time.monotonic()
    teller.keyboard.press("c")  # complete: the rating screen asks within a second
    expect(rater.locator("body")).to_have_attribute("data-screen", "prompt", timeout=1000)
    assert time.monotonic() - sent < 1.0
    assert [b.inner_text().split("\n")[-1] for b in rater.locator(".score").all()] == ["非常满意", "满意", "不满意"]
    shots(rater, "rate-prompt-zh")
    rater.click("#lang button[data-lang=en]")
    expect(rater.locator(".score").first).to_contain_text("Very satisfied")
    shots(rater, "rate-prompt-en")
    rater.click("#lang button[data-lang=zh]")
    rater.click(".score[data-score='1']")
    rater.click(".reason[data-reason=long_wait]")
    send = rater.locator("#send").bounding_box()
    assert send and send["y"] + send["height"] <= SEVEN_INCH["height"], "the send button must be on the 7-inch screen, not below it"
    shots(rater, "rate-low-reasons-zh")
    rater.click("#send")
    expect(rater.locator("body")).to_have_attribute("data-screen", "thanks")
    assert "大堂经理" in text(rater, "#thanks-more")
    shots(rater, "rate-thanked-zh")
    rater.click("#lang button[data-lang=en]")
    expect(rater.locator("#thanks h1")).to_have_text("Thank you for your rating")
    shots(rater, "rate-thanked-en")

    # 服务补救: the tablet shows the alert; one tap opens a complaint from it.
    alert = manager.locator("article.service-alert")
    expect(alert).to_be_visible(timeout=3000)
    assert "A001" in alert.inner_text() and "陈柜员 (T301)" in alert.inner_text() and "等候时间太长" in alert.inner_text()
    shots(manager, "manager-service-alert-zh")
    manager.click("#lang button[data-lang=en]")
    expect(alert).to_contain_text("Waited too long")
    shots(manager, "manager-service-alert-en")
    manager.click("#lang button[data-lang=zh]")
    alert.locator(".sa-complaint").click()
    manager.wait_for_selector("dialog.complaint-dialog[open]")
    assert manager.input_value("dialog.complaint-dialog input[name=ticket]") == "A001"
    manager.select_option("dialog.complaint-dialog select[name=category]", "waiting")
    manager.fill("dialog.complaint-dialog textarea[name=said]", "等了四十分钟，没人解释")
    shots(manager, "manager-complaint-dialog-zh")
    manager.click("dialog.complaint-dialog button[type=submit]")
    complaint = manager.locator("li.complaint")
    expect(complaint).to_contain_text("等了四十分钟")
    expect(manager.locator("article.service-alert")).to_have_count(0)  # the alert is answered by the complaint
    complaint.locator("[data-to=acknowledged]").click()
    manager.fill("dialog.complaint-dialog textarea[name=note]", "已向客户致歉，了解情况")
    manager.click("dialog.complaint-dialog button[type=submit]")
    expect(complaint.locator(".referral-state")).to_have_text("已受理")
    manager.evaluate("window.scrollTo(0, 0)")  # a full-page picture of a scrolled page shows the sticky bar mid-page
    shots(manager, "manager-complaint-acknowledged-zh")
    complaint.locator("[data-to=resolved]").click()
    manager.fill("dialog.complaint-dialog textarea[name=note]", "主管调整窗口，客户接受解释")
    manager.click("dialog.complaint-dialog button[type=submit]")
    expect(complaint.locator(".referral-state")).to_have_text("已办结")
    manager.click("#lang button[data-lang=en]")
    expect(complaint.locator(".referral-state")).to_have_text("Resolved")
    manager.evaluate("window.scrollTo(0, 0)")
    shots(manager, "manager-complaint-resolved-en")

    # The day's report counts one rating, one low score, one complaint resolved, with the teller.
    out = tmp_path / "report"
    subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "report", "--date", branch_day(), "--out", str(out)],
                   check=True, capture_output=True)
    rows = (out / f"report-{branch_day()}.csv").read_text(encoding="utf-8-sig").splitlines()
    assert any(r.startswith("ratings,all,1,1,1,") for r in rows)
    assert any(r.startswith("rating_teller,陈柜员 (T301),1,1,1,") for r in rows)
    assert any(r.startswith("complaints,all,1,1,0,") for r in rows)
    page = (out / f"report-{branch_day()}.html").read_text(encoding="utf-8")
    assert "陈柜员 (T301)" in page and "服务评价与投诉" in page
    for errors in (rater_errors, teller_errors, manager_errors):
        assert errors.errors == []
