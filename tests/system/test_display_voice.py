"""Spoken calls built from a real espeak-ng voice pack (the counter displays are in test_display.py)."""

from __future__ import annotations

import json
import shutil
import wave
from pathlib import Path

import pytest

from edge_agent.devices.voice.announcer import (
    Announcer,
    VoicePack,
    VoicePackError,
    build_default_pack,
    call_tokens,
    chinese_number,
    parse_phrase,
)
from lobby.device_settings import VoiceSettings


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


def test_wait_idle_answers_every_time_even_when_the_worker_is_faster(pack, tmp_path):
    """The marker carries its own Event: an idle worker that takes it at once cannot miss it,
    read an older one, or die of an attribute not set yet (the announcer did, before)."""
    announcer = Announcer(voice(pack, tmp_path / "out"))
    try:
        for _ in range(300):
            assert announcer.wait_idle(timeout=5) is True
        assert announcer._thread.is_alive()
        announcer.announce_call("A001", "1")
        assert announcer.wait_idle(timeout=30) and len(announcer.played) == 1
    finally:
        announcer.stop()
