"""What a technician runs to check the announcements: `edge-agent voice say|build-pack`.

Each function returns (exit code, text to print): 0 done, 1 the device or pack failed,
2 the request itself was wrong.
"""

from __future__ import annotations

from edge_agent.devices.voice.announcer import Announcer, VoicePackError, build_default_pack, parse_phrase
from lobby.device_settings import VoiceSettings


def voice_say(settings: VoiceSettings, text: str) -> tuple[int, str]:
    """Announce a call written as the displays write it, e.g. 请A023号到3号窗口."""
    try:
        label, counter = parse_phrase(text)
    except ValueError as exc:
        return 2, str(exc)
    try:
        announcer = Announcer(settings)
    except VoicePackError as exc:
        return 1, str(exc)
    announcer.announce_call(label, counter)
    announcer.wait_idle()
    announcer.stop()
    if not announcer.played:
        return 1, "the announcement failed; see the messages above"
    where = "played on the sound card" if announcer.mode == "aplay" else f"written to {announcer.played[-1]}"
    return 0, f"{label} to counter {counter}: {where}"


def voice_build_pack(settings: VoiceSettings) -> tuple[int, str]:
    try:
        pack = build_default_pack(settings.pack_dir)
    except VoicePackError as exc:
        return 1, str(exc)
    return 0, f"default voice pack written to {pack}; replace any clip with a recording in the same WAV format"
