"""A short JSON claim and its Ed25519 signature, in one URL-safe token: `<claim>.<signature>`.

Two tokens use it: the ticket link (signed by the branch, checked by head office) and the
booking pass (signed by head office, checked by the branch while it may be cut off). Both
sides hold only the other's public key, so neither side's database can forge the other's.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MAX_TOKEN_CHARS = 600


class KeyFileError(Exception):
    """The key file exists but cannot be used; the message says what to do."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_text(key: Ed25519PrivateKey) -> str:
    return b64(key.public_key().public_bytes_raw())


def sign(key: Ed25519PrivateKey, claim: dict) -> str:
    body = json.dumps(claim, separators=(",", ":"), ensure_ascii=False).encode()
    return f"{b64(body)}.{b64(key.sign(body))}"


def read(token: str) -> tuple[dict, bytes, bytes]:
    """The claim (not yet trusted), its bytes and the signature; ValueError when it is not a token."""
    body_text, dot, signature_text = token.partition(".")
    if not dot or len(token) > MAX_TOKEN_CHARS:
        raise ValueError("not two parts")
    try:
        body, signature = unb64(body_text), unb64(signature_text)
        claim = json.loads(body)
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(claim, dict):
        raise ValueError("not a claim")
    return claim, body, signature


def holds(key_text: str, body: bytes, signature: bytes) -> bool:
    """Whether `signature` is the holder of the public key `key_text`'s, over `body`."""
    try:
        Ed25519PublicKey.from_public_bytes(unb64(key_text)).verify(signature, body)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def load_or_create_key(path: Path, what: str) -> Ed25519PrivateKey:
    """The private key in `path` (raw 32 bytes, hex), made (0600) on first use.

    `what` names the key in messages: "the ticket link key", "the booking key".
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: two processes starting together must not both write a key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_or_create_key(path, what)
        with os.fdopen(fd, "w") as handle:
            handle.write(Ed25519PrivateKey.generate().private_bytes_raw().hex() + "\n")
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(path.read_text().strip()))
    except PermissionError as exc:
        raise KeyFileError(f"cannot read {what} {path}: permission denied; run as the service user") from exc
    except ValueError as exc:
        raise KeyFileError(
            f"{what} {path} is not a 32-byte hex key; delete it and restart to make a new one "
            "(what was signed with the old key stops being accepted)"
        ) from exc
