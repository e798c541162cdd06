"""The kiosk as a customer meets it: real rendering offscreen, real touches, a real agent and broker.

Kivy's window is a process singleton, so the app runs in a child process: this file run as
a script (`python -m tests.system.test_kiosk_screens CONFIG OUT REPORT`) is the driver. It starts
the agent, swipes cards through a serial card reader on a pseudo-terminal, taps through
every screen in Chinese, English and 长辈模式, checks every touch target on every screen
against 15 mm (20 mm in 长辈模式) at the configured DPI, runs the printer out of paper,
stops and kills the agent, waits out the idle timeout, and saves a screenshot of each
screen to test-artifacts/kiosk/. The test reads its report and checks the pictures.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from lobby.card_key import mask_pan
from tests.bus_helpers import RawClient
from tests.conftest import REPO
from tests.kiosk_helpers import AGENT_ENV, kiosk_branch
from tools.demo_customers import DEMO_CUSTOMERS
from tools.demo_promotions import write_demo_promotions

MODES = {"zh": ("zh", False), "en": ("en", False), "elder": ("zh", True)}
UNKNOWN_CARD = "5500005555555559"  # a Luhn-valid test number that is not in the directory


@pytest.fixture
def kiosk_artifacts(artifacts_root: Path) -> Path:
    folder = artifacts_root / "kiosk"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


@pytest.mark.timeout(420)
def test_every_screen_in_chinese_english_and_elder_mode(broker, branch_toml, kiosk_artifacts, tmp_path):
    from PIL import Image

    # The printer's status timeout is generous here: on a busy test machine a slow answer would
    # turn a walk-in's ticket into the printer-failure screen (which has its own step below).
    # The kiosk's request timeout stays above the agent's worst printing time (1 + 2 + 1 s).
    settings = {"idle_timeout_s": 5, "request_timeout_s": 5, "request_deadline_s": 12, "status_timeout_s": 1.0, "write_timeout_s": 2.0}
    # The branch's promotions, dropped in as files: every screen is checked with them showing.
    write_demo_promotions(tmp_path / "promotions")
    branch_toml.write_text(branch_toml.read_text(encoding="utf-8").replace("# folder = ", "folder = "), encoding="utf-8")
    with kiosk_branch(broker, branch_toml, start_agent=False, **settings) as (config_path, _):
        listener = RawClient(broker.config, broker.credentials["hq"])  # head office hears every topic of the branch
        listener.subscribe("#")
        report_path = tmp_path / "report.json"
        env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_WINDOW": "sdl2", "PYTHONUNBUFFERED": "1"}
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        driver = subprocess.run(
            [sys.executable, "-m", "tests.system.test_kiosk_screens", str(config_path), str(kiosk_artifacts), str(report_path)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=400,
        )
        assert driver.returncode == 0, f"the kiosk driver failed:\n{driver.stdout[-3000:]}\n{driver.stderr[-6000:]}"
        listener.close()
    report = json.loads(report_path.read_text())

    # The cards swiped at the kiosk left no number behind: not in its output or the agent's,
    # not on the bus, not in the store, the broker's files or anything else written.
    assert any(t == "alerts/vip" for t, _, _ in listener.messages)
    written = driver.stdout + driver.stderr + "".join(
        t + (p.decode("latin-1") if isinstance(p, bytes) else json.dumps(p, ensure_ascii=False)) for t, p, _ in listener.messages
    )
    for folder in (tmp_path, broker.directory.parent, kiosk_artifacts):
        written += "".join(p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file() and p.suffix != ".png")
    assert mask_pan(DEMO_CUSTOMERS[0][0]) in written  # the search does reach what was sent and written
    for pan in [p for p, *_ in DEMO_CUSTOMERS] + [UNKNOWN_CARD]:
        assert pan not in written
        assert not re.search(pan[:9], written.replace(pan[:6] + "*", "")), f"9+ consecutive digits of {mask_pan(pan)} leaked"
        assert pan[-10:] not in written, f"the last 10 digits of {mask_pan(pan)} leaked"

    # Every screen was reached in every mode that has it, and every touch target was big enough.
    for mode in MODES:
        for screen in ("home", "identified", "ticket", "printer_failure"):
            assert f"{screen}-{mode}" in report["targets"], f"{screen} was never checked in {mode}"
    assert {"diversion-zh", "diversion-en", "out_of_service-zh", "out_of_service-en"} <= set(report["targets"])
    for name, problems in report["targets"].items():
        assert not problems, f"{name}: touch targets smaller than required: {problems}"
    for name, problems in report["overflow"].items():
        assert not problems, f"{name}: more on the screen than fits: {problems}"
    # 长辈模式: at most four choices a screen, wherever the customer is (the keypad is one field).
    for name, choices in report["choices"].items():
        if name.endswith("-elder") and not name.startswith("booking_code"):
            assert choices <= 4, f"{name}: {choices} choices in 长辈模式"
    for mode in MODES:
        for screen in ("appointment", "booking_code", "check-in-too-early", "ticket-appointment", "ticket-appointment-vip", "ticket-late",
                       "check-in-forged"):
            assert f"{screen}-{mode}" in report["targets"], f"{screen} was never checked in {mode}"
    assert report["elder_never_diverted"] and report["idle_timeout_went_home"]
    assert report["back_after_clean_stop"] and report["back_after_silence"] and report["back_after_kill"]
    assert report["one_moment"]

    # The screenshots are real renderings: full size, many colours, the navy header at the top.
    assert len(report["shots"]) >= 51
    # The home screen shows the promotion for everyone; a VIP's greeting, the one for their tier.
    assert report["promotions"] == {"home": "大额存单 年利率3.1%", "identified": "贵宾专享 积存金"}
    for shot in report["shots"]:
        image = Image.open(shot).convert("RGB")
        assert image.size == (1080, 1920), shot
        assert len(image.getcolors(1 << 20)) > 40, f"{shot} looks blank"
        assert image.getpixel((5, 5)) == (11, 37, 69), f"{shot}: no header"


# ---- the driver (runs in its own process) ------------------------------------------------------------


def undersized_targets(driver, min_px: float) -> list[str]:
    """Visible, enabled tappable widgets smaller than `min_px` in either direction."""
    from tools.kiosk_journey.driver import tappable

    def shown(widget) -> bool:
        while widget is not None and widget is not widget.parent:
            if widget.opacity == 0 or widget.disabled:
                return False
            widget = widget.parent
        return True

    def check():
        problems = []
        for button in tappable(driver.app.sm.current_screen):
            if shown(button) and (button.width < min_px - 0.5 or button.height < min_px - 0.5):
                label = getattr(button, "text", "") or getattr(getattr(button, "offer", None), "id", "?")
                problems.append(f"'{label}' is {button.width:.0f}x{button.height:.0f} px, needs {min_px:.0f}")
        return problems

    return driver.ui(check)


def main_choices(driver) -> int:
    """The choices in the screen's content (not the header's language and 长辈模式 toggles)."""
    from kiosk.screens.widgets import Header
    from tools.kiosk_journey.driver import tappable

    def count():
        header = [w for w in driver.app.sm.current_screen.walk() if isinstance(w, Header)]
        in_header = {id(b) for h in header for b in tappable(h)}
        return sum(1 for b in tappable(driver.app.sm.current_screen) if id(b) not in in_header and b.opacity > 0 and not b.disabled)

    return driver.ui(count)


def overflowing(driver) -> list[str]:
    """Widgets that stick out of the box laid out for them (too much content for the screen)."""
    from kivy.uix.boxlayout import BoxLayout

    def check():
        problems = []

        def walk(widget):
            for child in widget.children:
                if child.opacity == 0:
                    continue
                if isinstance(widget, BoxLayout) and child.height > 1 and (child.top > widget.top + 1 or child.y < widget.y - 1):
                    what = getattr(child, "text", "")[:24] or type(child).__name__
                    problems.append(f"'{what}' sticks out of its box by {max(child.top - widget.top, widget.y - child.y):.0f} px")
                walk(child)

        walk(driver.app.sm.current_screen)
        return problems

    return driver.ui(check)


def walk_every_screen(d, config, swipe_port, scanner, agent, report) -> None:
    from edge_agent.devices.virtual.printer import virtual_printer_control as control
    from kiosk.screens.theme import ELDER_TARGET_MM, MIN_TARGET_MM, target_px
    from kiosk.texts import text
    from tools.demo_appointments import DemoBookings
    from tools.demo_customers import DEMO_CUSTOMERS
    from tools.kiosk_journey.driver import JourneyError, track_line
    from tools.kiosk_journey.journey import Lobby, diversion_service, make_queue_long, plain_service

    app = d.app
    report.update(targets={}, overflow={}, choices={}, shots=[])

    def visit(screen: str, mode: str, shot: str | None = None) -> None:
        """Check the screen's toggles, touch targets and fit; `shot`: its picture's name when not the screen's."""
        d.wait_screen(screen)
        elder = app.state.elder
        labels = [getattr(b, "text", None) for b in d.buttons()]
        lang = app.state.lang
        if text("switch_lang", lang) not in labels or text("elder_off" if elder else "elder_on", lang) not in labels:
            raise JourneyError(f"the {screen} screen has no language or 长辈模式 toggle: {labels}")
        mm = ELDER_TARGET_MM if elder else MIN_TARGET_MM
        name = f"{shot or screen}-{mode}"
        report["targets"][name] = undersized_targets(d, target_px(mm, config.kiosk.dpi))
        report["overflow"][name] = overflowing(d)
        report["choices"][name] = main_choices(d)
        report["shots"].append(str(d.shot(name)))

    def set_mode(mode: str) -> None:
        lang, elder = MODES[mode]
        if d.ui(lambda: app.state.lang) != lang:
            d.tap_text(d.text("switch_lang"))
        if d.ui(lambda: app.state.elder) != elder:
            d.tap_text(d.text("elder_off" if not elder else "elder_on"))

    def ticket_screen(expected: str = "ticket") -> None:
        d.wait_for(lambda: app.sm.current in ("ticket", "printer_failure") and not app.state.busy, "a ticket")
        shown, ticket = d.ui(lambda: (app.sm.current, app.state.ticket))
        if shown != expected:
            raise JourneyError(f"expected the {expected} screen for {ticket.ticket}, got {shown}; printer: {ticket.printer}")

    def done() -> None:
        d.tap_text(d.text("done"))
        d.wait_screen("home")

    d.wait_screen("home")
    d.wait_for(lambda: app.state.printer_ok, "the printer to report ready", timeout=15)
    d.wait_for(lambda: app.state.home_promotion is not None, "the branch's promotions", timeout=20)
    report["promotions"] = {"home": d.ui(lambda: app.state.home_promotion.title)}
    lobby = Lobby(config)
    # Each mode checks in three bookings of its own: typed on time, scanned too early, scanned too late.
    bookings = DemoBookings(config.branch.id, plain_service(config), datetime.now(config.branch.zone))
    booked = {mode: {case: bookings.add(case) for case in ("on_time", "early", "late")} for mode in MODES}
    for mode in MODES:  # a VIP who booked with their RM, under their name
        booked[mode]["vip"] = bookings.add("on_time", rm="R201")
    try:
        lobby.hold_bookings(bookings)
        make_queue_long(d, lobby, diversion_service(config), config.kiosk.diversion_min_wait_min)
    finally:
        lobby.close()
    report["elder_never_diverted"] = True
    for mode in MODES:
        # A walk-in.
        set_mode(mode)
        visit("home", mode)
        d.tap_service(plain_service(config))
        ticket_screen()
        visit("ticket", mode)
        done()
        # 预约: the entry beside the services, the code typed on the keypad, passes at the scanner.
        set_mode(mode)
        d.tap_text(d.text("appointment_entry") + "  ›")
        visit("appointment", mode)
        d.tap_text(d.text("type_code"))
        code = booked[mode]["on_time"].code
        for digit in code[:3]:
            d.tap_text(digit)
        visit("booking_code", mode)
        for digit in code[3:]:
            d.tap_text(digit)
        d.tap_text(d.text("code_ok"))
        ticket_screen()
        if not (app.state.ticket.appointment and app.state.ticket.appointment.on_time):
            raise JourneyError(f"the typed booking {code} did not give an appointment ticket: {app.state.ticket}")
        visit("ticket", mode, "ticket-appointment")
        done()
        set_mode(mode)
        scanner.show(bookings.pass_link(booked[mode]["early"]))  # on the home screen: a pass works anywhere
        visit("check_in_refused", mode, "check-in-too-early")
        d.tap_text(d.text("walk_in_instead"))
        ticket_screen()
        if app.state.ticket.appointment is not None:
            raise JourneyError("the walk-in ticket offered to an early customer carries the booking")
        done()
        set_mode(mode)
        scanner.show(bookings.pass_link(booked[mode]["vip"]))
        ticket_screen()
        if not (app.state.ticket.customer and app.state.ticket.customer.manager_alerted):
            raise JourneyError(f"the VIP's booking was not greeted by name with the RM told: {app.state.ticket}")
        visit("ticket", mode, "ticket-appointment-vip")
        done()
        set_mode(mode)
        scanner.show(bookings.pass_link(booked[mode]["late"]))
        ticket_screen()
        if not app.state.ticket.appointment or app.state.ticket.appointment.on_time:
            raise JourneyError(f"a late booking did not give a walk-in ticket marked late: {app.state.ticket}")
        visit("ticket", mode, "ticket-late")
        done()
        set_mode(mode)
        scanner.show(bookings.forged_link())
        visit("check_in_refused", mode, "check-in-forged")
        d.tap_text(d.text("back"))
        d.wait_screen("home")
        # A VIP swipes a card: greeted before choosing, and the manager is told with the ticket.
        swipe_port.swipe(track_line(DEMO_CUSTOMERS[0][0], "WANG/XIANSHENG"))
        d.wait_screen("identified")
        set_mode(mode)
        visit("identified", mode)
        report["promotions"]["identified"] = d.ui(lambda: app.state.card_promotion.title if app.state.card_promotion else None)
        d.tap_service(next(s.id for s in config.services if s.tiers))
        ticket_screen()
        if app.state.ticket.customer is None or not app.state.ticket.customer.manager_alerted:
            raise JourneyError("the VIP's ticket has no greeting or the manager was not alerted")
        report["overflow"][f"ticket-vip-{mode}"] = overflowing(d)
        report["shots"].append(str(d.shot(f"ticket-vip-{mode}")))
        done()
        # A card the directory does not know, and a swipe the reader could not read.
        set_mode(mode)
        swipe_port.swipe(track_line(UNKNOWN_CARD, "CHEN/NVSHI"))
        d.wait_for(lambda: app.state.notice is not None and not app.state.busy, "the unknown-card note")
        report["shots"].append(str(d.shot(f"home-unknown-card-{mode}")))
        swipe_port.swipe("%E?;E?")
        d.wait_for(lambda: app.state.notice is not None and "重新刷卡" in app.state.notice[0], "the card-not-read note")
        report["shots"].append(str(d.shot(f"home-swipe-failed-{mode}")))
        # The long queue: self-service suggested, except in 长辈模式.
        d.tap_service(diversion_service(config))
        if MODES[mode][1]:
            ticket_screen()
            report["elder_never_diverted"] &= app.sm.current != "diversion"
            done()
        else:
            visit("diversion", mode)
            d.tap_text(d.text("divert_mobile"))
            report["shots"].append(str(d.shot(f"diverted-{mode}")))
            done()
            set_mode(mode)
            d.tap_service(diversion_service(config))
            d.wait_screen("diversion")
            d.tap_text(d.text("divert_ticket"))
            ticket_screen()
            done()
        # The printer runs out of paper.
        control(config.printer.virtual_dir, "paper_out")
        d.wait_for(lambda: not app.state.printer_ok, "the printer's paper-out state")
        set_mode(mode)
        report["shots"].append(str(d.shot(f"home-printer-out-{mode}")))
        d.tap_service(plain_service(config))
        ticket_screen("printer_failure")
        visit("printer_failure", mode)
        done()  # before waiting for the printer: [kiosk] idle_timeout_s is only 5 s here
        control(config.printer.virtual_dir, "ok")
        d.wait_for(lambda: app.state.printer_ok, "the printer back to ok")

    # Nobody touches the screen: back to the start, in Chinese, after [kiosk] idle_timeout_s.
    set_mode("en")
    d.tap_service(plain_service(config))
    ticket_screen()
    time.sleep(config.kiosk.idle_timeout_s + 1.5)
    report["idle_timeout_went_home"] = d.ui(lambda: app.sm.current == "home" and app.state.lang == "zh")

    # The agent stops cleanly: out of service at once, back by itself when it returns.
    agent.stop()
    d.wait_screen("out_of_service")
    visit("out_of_service", "zh")
    d.tap_text(d.text("switch_lang"))
    visit("out_of_service", "en")
    agent.start()
    d.wait_screen("home", timeout=30)
    report["back_after_clean_stop"] = True

    # The agent hangs mid-request (frozen, its connection still open): "one moment" while the
    # tap is retried, out of service at the deadline, back by itself when the agent moves again.
    os.kill(agent.process.pid, signal.SIGSTOP)
    try:
        d.tap_service(plain_service(config))
        d.wait_for(lambda: bool(app.state.busy), "the busy overlay")
        report["shots"].append(str(d.shot("busy-zh")))
        d.wait_for(lambda: app.state.busy == "busy_one_moment", "one moment, after the first try went unanswered")
        report["shots"].append(str(d.shot("one-moment-zh")))
        report["one_moment"] = True
        d.wait_screen("out_of_service", timeout=config.kiosk.request_deadline_s + 5)
    finally:
        os.kill(agent.process.pid, signal.SIGCONT)
    d.wait_screen("home", timeout=40)
    report["back_after_silence"] = True

    # The agent is killed: the broker's last will says so at once; back when it restarts.
    agent.kill()
    d.wait_screen("out_of_service", timeout=30)
    agent.start()
    d.wait_screen("home", timeout=40)
    report["back_after_kill"] = True


def main(config_path: str, out_dir: str, report_path: str) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from kiosk.app import prepare_kivy_environment
    from kiosk.devices.virtual_scanner import VirtualScanner
    from lobby.config import load_config
    from tests.bus_helpers import AgentProcess
    from tools.kiosk_journey.driver import SwipePort, run_script, with_serial_reader

    config = load_config(config_path)
    swipe_port, scanner = SwipePort(), VirtualScanner()
    config = scanner.fitted_to(with_serial_reader(config, swipe_port.device))
    prepare_kivy_environment(config.kiosk, fullscreen=False, offscreen=True)
    from kiosk.touchscreen import KioskApp

    agent = AgentProcess(Path(config_path), env=AGENT_ENV)
    agent.start()
    report: dict = {}
    try:
        run_script(KioskApp(config), lambda d: walk_every_screen(d, config, swipe_port, scanner, agent, report), Path(out_dir))
    finally:
        agent.stop()
        swipe_port.close()
        scanner.close()
        Path(report_path).write_text(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
