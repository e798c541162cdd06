"""Staff PINs as slow hashes (lobby.slow_hash: scrypt).

A PIN is 4 to 8 digits: a small space, so the hash must be slow and salted, and the agent
locks a staff id after repeated failures (sign_in.py). The PIN itself is never stored,
logged or echoed; only `hash_pin`'s string is kept.
"""

from __future__ import annotations

import re

from lobby.slow_hash import hash_secret, verify_secret

# OWASP's floor for scrypt (N=2^17 would be better, but a branch box is a small ARM or
# Celeron; 2^15 costs ~60 ms there, paid once per sign-in).
SCRYPT_N = 2**15
PIN_PATTERN = re.compile(r"^\d{4,8}$")


class PinFormatError(ValueError):
    pass


def check_format(pin: str) -> None:
    if not PIN_PATTERN.match(pin):
        raise PinFormatError("a PIN is 4 to 8 digits")


def hash_pin(pin: str) -> str:
    check_format(pin)
    return hash_secret(pin, SCRYPT_N)


def verify_pin(pin: str, stored: str) -> bool:
    """True when `pin` is the one `stored` was made from. A malformed stored hash is False."""
    return verify_secret(pin, stored)
