"""The link in a ticket's QR code: head office's public page for that one ticket.

    https://q.bank.example/t/<claim>.<signature>

The claim is what the paper already shows (branch, ticket id = day and number, service) and
when the link stops working: the end of the ticket's business day. The branch signs it with
its own Ed25519 key. Head office holds no secret: it checks the signature with the public
key the branch publishes on `agent/state`, which only that branch may publish (the bridge
user's ACL allows its own root alone). So a link cannot be forged, changed to another
ticket, or passed off as another branch's, and it says nothing a stranger holding the paper
could not read.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CLAIM_FORMAT = 1
PATH = "/t/"


@dataclass(frozen=True)
class TicketClaim:
    branch: str
    ticket_id: str  # "20261205-A002": the business day and the number
    service: str
    expires: datetime  # aware: the end of the ticket's business day

    @property
    def label(self) -> str:
        return self.ticket_id.rpartition("-")[2]


class LinkRefused(Exception):
    """Why a link does not open a ticket. `reason` is for the page; the message for a log."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason  # malformed | unknown_branch | forged | expired


class LinkKeyError(Exception):
    """The key file exists but cannot be used; the message says what to do."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_text(key: Ed25519PublicKey) -> str:
    return _b64(key.public_bytes_raw())


class LinkSigner:
    """The branch's half: signs each ticket's claim into a link under `public_url`."""

    def __init__(self, key: Ed25519PrivateKey, public_url: str):
        self._key = key
        self.public_url = public_url.rstrip("/")
        self.public_key = public_key_text(key.public_key())

    def token(self, claim: TicketClaim) -> str:
        body = json.dumps(
            {"v": CLAIM_FORMAT, "b": claim.branch, "t": claim.ticket_id, "s": claim.service, "x": int(claim.expires.timestamp())},
            separators=(",", ":"),
        ).encode()
        return f"{_b64(body)}.{_b64(self._key.sign(body))}"

    def link(self, claim: TicketClaim) -> str:
        return f"{self.public_url}{PATH}{self.token(claim)}"


def load_or_create_signer(path: Path, public_url: str) -> LinkSigner:
    """The branch's signing key from `path` (raw 32 bytes, hex), made (0600) on first use."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: the agent and a CLI starting together must not both write a key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_or_create_signer(path, public_url)
        with os.fdopen(fd, "w") as handle:
            handle.write(Ed25519PrivateKey.generate().private_bytes_raw().hex() + "\n")
    try:
        raw = bytes.fromhex(path.read_text().strip())
        key = Ed25519PrivateKey.from_private_bytes(raw)
    except PermissionError as exc:
        raise LinkKeyError(f"cannot read the ticket link key {path}: permission denied; run as the service user") from exc
    except ValueError as exc:
        raise LinkKeyError(
            f"the ticket link key {path} is not a 32-byte hex key; delete it and restart the agent to make a new one "
            "(links on tickets already printed today stop opening)"
        ) from exc
    return LinkSigner(key, public_url)


def verify(token: str, branch_key: Callable[[str], str | None], now: datetime) -> TicketClaim:
    """The claim of a genuine, current link; LinkRefused otherwise.

    `branch_key(branch)`: the public key that branch published, None when head office has
    never heard it. The claim is read before the signature is checked only to find whose key
    to check it with; nothing from it is used unless the signature holds.
    """
    body_text, dot, signature_text = token.partition(".")
    try:
        if not dot or len(token) > 600:
            raise ValueError("not two parts")
        body, signature = _unb64(body_text), _unb64(signature_text)
        claim = json.loads(body)
        if not isinstance(claim, dict) or claim.get("v") != CLAIM_FORMAT:
            raise ValueError("not a claim of this format")
        branch, ticket_id, service, expires = claim["b"], claim["t"], claim["s"], claim["x"]
        if not all(isinstance(v, str) for v in (branch, ticket_id, service)) or not isinstance(expires, int):
            raise ValueError("a field of the wrong type")
    except (ValueError, KeyError, binascii.Error, UnicodeDecodeError) as problem:
        raise LinkRefused("malformed", f"a ticket link that is not one of ours ({problem})") from None
    key_text = branch_key(branch)
    if key_text is None:
        raise LinkRefused("unknown_branch", f"a ticket link for branch {branch!r}, whose key head office has not received")
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(key_text)).verify(signature, body)
    except (InvalidSignature, ValueError, binascii.Error):
        raise LinkRefused("forged", f"a ticket link for branch {branch!r} whose signature does not hold") from None
    ends = datetime.fromtimestamp(expires, UTC)
    if now >= ends:
        raise LinkRefused("expired", f"a ticket link of {branch!r} that expired at {ends:%Y-%m-%d %H:%M} UTC")
    return TicketClaim(branch, ticket_id, service, ends)
