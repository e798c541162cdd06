"""Counter displays: the bytes, the fit to 20 columns, and the display over a real pty."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.devices.display.counter_display import CounterDisplay, fit, frame, serving_lines
from edge_agent.devices.printer.ticket_layout import columns_of
from edge_agent.devices.virtual.display import VirtualCounterDisplay, start_virtual_display
from lobby.device_settings import CounterDisplaySettings


def test_frame_bytes_exactly():
    assert frame("A023", "Now serving A023", "ascii") == (
        b"\x1f\x24\x01\x01" + b" " * 8 + b"A023" + b" " * 8  # US $ 1 1, centred in 20 columns
        + b"\x1f\x24\x01\x02" + b"  Now serving A023  "
    )
    assert frame("请 A023 号", "", "gb18030") == (
        b"\x1f\x24\x01\x01" + b" " * 5 + "请 A023 号".encode("gb18030") + b" " * 5 + b"\x1f\x24\x01\x02" + b" " * 20
    )


def test_fit_counts_chinese_as_two_columns_and_falls_back_to_ascii():
    assert fit("请 A023 号到三号窗口，谢谢您的耐心", "gb18030") == "请 A023 号到三号窗口"  # exactly 20 columns
    assert fit("请 A023 号", "ascii") == " " * 8 + "A023" + " " * 8
    assert fit("", "ascii") == " " * 20


@given(st.text(alphabet=st.sampled_from("aZ0 请号，１"), max_size=40), st.sampled_from(["gb18030", "ascii"]))
def test_fit_is_always_exactly_twenty_columns(text, charset):
    fitted = fit(text, charset)
    assert columns_of(fitted) == 20
    fitted.encode("gb18030" if charset == "gb18030" else "ascii")


def test_settings():
    assert CounterDisplaySettings(counter="3", port="virtual").id == "display-3"
    with pytest.raises(ValueError, match="not a rate customer displays use"):
        CounterDisplaySettings(counter="3", port="virtual", baudrate=115201)
    with pytest.raises(ValueError, match="not a device path"):
        CounterDisplaySettings(counter="3", port="ttyUSB0")


@pytest.fixture
def virtual(tmp_path):
    display, _ = start_virtual_display(CounterDisplaySettings(counter="3", port="virtual"), tmp_path)
    yield display
    display.stop()


@pytest.fixture
def display(virtual):
    driver = CounterDisplay(CounterDisplaySettings(counter="3", port=str(virtual.link), brightness=3))
    driver.published = []
    driver.add_listener(lambda device_id, payload: driver.published.append((device_id, payload)))
    driver.start()
    yield driver
    driver.stop()


def test_virtual_display_shows_what_the_driver_sends(display, virtual, artifacts_root):
    display.show(*serving_lines("A023"))
    assert display.wait_idle()
    assert virtual.wait_for(lambda lines: lines == ["     请 A023 号     ", "  Now serving A023  "])
    assert virtual.brightness == 3
    (artifacts_root / "display").mkdir(parents=True, exist_ok=True)
    virtual.render(artifacts_root / "display" / "counter-3.png")
    display.brightness(1)
    display.clear()
    assert display.wait_idle()
    assert virtual.wait_for(lambda lines: lines == [" " * 20, " " * 20]) and virtual.brightness == 1
    assert display.published[-1] == ("display-3", display.state_payload())
    assert display.state_payload()["kind"] == "counter_display" and display.state_payload()["status"] == "ok"


def test_replugged_display_shows_the_current_ticket_again(display, virtual):
    display.show(*serving_lines("B101"))
    assert virtual.wait_for(lambda lines: "B101" in lines[1])
    virtual.unplug()
    assert virtual.lines == [" " * 20, " " * 20]
    deadline = time.monotonic() + 5
    while display.state_payload()["connection"] != "error":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    display.show(*serving_lines("B102"))  # called while the display is away: nothing blocks
    virtual.plug()
    assert virtual.wait_for(lambda lines: "B102" in lines[1], timeout=5)
    assert display.state_payload()["status"] == "ok"


def test_display_that_is_gone_is_reported_and_never_raises(tmp_path):
    display = CounterDisplay(CounterDisplaySettings(counter="9", port=str(tmp_path / "nothing")))
    display.start()
    try:
        started = time.monotonic()
        display.show("x", "y")
        # show() hands the lines to the display's own writer: it returns long before any of
        # the port's timeouts (2 s), so a missing display never holds up a call.
        assert time.monotonic() - started < 1.0
        assert display.wait_idle() is False
        state = display.state_payload()
        assert (state["status"], state["connection"]) == ("offline", "error")
        assert "The display of counter 9 cannot be opened" in state["detail"]
        with pytest.raises(ValueError, match="brightness is 1"):
            display.brightness(9)
    finally:
        display.stop()


def test_virtual_display_keeps_a_character_split_between_reads(tmp_path):
    virtual = VirtualCounterDisplay(tmp_path, "5")
    virtual.start()
    try:
        encoded = "号".encode("gb18030")
        with open(virtual.link, "wb", buffering=0) as agent_side:
            agent_side.write(b"\x1f\x24\x01\x01" + encoded[:1])
            time.sleep(0.1)
            agent_side.write(encoded[1:])
        assert virtual.wait_for(lambda lines: lines[0].startswith("号"))
    finally:
        virtual.stop()


def test_the_counter_display_follows_calls_and_asks_for_a_rating():
    from edge_agent.devices.display.counter_display import rating_lines
    from edge_agent.outputs import counter_screen

    assert counter_screen("events/called", {"counter": "3", "ticket": "A013"}) == ("3", serving_lines("A013"))
    assert counter_screen("events/served", {"counter": "3"}) == ("3", None)
    assert counter_screen("events/rating_prompt", {"counter": "3", "state": "open"}) == ("3", rating_lines())
    assert counter_screen("events/rating_prompt", {"counter": "3", "state": "closed"}) == ("3", None)
    assert counter_screen("events/arrival", {"ticket": "A014"}) is None
    assert fit(rating_lines()[0], "gb18030").strip() == "请对本次服务评价"  # fits the 20 columns whole
    assert fit(rating_lines()[1], "ascii").strip() == "Please rate us"
