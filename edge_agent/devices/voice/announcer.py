"""Spoken calls: "请 A 零 二 三 号 到 三 号窗口", built from a voice pack of clips.

The pack is a folder of WAV clips and a `manifest.json` (token -> file). The default pack
is generated offline with espeak-ng (Mandarin through the `cmn-latn-pinyin` voice, which
reads tone numbers correctly); a bank may replace any clip with its own recording of the
same format. Phrases are built as pure code and joined with the stdlib `wave`; the
announcer plays them one after another on ALSA (`aplay`) or writes them to files when the
box has no sound card. An announcement never cuts another one off.
"""

from __future__ import annotations

import array
import json
import logging
import queue
import re
import shutil
import subprocess
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

from lobby.device_settings import VoiceSettings

log = logging.getLogger(__name__)

ZH_DIGITS = dict(zip("0123456789", ["ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"], strict=False))
ZH_WORDS = {"十": "shi2", "请": "qing3", "号": "hao4", "到": "dao4", "号窗口": "hao4 chuang1 kou3"}
EN_WORDS = {"en:number": "number", "en:please go to counter": "please go to counter"}
EN_DIGITS = dict(zip("0123456789", "zero one two three four five six seven eight nine".split(), strict=False))
LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1)]


class VoicePackError(Exception):
    pass


@dataclass(frozen=True)
class ClipFormat:
    channels: int
    sample_width: int
    rate: int


def default_pack_sources() -> dict[str, tuple[str, str]]:
    """token -> (espeak voice, text)."""
    sources = {d: ("cmn-latn-pinyin", p) for d, p in ZH_DIGITS.items()}
    sources |= {w: ("cmn-latn-pinyin", p) for w, p in ZH_WORDS.items()}
    sources |= {letter: ("en", letter) for letter in LETTERS}
    sources |= {w: ("en", t) for w, t in EN_WORDS.items()}
    sources |= {f"en:{d}": ("en", t) for d, t in EN_DIGITS.items()}
    return sources


