"""Secrets kept only as slow, salted hashes: staff PINs at the branch, passwords at head office.

scrypt from the standard library's OpenSSL binding. The stored string names its own cost
(`scrypt$N$r$p$salt$digest`), so a cost raised later still verifies the hashes made before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)


def hash_secret(secret: str, n: int, r: int = 8, p: int = 1) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, n, r, p)
    return "$".join(("scrypt", str(n), str(r), str(p), _b64(salt), _b64(digest)))


def verify_secret(secret: str, stored: str) -> bool:
    """True when `secret` is the one `stored` was made from. A malformed stored hash is False."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(secret, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
