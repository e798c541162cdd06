"""The booking pass: the QR code a customer's phone shows at the kiosk.

    https://q.bank.example/a/<claim>.<signature>

Head office signs the claim (branch, booking code, service, slot) with its booking key;
the branch holds only the public key, which arrives with every `appointments_sync`. So the
kiosk can tell a genuine pass from a forged one, or one of another branch, while the link
to head office is down, and tell "made after we last heard from head office" apart from
"never made" when the code is not among the bookings it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lobby import signed_token

CLAIM_FORMAT = 1
PATH = "/a/"
# A pass stops opening anything a day after its slot: long after the late window.
VALID_AFTER_SLOT = timedelta(days=1)


@dataclass(frozen=True)
class BookingClaim:
    branch: str
    code: str  # the short code the customer can also type: "472913"
    service: str
    slot_start: datetime  # aware

    @property
    def expires(self) -> datetime:
        return self.slot_start + VALID_AFTER_SLOT


class PassRefused(Exception):
    """Why a scanned pass opens nothing. `reason` picks the customer's sentence."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason  # malformed | unchecked | forged | other_branch | expired


class PassSigner:
    """Head office's half."""

    def __init__(self, key: Ed25519PrivateKey, public_url: str):
        self._key = key
        self.public_url = public_url.rstrip("/")
        self.public_key = signed_token.public_key_text(key)

    def token(self, claim: BookingClaim) -> str:
        fields = {"v": CLAIM_FORMAT, "b": claim.branch, "c": claim.code, "s": claim.service, "t": int(claim.slot_start.timestamp())}
        return signed_token.sign(self._key, fields)

    def link(self, claim: BookingClaim) -> str:
        return f"{self.public_url}{PATH}{self.token(claim)}"


def token_of(scanned: str) -> str:
    """The token in what the scanner read: the whole link, or the token alone."""
    scanned = scanned.strip()
    return scanned.rpartition(PATH)[2] if PATH in scanned else scanned


def verify(scanned: str, key_text: str | None, branch: str | None, now: datetime) -> BookingClaim:
    """The claim of a genuine pass for `branch` (None: any), still current; PassRefused otherwise."""
    try:
        claim, body, signature = signed_token.read(token_of(scanned))
        if claim.get("v") != CLAIM_FORMAT:
            raise ValueError("not a pass of this format")
        owner, code, service, slot = claim["b"], claim["c"], claim["s"], claim["t"]
        if not all(isinstance(v, str) for v in (owner, code, service)) or not isinstance(slot, int):
            raise ValueError("a field of the wrong type")
        slot_start = datetime.fromtimestamp(slot, UTC)
    except (ValueError, KeyError, OverflowError, OSError) as problem:
        raise PassRefused("malformed", f"a scanned code that is not a booking pass ({problem})") from None
    if key_text is None:
        raise PassRefused("unchecked", "a booking pass scanned before head office ever sent this branch its bookings")
    if not signed_token.holds(key_text, body, signature):
        raise PassRefused("forged", f"a booking pass {code!r} whose signature does not hold")
    if branch is not None and owner != branch:
        raise PassRefused("other_branch", f"a booking pass {code!r} for branch {owner!r}")
    found = BookingClaim(owner, code, service, slot_start)
    if now >= found.expires:
        raise PassRefused("expired", f"a booking pass {code!r} for a slot at {slot_start:%Y-%m-%d %H:%M} UTC, long past")
    return found
