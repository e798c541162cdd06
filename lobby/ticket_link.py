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

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lobby import signed_token

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


class LinkSigner:
    """The branch's half: signs each ticket's claim into a link under `public_url`."""

    def __init__(self, key: Ed25519PrivateKey, public_url: str):
        self._key = key
        self.public_url = public_url.rstrip("/")
        self.public_key = signed_token.public_key_text(key)

    def token(self, claim: TicketClaim) -> str:
        fields = {"v": CLAIM_FORMAT, "b": claim.branch, "t": claim.ticket_id, "s": claim.service, "x": int(claim.expires.timestamp())}
        return signed_token.sign(self._key, fields)

    def link(self, claim: TicketClaim) -> str:
        return f"{self.public_url}{PATH}{self.token(claim)}"


def load_or_create_signer(path: Path, public_url: str) -> LinkSigner:
    """The branch's signing key from `path`, made on first use; KeyFileError when unusable."""
    return LinkSigner(signed_token.load_or_create_key(path, "the ticket link key"), public_url)


def verify(token: str, branch_key: Callable[[str], str | None], now: datetime) -> TicketClaim:
    """The claim of a genuine, current link; LinkRefused otherwise.

    `branch_key(branch)`: the public key that branch published, None when head office has
    never heard it. The claim is read before the signature is checked only to find whose key
    to check it with; nothing from it is used unless the signature holds.
    """
    try:
        claim, body, signature = signed_token.read(token)
        if claim.get("v") != CLAIM_FORMAT:
            raise ValueError("not a claim of this format")
        branch, ticket_id, service, expires = claim["b"], claim["t"], claim["s"], claim["x"]
        if not all(isinstance(v, str) for v in (branch, ticket_id, service)) or not isinstance(expires, int):
            raise ValueError("a field of the wrong type")
    except (ValueError, KeyError) as problem:
        raise LinkRefused("malformed", f"a ticket link that is not one of ours ({problem})") from None
    key_text = branch_key(branch)
    if key_text is None:
        raise LinkRefused("unknown_branch", f"a ticket link for branch {branch!r}, whose key head office has not received")
    if not signed_token.holds(key_text, body, signature):
        raise LinkRefused("forged", f"a ticket link for branch {branch!r} whose signature does not hold")
    ends = datetime.fromtimestamp(expires, UTC)
    if now >= ends:
        raise LinkRefused("expired", f"a ticket link of {branch!r} that expired at {ends:%Y-%m-%d %H:%M} UTC")
    return TicketClaim(branch, ticket_id, service, ends)
