"""Starting the kiosk: its environment, what a technician sees when set-up is wrong, the card feed."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from kiosk.card_feed import CardFeed
from kiosk.devices.tracks import SwipeError
from lobby.contract import CardIdentity
from lobby.device_settings import CardReaderSettings
from tools.demo_customers import DEMO_CUSTOMERS
from tools.kiosk_journey.driver import SwipePort, track_line

REPO = Path(__file__).resolve().parent.parent


def run_kiosk_in_child(config: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_WINDOW": "sdl2"}
    env.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-c", f"import sys; from kiosk.app import run_kiosk; sys.exit(run_kiosk({str(config)!r}))"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )


def test_a_missing_configuration_is_reported_in_one_sentence(tmp_path):
    done = run_kiosk_in_child(tmp_path / "nowhere.toml", tmp_path)
    assert done.returncode == 1
    assert "does not exist; copy config/branch.example.toml" in done.stderr


def test_missing_broker_credentials_are_reported_before_anything_is_shown(branch_toml, tmp_path):
    done = run_kiosk_in_child(branch_toml, tmp_path)
    assert done.returncode == 1
    assert "kiosk: no broker credentials at" in done.stderr and "edge-agent broker setup" in done.stderr


def test_kivy_environment_for_an_offscreen_kiosk(monkeypatch, branch_config):
    from kiosk.app import prepare_kivy_environment

    for name in ("KIVY_NO_CONFIG", "SDL_VIDEODRIVER", "KIVY_WINDOW", "DISPLAY", "WAYLAND_DISPLAY", "KCFG_INPUT_MOUSE", "KCFG_GRAPHICS_MULTISAMPLES"):
        monkeypatch.delenv(name, raising=False)
    prepare_kivy_environment(branch_config.kiosk, fullscreen=True)
    env = os.environ
    assert (env["SDL_VIDEODRIVER"], env["KIVY_WINDOW"]) == ("offscreen", "sdl2")
    assert (env["KCFG_GRAPHICS_WIDTH"], env["KCFG_GRAPHICS_HEIGHT"]) == ("1080", "1920")
    assert env["KCFG_GRAPHICS_FULLSCREEN"] == "0"  # no display: nothing to fill
    assert env["KCFG_KIVY_EXIT_ON_ESCAPE"] == "0" and env["KIVY_NO_ARGS"] == "1"
    assert env["KCFG_GRAPHICS_MULTISAMPLES"] == "0"  # see bench/kiosk_bench.py: a third of each software-GL frame
    assert env["KIVY_NO_CONFIG"] == "1"  # settings from branch.toml only; nothing written


def test_kivy_environment_on_a_display_is_fullscreen(monkeypatch, branch_config):
    from kiosk.app import prepare_kivy_environment

    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    prepare_kivy_environment(branch_config.kiosk, fullscreen=True)
    assert os.environ["KCFG_GRAPHICS_FULLSCREEN"] == "auto"
    assert "SDL_VIDEODRIVER" not in os.environ


class Swipes:
    def __init__(self):
        self.seen: list = []
        self.arrived = threading.Condition()

    def __call__(self, swipe):
        with self.arrived:
            self.seen.append(swipe)
            self.arrived.notify_all()

    def wait(self, count: int) -> list:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.seen) >= count, 10), f"only {len(self.seen)} swipes arrived"
            return self.seen


def test_card_feed_reads_a_serial_reader_and_lets_only_token_and_masked_number_out(branch_config, caplog):
    caplog.set_level(logging.DEBUG)
    port = SwipePort()
    swipes = Swipes()
    feed = CardFeed(CardReaderSettings(kind="serial", device=port.device), branch_config.security.key_file, swipes)
    feed.start()
    pan = DEMO_CUSTOMERS[0][0]
    try:
        # Opening a serial port flushes what was waiting in it: swipe once the reader is there.
        for _ in range(100):
            if "is ready" in caplog.text:
                break
            threading.Event().wait(0.05)
        port.swipe(track_line(pan, "WANG/XIANSHENG"))
        port.swipe("%E?;E?")
        card, failed = swipes.wait(2)
    finally:
        feed.stop()
        port.close()
    assert isinstance(card, CardIdentity) and card.masked_pan == "622202*********0128"
    assert isinstance(failed, SwipeError) and failed.message_en == "We could not read your card. Please swipe again."
    assert pan not in caplog.text and pan not in repr(swipes.seen)


def test_a_missing_card_reader_is_logged_for_the_technician_and_tried_again(branch_config, caplog, tmp_path):
    caplog.set_level(logging.INFO)
    feed = CardFeed(CardReaderSettings(kind="serial", device=str(tmp_path / "ttyUSB9")), branch_config.security.key_file, Swipes())
    feed.start()
    try:
        threading.Event().wait(0.5)
    finally:
        feed.stop()
    assert "card reader (serial) on" in caplog.text and "trying again in 5 s" in caplog.text


def test_no_card_reader_configured_means_touch_only(branch_config, caplog):
    caplog.set_level(logging.INFO)
    CardFeed(CardReaderSettings(kind="none"), branch_config.security.key_file, Swipes()).start()
    assert "touch only" in caplog.text
