"""Counter displays over real ptys, and spoken calls built from a real espeak-ng voice pack."""

from __future__ import annotations

import json
import shutil
import time
import wave
from pathlib import Path

import pytest

from edge_agent.devices.counter_display import CounterDisplay, VirtualCounterDisplay, fit, frame, serving_lines
from edge_agent.devices.settings import CounterDisplaySettings, VoiceSettings
from edge_agent.devices.voice import Announcer, VoicePack, VoicePackError, build_default_pack, call_tokens, chinese_number, parse_phrase


def test_display_frame_bytes():
    assert frame("A023", "Now serving A023", "ascii") == (
        b"\x0c" + b"\x1f\x24\x01\x01" + b"A023" + b" " * 16 + b"\x1f\x24\x01\x02" + b"Now serving A023" + b" " * 4
    )
    assert fit("请 A023 号到三号窗口，谢谢您的耐心", "gb18030") == "请 A023 号到三号窗口"  # exactly 20 columns, CJK = 2
    assert fit("请 A023 号", "ascii").strip() == "A023"


def test_virtual_display_shows_what_the_driver_sends(tmp_path, artifacts_root):
    virtual = VirtualCounterDisplay(tmp_path, "3")
    display = CounterDisplay(CounterDisplaySettings(counter="3", port=str(virtual.link)))
    display.start()
    try:
        assert display.show(*serving_lines("A023"))
        deadline = time.monotonic() + 3
        while virtual.lines[1].strip() != "Now serving A023":
            assert time.monotonic() < deadline, virtual.lines
            time.sleep(0.02)
        assert virtual.lines[0].strip() == "请 A023 号"
        (artifacts_root / "display").mkdir(exist_ok=True)
        virtual.render(artifacts_root / "display" / "counter-3.png")
        assert display.clear()
        deadline = time.monotonic() + 3
        while virtual.lines[0].strip():
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        display.stop()
        virtual.stop()


def test_display_that_is_gone_does_not_raise(tmp_path):
    display = CounterDisplay(CounterDisplaySettings(counter="9", port=str(tmp_path / "nothing")))
    display.start()
    assert display.show("x", "y") is False
    display.stop()


@pytest.fixture(scope="session")
def pack(tmp_path_factory) -> Path:
    return build_default_pack(tmp_path_factory.mktemp("voice"))


def voice(pack: Path, out: Path, **extra) -> VoiceSettings:
    return VoiceSettings(**{"pack_dir": pack, "output": "file", "out_dir": out, "gap_ms": 50, **extra})


def test_phrases():
    assert call_tokens("A023", "3") == ["请", "A", "0", "2", "3", "号", "到", "3", "号窗口"]
    assert chinese_number(12) == ["十", "2"] and chinese_number(20) == ["2", "十"] and chinese_number(35) == ["3", "十", "5"]
    assert call_tokens("VB1000", "10")[:7] == ["请", "V", "B", "1", "0", "0", "0"]
    assert parse_phrase("请A023号到3号窗口") == ("A023", "3") and parse_phrase("A023 3") == ("A023", "3")
    with pytest.raises(ValueError, match="no clip for '室', '宾', '贵'"):
        parse_phrase("请A023号到贵宾室")


def duration_frames(path: Path) -> int:
    with wave.open(str(path)) as clip:
        return clip.getnframes()


def test_joined_announcement_is_every_clip_and_gap(pack, tmp_path):
    loaded = VoicePack(pack)
    tokens = call_tokens("A023", "3")
    out = loaded.join(tokens, 50, tmp_path / "call.wav")
    clips = sum(len(loaded.frames(t)) // 2 for t in tokens)
    gaps = (len(tokens) - 1) * (loaded.format.rate * 50 // 1000)
    assert duration_frames(out) == clips + gaps
    assert 1.5 < duration_frames(out) / loaded.format.rate < 7


def test_two_quick_calls_give_two_complete_announcements_in_order(pack, tmp_path, artifacts_root):
    announcer = Announcer(voice(pack, tmp_path / "out"))
    announcer.announce_call("A023", "3")
    announcer.announce_call("B007", "4")
    announcer.announce_recall("A023", "3")
    announcer.wait_idle()
    announcer.stop()
    names = [p.name for p in announcer.played]
    assert names == ["announcement-0001-A023-3.wav", "announcement-0002-B007-4.wav", "announcement-0003-A023-3.wav"]
    loaded = VoicePack(pack)
    single = loaded.join(call_tokens("A023", "3"), 50, tmp_path / "single.wav")
    assert duration_frames(announcer.played[0]) == duration_frames(single)  # complete, not cut
    assert duration_frames(announcer.played[2]) > 2 * duration_frames(single)  # a recall repeats
    (artifacts_root / "voice").mkdir(exist_ok=True)
    shutil.copy(announcer.played[0], artifacts_root / "voice" / "call-A023-3.wav")


def test_a_banks_own_recording_replaces_a_clip(pack, tmp_path):
    own = tmp_path / "own-pack"
    shutil.copytree(pack, own)
    manifest = json.loads((own / "manifest.json").read_text())
    with wave.open(str(own / manifest["请"])) as clip:
        params = clip.getparams()
    with wave.open(str(own / "qing-recorded.wav"), "wb") as clip:
        clip.setparams(params)
        clip.writeframes(b"\x01\x00" * params.framerate)  # one second of "recording"
    manifest["请"] = "qing-recorded.wav"
    (own / "manifest.json").write_text(json.dumps(manifest))
    assert len(VoicePack(own).frames("请")) == params.framerate * 2


def test_broken_packs_are_explained(pack, tmp_path):
    with pytest.raises(VoicePackError, match="run `edge-agent voice build-pack`"):
        VoicePack(tmp_path / "empty")
    broken = tmp_path / "broken"
    shutil.copytree(pack, broken)
    manifest = json.loads((broken / "manifest.json").read_text())
    (broken / manifest["号"]).unlink()
    with pytest.raises(VoicePackError, match="clip for '号' is missing"):
        VoicePack(broken)
    shutil.copy(pack / manifest["号"], broken / manifest["号"])
    with wave.open(str(broken / manifest["到"]), "wb") as clip:
        clip.setnchannels(1), clip.setsampwidth(2), clip.setframerate(8000), clip.writeframes(b"\x00\x00" * 80)
    with pytest.raises(VoicePackError, match="every clip must match"):
        VoicePack(broken)


def test_failing_player_does_not_stop_the_queue(pack, tmp_path, caplog):
    announcer = Announcer(voice(pack, tmp_path / "out", output="aplay"), player="/nonexistent/aplay")
    announcer.announce_call("A001", "1")
    announcer.announce_call("A002", "2")
    announcer.wait_idle()
    announcer.stop()
    assert announcer.played == []
    assert sum("could not announce" in r.message for r in caplog.records) == 2
