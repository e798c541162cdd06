"""Card swipes: the ISO/IEC 7813 parser under fuzzing and a malformed corpus, the readers, and no leaks."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading
import time

from kiosk.devices.card_readers import SerialReader
from kiosk.devices.tracks import SwipeError
from lobby.contract import CardIdentity
from lobby.device_settings import CardReaderSettings
from tests.kiosk.swipes import KEY, TEST_PANS, track2


def test_serial_reader_over_a_real_pty():
    master, slave = pty.openpty()
    os.system(f"stty -F {os.ttyname(slave)} raw -echo")
    reader = SerialReader(CardReaderSettings(kind="serial", device=os.ttyname(slave), swipe_timeout_ms=200), KEY)
    got = []

    def collect():
        for swipe in reader.swipes():
            got.append(swipe)
            if len(got) == 2:
                return

    thread = threading.Thread(target=collect, daemon=True)
    thread.start()
    os.write(master, b";62220212")  # a partial swipe, then silence
    time.sleep(0.5)
    os.write(master, track2("4111111111111111").encode() + b"\r\n;E?\r\n")
    thread.join(5)
    reader.close()
    os.close(master)
    assert isinstance(got[0], CardIdentity) and got[0].masked_pan == "411111******1111"
    assert isinstance(got[1], SwipeError) and got[1].reason == "read_failed"


def test_card_test_command_leaks_no_card_number(branch_toml, tmp_path):
    swipes = "\n".join(
        [f"%B{pan}^WANG/XIANSHENG^2812101?" + track2(pan, "2812") for pan in TEST_PANS] + [";E?", track2("6222021234567890127")]
    )
    env = {**os.environ, "LOBBY_ARTIFACTS": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "--config", str(branch_toml), "card-test", "--stdin"],
        input=swipes, capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["ok"] for line in lines] == [True, True, True, False, False]
    assert lines[0]["masked_pan"] == "622202*********0128" and len(lines[0]["token"]) == 64
    written = result.stdout + result.stderr + "".join(
        p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".toml"
    )
    for pan in TEST_PANS + ["6222021234567890127"]:
        assert pan not in written
        assert not re.search(pan[:9], written.replace(pan[:6] + "*", "")), "9+ consecutive card digits leaked"
