"""Starting the kiosk: its environment, what a technician sees when set-up is wrong, the card feed."""

from __future__ import annotations

import logging
import os
import threading

from kiosk.card_feed import CardFeed
from lobby.device_settings import CardReaderSettings
from tests.kiosk.swipes import Swipes


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
