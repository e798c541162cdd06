"""The pages in real headless Chromium (Debian's, driven by Playwright): viewports, signing in, a page's errors."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.bus_helpers import RawClient
from tests.staff_helpers import PINS

CHROMIUM = "/usr/bin/chromium"


# The hall TV's browser runs with the autoplay flag so chimes play without a tap (README).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]


TABLET = {"width": 820, "height": 1180}


TABLET_LANDSCAPE = {"width": 1180, "height": 820}


COUNTER_SCREEN = {"width": 1280, "height": 800}


TV = {"width": 1920, "height": 1080}


class PageErrors:
    """JavaScript errors in a page fail the test: a page that throws is not a working page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)


def open_page(browser, config, name: str, viewport: dict | None, context=None, suffix: str = ""):
    page = context.new_page() if context else browser.new_page(viewport=viewport)
    errors = PageErrors(page)
    page.goto(f"http://127.0.0.1:{config.web.port}/{name}/{suffix}")
    return page, errors


def sign_in(page, credentials: dict) -> None:
    page.fill("#login-user", credentials["username"])
    page.fill("#login-password", credentials["password"])
    page.click("#login-submit")


def ticket_as_kiosk(broker, fields: dict) -> dict:
    kiosk = RawClient(broker.config, broker.credentials["kiosk"])
    transaction = uuid.uuid4().hex
    kiosk.publish("request/ticket", {"transaction": transaction, "kiosk": "kiosk-1", "lang": "zh", **fields})
    answer = kiosk.response("ticket", transaction)
    kiosk.close()
    return answer


def text(page, selector: str) -> str:
    return page.inner_text(selector).strip()


def open_display(browser, config, credentials):
    # Set-up once: the credentials in the address fragment, kept by the browser, removed from the address.
    page, errors = open_page(browser, config, "display", TV, suffix=f"#u={credentials['username']}&p={credentials['password']}")
    page.wait_for_selector("body[data-connection=connected]", timeout=10000)
    assert "#u=" not in page.url and credentials["password"] not in page.url
    return page, errors


PHONE = {"width": 360, "height": 740}  # a small Android phone


def staff_sign_in(page, staff_id: str, counter: str | None = None) -> None:
    page.wait_for_selector("#staff:not(.hidden)")
    page.fill("#staff-id", staff_id)
    page.fill("#staff-pin", PINS[staff_id])
    if counter:
        page.select_option("#staff-counter", counter)
    page.click("#staff-submit")
    page.wait_for_selector("#person:not(.hidden)")


def branch_day(days: int = 0) -> str:
    return (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=days)).date().isoformat()
