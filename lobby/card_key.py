"""The branch secret that turns card numbers into tokens.

A card number (PAN) is never stored: the customer directory and every message carry
`HMAC-SHA256(key, PAN)` instead. The key lives in a file only the service user can read;
it is generated on first use so no installation ships a shared default.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_BYTES = 32


class KeyFileError(Exception):
    """The key file exists but cannot be used; the message says what to do."""


def load_or_create_key(path: Path) -> bytes:
    """Return the HMAC key in `path`, creating it (mode 0600) if it does not exist."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together must not both write a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_or_create_key(path)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    try:
        text = path.read_text().strip()
    except PermissionError as exc:
        raise KeyFileError(
            f"cannot read the card key file {path}: permission denied. "
            "Run as the service user (lobby) or fix the file's owner."
        ) from exc
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise KeyFileError(
            f"the card key file {path} is not a hex key. Restore it from backup; "
            "a new key would make every imported customer unrecognisable."
        ) from exc
    if len(key) < 16:
        raise KeyFileError(f"the card key file {path} holds a key shorter than 16 bytes")
    return key


def card_token(key: bytes, pan: str) -> str:
    """The token that stands for a card number everywhere outside the card reader."""
    return hmac.new(key, pan.encode("ascii"), hashlib.sha256).hexdigest()


def mask_pan(pan: str) -> str:
    """First 6 and last 4 digits, the rest as `*` (PCI DSS display rule)."""
    if len(pan) < 12:  # not a card number a reader lets through (12-19 digits)
        return "*" * len(pan)
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]
