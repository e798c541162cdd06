"""Staff PINs as slow hashes (scrypt, from the standard library's OpenSSL binding).

A PIN is 4 to 8 digits: a small space, so the hash must be slow and salted, and the agent
locks a staff id after repeated failures (sign_in.py). The PIN itself is never stored,
logged or echoed; only `hash_pin`'s string is kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

# OWASP's floor for scrypt (N=2^17 would be better, but a branch box is a small ARM or
# Celeron; 2^15 costs ~60 ms there, paid once per sign-in).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
PIN_PATTERN = re.compile(r"^\d{4,8}$")


class PinFormatError(ValueError):
    pass


def check_format(pin: str) -> None:
    if not PIN_PATTERN.match(pin):
        raise PinFormatError("a PIN is 4 to 8 digits")


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)


def hash_pin(pin: str) -> str:
    check_format(pin)
    salt = secrets.token_bytes(16)
    digest = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(("scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)))


def verify_pin(pin: str, stored: str) -> bool:
    """True when `pin` is the one `stored` was made from. A malformed stored hash is False."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(pin, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
