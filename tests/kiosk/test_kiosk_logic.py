"""The kiosk's pure parts: texts, the service menu, diversion, line breaks, contrast, availability.

No Kivy window here (see test_kiosk_screens.py for the rendered app).
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from edge_agent.outputs import print_job_for
from kiosk.agent_link import Availability
from kiosk.line_breaks import NO_LINE_END, NO_LINE_START, break_lines, units
from kiosk.screens import theme
from kiosk.service_menu import ServiceOffer, ahead_line, offers, should_divert, wait_line, waiting_line
from kiosk.texts import LANGS, TEXTS, text
from lobby.config import KioskSection, load_config
from lobby.contract import QueueState, TicketAnswer
from lobby.fonts import cjk_font_path
from lobby.waits import minutes
from tests.conftest import EXAMPLE_CONFIG

EXAMPLE = load_config(EXAMPLE_CONFIG)


def queue_state(**services) -> QueueState:
    return QueueState.model_validate(
        {
            "at": datetime(2026, 11, 23, 9, 41, tzinfo=UTC),
            "services": {
                sid: {"waiting": w, "longest_wait_s": 0, "eta_s": eta, "eta_range_s": None if eta is None else [eta // 2, eta * 2],
                      "target_wait_s": 900, "counters_open": 1 if eta is not None else 0}
                for sid, (w, eta) in services.items()
            },
            "counters": {},
        }
    )


def offer(eta_s: int | None, capable: bool = True, waiting: int = 3) -> ServiceOffer:
    return ServiceOffer("cash", "个人现金", "Cash", False, capable, waiting, eta_s)


# ---- texts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_text_exists_in_both_languages_with_the_same_placeholders(key):
    zh, en = TEXTS[key]
    assert zh.strip() and en.strip()
    fields = [{f for _, f, _, _ in string.Formatter().parse(s) if f} for s in (zh, en)]
    assert fields[0] == fields[1], f"{key}: placeholders differ between Chinese and English"
    if key != "switch_lang":  # the toggle names the other language in that language: 中文
        assert not re.search(r"[\u4e00-\u9fff]", en), f"{key}: Chinese characters in the English text"


def test_text_fills_placeholders():
    assert text("greeting", "zh", name="王先生") == "王先生您好"
    assert text("greeting", "en", name="王先生") == "Welcome, 王先生"
    assert LANGS == ("zh", "en")


# ---- which services, and what each button says --------------------------------------------------


def test_walk_ins_never_see_tier_restricted_services(branch_config):
    shown = [o.id for o in offers(branch_config.services, None)]
    assert "wealth" not in shown and shown == ["cash", "noncash", "corporate", "enquiry"]


def test_an_identified_customer_sees_what_the_agent_offers_their_tier(branch_config):
    shown = offers(branch_config.services, None, offered=["cash", "wealth"])
    assert [o.id for o in shown] == ["cash", "wealth"]
    assert [o.restricted for o in shown] == [False, True]


def test_offers_carry_the_live_queue(branch_config):
    shown = {o.id: o for o in offers(branch_config.services, queue_state(cash=(4, 600), noncash=(0, None)))}
    assert (shown["cash"].waiting, shown["cash"].eta_s, shown["cash"].eta_min) == (4, 600, 10)
    assert shown["noncash"].eta_s is None
    assert shown["corporate"].waiting is None  # not in queue/state (yet)


@pytest.mark.parametrize(
    ("waiting", "eta", "zh", "en"),
    [
        (None, None, "正在获取排队人数", "Checking the queue"),
        (3, None, "3 人等候 · 窗口暂未开放", "3 waiting · counters not open yet"),
        (0, 0, "无需等候", "No queue"),
        (4, 600, "4 人等候 · 约 10 分钟", "4 waiting · about 10 min"),
        (1, 20, "1 人等候 · 约 1 分钟", "1 waiting · about 1 min"),
    ],
)
def test_waiting_line(waiting, eta, zh, en):
    o = ServiceOffer("cash", "个人现金", "Cash", False, True, waiting, eta)
    assert (waiting_line(o, "zh"), waiting_line(o, "en")) == (zh, en)


def test_minutes_never_say_zero_for_a_real_wait():
    assert [minutes(s) for s in (0, 1, 29, 31, 89, 91, 600)] == [0, 1, 1, 1, 1, 2, 10]


# ---- 二次分流 ------------------------------------------------------------------------------------


def test_diversion_only_for_long_queues_that_self_service_can_do():
    kiosk = KioskSection(diversion_min_wait_min=15)
    assert should_divert(offer(15 * 60), kiosk, elder=False)
    assert not should_divert(offer(15 * 60 - 1), kiosk, elder=False)
    assert not should_divert(offer(3600, capable=False), kiosk, elder=False)
    assert not should_divert(offer(None), kiosk, elder=False)  # nobody can say how long
    assert not should_divert(offer(3600), kiosk, elder=True)  # 长辈模式: straight to a ticket


# ---- the ticket's lines ----------------------------------------------------------------------------


def test_ahead_line():
    assert [ahead_line(n, "zh") for n in (0, 1, 5)] == ["您是下一位", "前面还有 1 位", "前面还有 5 位"]
    assert [ahead_line(n, "en") for n in (0, 1, 5)] == ["You are next", "1 person ahead of you", "5 people ahead of you"]


@given(st.integers(0, 4 * 3600), st.integers(0, 4 * 3600))
def test_the_screen_shows_the_same_minutes_as_the_paper_ticket(a, b):
    low, high = sorted((a, b))
    answer = TicketAnswer(
        ticket="A013", ticket_id="20261123-A013", service="cash", service_zh="个人现金", service_en="Cash", tier="mass", ahead=4,
        issued_at="2026-11-23T09:41:07+08:00", eta_range_s=(low, high), customer=None,
    )
    job = print_job_for(EXAMPLE, answer)
    line = wait_line([low, high], "en")
    if high == 0:
        assert line == "A counter is free: you are called now" and job.wait_high_min == 0
    elif job.wait_low_min >= job.wait_high_min:
        assert line == f"Estimated wait about {job.wait_high_min} min"
    else:
        assert line == f"Estimated wait {job.wait_low_min}–{job.wait_high_min} min"


def test_no_wait_range_when_no_counter_is_open():
    assert wait_line(None, "zh") == "窗口开放后将按顺序叫号"


# ---- line breaking for Chinese and English ------------------------------------------------------------

MIXED = st.text(alphabet=st.sampled_from(list("王先生您好请选择业务，。、（）：？！ 18 abc Please choose.")), max_size=80)


@settings(max_examples=2000)
@given(MIXED, st.integers(1, 30))
@example("（ 1", 1)  # found by a fresh clone: a space after opening punctuation let the line end on it
@example("1  、", 1)  # and two spaces before closing punctuation let a line start with it
def test_line_breaks_keep_every_character_and_never_start_a_line_with_closing_punctuation(sentence, width):
    lines = break_lines(sentence, lambda line: len(line) <= width)
    assert "".join(lines).replace(" ", "") == sentence.replace(" ", "")
    for line in lines:
        assert len(line) <= width or len(units(line)) == 1, f"{line!r} is too long and could have been broken"
    for before, after in zip(lines, lines[1:], strict=False):
        if after:
            assert after[0] not in NO_LINE_START, f"{after!r} starts with closing punctuation"
        if before:
            assert before[-1] not in NO_LINE_END, f"{before!r} ends with opening punctuation"


def test_line_breaks_on_a_real_sentence():
    sentence = text("divert_body", "zh", minutes=18)
    lines = break_lines(sentence, lambda line: len(line) <= 20)
    assert lines == ["这项业务在自助服务区或手机银行即可办理，", "无需排队，可为您节省约 18 分钟。"]
    assert break_lines("Please take your ticket below", lambda line: len(line) <= 12) == ["Please take", "your ticket", "below"]


# ---- look ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", sorted(theme.CONTRAST_PAIRS))
def test_every_text_colour_reaches_wcag_aaa_contrast(pair):
    fg, bg = theme.CONTRAST_PAIRS[pair]
    assert theme.contrast_ratio(fg, bg) >= 7.0


def test_touch_target_in_pixels():
    assert theme.target_px(15, 160) == pytest.approx(94.49, abs=0.01)
    assert theme.target_px(25.4, 300) == pytest.approx(300)


def test_the_chinese_font_is_installed():
    assert cjk_font_path().exists(), "install fonts-wqy-microhei"


# ---- is the agent there? --------------------------------------------------------------------------------


def test_availability_needs_the_broker_and_an_online_agent():
    a = Availability()
    assert not a.available
    a.on_connection(True)
    assert not a.available
    a.on_agent_state(b'{"state":"online","since":"1"}', online=True)
    assert a.available
    a.on_agent_state(b'{"state":"offline","since":"1"}', online=False)
    assert not a.available
    a.on_agent_state(b'{"state":"online","since":"2"}', online=True)
    a.on_connection(False)
    assert not a.available


def test_a_silent_agent_needs_a_fresh_sign_of_life_not_a_retained_copy():
    a = Availability()
    a.on_connection(True)
    a.on_agent_state(b'{"state":"online","since":"1"}', online=True)
    a.on_queue_state(b'{"at":"09:00"}')
    a.on_unanswered()
    assert not a.available
    # After a reconnect the broker hands out the same retained messages again: not proof of life.
    a.on_connection(False)
    a.on_connection(True)
    a.on_agent_state(b'{"state":"online","since":"1"}', online=True)
    a.on_queue_state(b'{"at":"09:00"}')
    assert not a.available
    a.on_queue_state(b'{"at":"09:00:30"}')  # the agent's 30 s refresh
    assert a.available


def test_a_restarted_agent_is_a_sign_of_life():
    a = Availability()
    a.on_connection(True)
    a.on_agent_state(b'{"state":"online","since":"1"}', online=True)
    a.on_unanswered()
    a.on_agent_state(b'{"state":"offline","since":"1"}', online=False)
    a.on_agent_state(b'{"state":"online","since":"2"}', online=True)
    assert a.available


def test_an_agent_state_not_heard_for_three_heartbeats_is_stale():
    """A broker restarted after the agent died restores the retained "online"; only the
    silence that follows tells the kiosk the agent is gone."""
    a = Availability()
    a.on_connection(True)
    a.on_agent_state(b'{"state":"online","since":"1","heartbeat_at":"a"}', online=True, stale_after_s=30, now=100.0)
    a.on_clock(129.9)
    assert a.available
    a.on_clock(130.1)
    assert not a.available and a.stale
    a.on_agent_state(b'{"state":"online","since":"1","heartbeat_at":"b"}', online=True, stale_after_s=30, now=131.0)
    assert a.available  # the next heartbeat
    a.on_agent_state(b'{"state":"offline","since":"1"}', online=False, stale_after_s=None, now=132.0)
    a.on_clock(10_000.0)
    assert not a.available and not a.stale  # offline is offline, not stale


def test_an_agent_state_without_a_heartbeat_never_goes_stale():
    a = Availability()
    a.on_connection(True)
    a.on_agent_state(b'{"state":"online","since":"1"}', online=True, stale_after_s=None, now=0.0)
    a.on_clock(1e9)
    assert a.available


@given(st.integers(0, 4 * 3600), st.integers(0, 4 * 3600), st.integers(0, 4 * 3600))
def test_paper_and_screen_show_the_same_middle_figure_inside_the_same_range(a, b, c):
    low, middle, high = sorted((a, b, c))
    answer = TicketAnswer(
        ticket="A013", ticket_id="20261123-A013", service="cash", service_zh="个人现金", service_en="Cash", tier="mass", ahead=4,
        issued_at="2026-11-23T09:41:07+08:00", eta_s=middle, eta_range_s=(low, high), customer=None,
    )
    job = print_job_for(EXAMPLE, answer)
    line = wait_line([low, high], "en", middle)
    if high == 0:
        assert line == "A counter is free: you are called now" and job.wait_high_min == 0
    elif job.wait_low_min >= job.wait_high_min:
        assert line == f"Estimated wait about {job.wait_high_min} min"
    else:
        assert job.wait_mid_min is not None and job.wait_low_min <= job.wait_mid_min <= job.wait_high_min
        assert line == f"Estimated wait about {job.wait_mid_min} min ({job.wait_low_min}–{job.wait_high_min})"
