"""Line breaking for mixed Chinese and English, as pure code.

Kivy wraps at spaces only and cuts a long run of Chinese anywhere, so a line could start
with "，" or "。". Here a break may fall between any two Chinese characters, or at a space
between Latin words, but never before closing punctuation or after opening punctuation
(the basic rule of Chinese typesetting, 避头尾).
"""

from __future__ import annotations

from collections.abc import Callable

NO_LINE_START = frozenset("，。、；：？！）」』》〉】…·%,.;:?!)’”")
NO_LINE_END = frozenset("（「『《〈【(‘“")


def _is_wide(char: str) -> bool:
    """Chinese characters and full-width punctuation: each one is a place a line may break."""
    return (
        "\u2e80" <= char <= "\u9fff"
        or "\uf900" <= char <= "\ufaff"
        or "\uff00" <= char <= "\uffef"
        or "\u3000" <= char <= "\u303f"
    )


def units(text: str) -> list[str]:
    """The pieces a line is built from: a Chinese character, a Latin word, or a space."""
    pieces: list[str] = []
    for char in text:
        opened = bool(pieces) and pieces[-1].rstrip(" ")[-1:] in NO_LINE_END and bool(pieces[-1].strip())
        if char == " ":
            if opened:  # "（ 1": what follows opening punctuation stays with it, spaces included
                pieces[-1] += char
            else:
                pieces.append(char)
        elif char in NO_LINE_START and pieces:
            while len(pieces) > 1 and not pieces[-1].strip():  # "word  ，": the spaces go with them
                pieces[-2:] = [pieces[-2] + pieces[-1]]
            pieces[-1] += char
        elif opened:
            pieces[-1] += char
        elif _is_wide(char) or not pieces or pieces[-1] == " " or _is_wide(pieces[-1][-1]):
            pieces.append(char)
        else:
            pieces[-1] += char
    return pieces


def break_lines(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Greedy lines that each `fits`; a single piece too wide for any line gets a line of its own."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece in units(paragraph):
            candidate = line + piece
            if not line.strip():
                line = candidate.lstrip()
            elif fits(candidate.rstrip()):
                line = candidate
            else:
                lines.append(line.rstrip())
                line = piece.lstrip()
        lines.append(line.rstrip())
    return lines