def build_default_pack(pack_dir: Path) -> Path:
    """Generate every clip with espeak-ng (no network, no sound card needed)."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise VoicePackError("espeak-ng is not installed: install the Debian package espeak-ng, or copy a recorded voice pack")
    pack_dir = Path(pack_dir)
    pack_dir.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for index, (token, (voice, text)) in enumerate(sorted(default_pack_sources().items())):
        name = f"clip-{index:03d}.wav"
        subprocess.run([espeak, "-v", voice, "-s", "160", "-w", str(pack_dir / name), text], check=True, capture_output=True)
        _trim_silence(pack_dir / name)
        manifest[token] = name
    (pack_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return pack_dir


def _trim_silence(path: Path, threshold: int = 400, keep_ms: int = 20) -> None:
    """espeak-ng pads each clip with silence; joined clips must sound like one sentence."""
    with wave.open(str(path)) as clip:
        params = clip.getparams()
        samples = array.array("h", clip.readframes(clip.getnframes()))
    loud = [i for i, sample in enumerate(samples) if abs(sample) > threshold]
    if not loud:
        return
    keep = params.framerate * keep_ms // 1000
    trimmed = samples[max(0, loud[0] - keep) : loud[-1] + keep]
    with wave.open(str(path), "wb") as clip:
        clip.setparams(params)
        clip.writeframes(trimmed.tobytes())


class VoicePack:
    def __init__(self, pack_dir: Path):
        self.pack_dir = Path(pack_dir)
        manifest_path = self.pack_dir / "manifest.json"
        try:
            self.manifest: dict[str, str] = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise VoicePackError(f"no voice pack at {self.pack_dir} (manifest.json missing): run `edge-agent voice build-pack`") from None
        self.format: ClipFormat | None = None
        for token, name in self.manifest.items():
            self._check(token, self.pack_dir / name)

    def _check(self, token: str, path: Path) -> None:
        try:
            with wave.open(str(path)) as clip:
                fmt = ClipFormat(clip.getnchannels(), clip.getsampwidth(), clip.getframerate())
        except FileNotFoundError:
            raise VoicePackError(f"voice pack clip for '{token}' is missing: {path}") from None
        except (wave.Error, EOFError) as exc:
            raise VoicePackError(f"voice pack clip for '{token}' ({path}) is not a WAV file: {exc}") from None
        if self.format is None:
            self.format = fmt
        elif fmt != self.format:
            raise VoicePackError(
                f"voice pack clip for '{token}' ({path}) is {fmt.rate} Hz, {fmt.channels} channel(s), {8 * fmt.sample_width} bit; "
                f"every clip must match the others ({self.format.rate} Hz, {self.format.channels} channel(s), "
                f"{8 * self.format.sample_width} bit): convert it, e.g. with `sox in.wav -r {self.format.rate} -c 1 -b 16 out.wav`"
            )

    def frames(self, token: str) -> bytes:
        if token not in self.manifest:
            raise VoicePackError(f"the voice pack has no clip for '{token}'")
        with wave.open(str(self.pack_dir / self.manifest[token])) as clip:
            return clip.readframes(clip.getnframes())

    def join(self, tokens: list[str], gap_ms: int, out: Path) -> Path:
        """One WAV: the clips in order with `gap_ms` of silence between them."""
        fmt = self.format
        if fmt is None:
            raise VoicePackError(f"the voice pack at {self.pack_dir} has no clips: run `edge-agent voice build-pack`")
        silence = b"\x00" * (fmt.rate * gap_ms // 1000) * fmt.sample_width * fmt.channels
        with wave.open(str(out), "wb") as result:
            result.setnchannels(fmt.channels)
            result.setsampwidth(fmt.sample_width)
            result.setframerate(fmt.rate)
            for index, token in enumerate(tokens):
                if index:
                    result.writeframes(silence)
                result.writeframes(self.frames(token))
        return out


def chinese_number(number: int) -> list[str]:
    """Counter numbers as spoken: 3 -> 三, 12 -> 十二, 20 -> 二十."""
    if not 0 < number < 100:
        raise ValueError(f"counter number {number} cannot be announced (1-99)")
    tens, units = divmod(number, 10)
    tokens = [] if tens == 0 else (["十"] if tens == 1 else [str(tens), "十"])
    return tokens + ([str(units)] if units or not tokens else [])


def call_tokens(label: str, counter: str, english: bool = False) -> list[str]:
    """请 A 0 2 3 号 到 3 号窗口 — ticket digits one by one, the counter as a number."""
    match = re.fullmatch(r"([A-Z]{1,2})(\d{3,4})", label)
    if not match or not counter.isdigit():
        raise ValueError(f"cannot announce ticket '{label}' at counter '{counter}'")
    letters, digits = match.groups()
    tokens = ["请", *letters, *digits, "号", "到", *chinese_number(int(counter)), "号窗口"]
    if english:
        tokens += ["en:number", *letters, *(f"en:{d}" for d in digits), "en:please go to counter", *(f"en:{d}" for d in counter)]
    return tokens


def parse_phrase(text: str) -> tuple[str, str]:
    """'请A023号到3号窗口' or 'A023 3' -> ('A023', '3'); a clear error otherwise."""
    text = text.strip().replace(" ", "")
    match = re.fullmatch(r"请?([A-Z]{1,2}\d{3,4})号?到(\d{1,2})号窗口", text) or re.fullmatch(r"([A-Z]{1,2}\d{3,4})(\d{1,2})", text)
    if match:
        return match.group(1), match.group(2)
    known = set("请号到窗口0123456789") | set(LETTERS)
    unknown = sorted({c for c in text if c not in known})
    hint = f"no clip for {', '.join(repr(c) for c in unknown)}; " if unknown else ""
    raise ValueError(f"{hint}write the call as 请A023号到3号窗口 (or 'A023 3')")


def sound_card_present() -> bool:
    if shutil.which("aplay") is None:
        return False
    result = subprocess.run(["aplay", "-l"], capture_output=True, text=True)
    return result.returncode == 0 and "card" in result.stdout


class Announcer:
    """One announcement at a time, in order; failures are logged and the queue goes on."""

    def __init__(self, settings: VoiceSettings, player: str = "aplay"):
        self.settings = settings
        self.pack = VoicePack(settings.pack_dir)
        self.player = player
        self.mode = settings.output if settings.output != "auto" else ("aplay" if sound_card_present() else "file")
        # An announcement (label, counter, repeats); an Event to set once everything before it
        # is done (wait_idle); None to stop.
        self._queue: queue.Queue[tuple[str, str, int] | threading.Event | None] = queue.Queue()
        self._count = 0
        self.played: list[Path] = []
        self._thread = threading.Thread(target=self._work, daemon=True, name="announcer")
        self._thread.start()

    def announce_call(self, label: str, counter: str) -> None:
        self._queue.put((label, counter, 1))

    def announce_recall(self, label: str, counter: str) -> None:
        self._queue.put((label, counter, self.settings.recall_repeats))

    def wait_idle(self, timeout: float = 30) -> bool:
        """Block until everything queued so far has been played or written; False on timeout."""
        done = threading.Event()
        self._queue.put(done)  # the marker travels with its own Event: no shared state to race on
        return done.wait(timeout)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(30)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            label, counter, repeats = item
            try:
                tokens = call_tokens(label, counter, self.settings.english) * repeats
                self._count += 1
                self.settings.out_dir.mkdir(parents=True, exist_ok=True)
                path = self.pack.join(tokens, self.settings.gap_ms, self.settings.out_dir / f"announcement-{self._count:04d}-{label}-{counter}.wav")
                if self.mode == "aplay":
                    result = subprocess.run([self.player, "-q", str(path)], capture_output=True, text=True, timeout=60)
                    if result.returncode != 0:
                        raise RuntimeError(result.stderr.strip() or f"{self.player} exited with {result.returncode}")
                    path.unlink(missing_ok=True)
                self.played.append(path)
            except (OSError, RuntimeError, ValueError, VoicePackError, subprocess.TimeoutExpired) as exc:
                log.warning("could not announce %s at counter %s: %s", label, counter, exc)
