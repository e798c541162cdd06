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
from tests.conftest import REPO
from tests.kiosk.swipes import Swipes
from tools.demo_customers import DEMO_CUSTOMERS
from tools.kiosk_journey.driver import SwipePort, track_line


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


