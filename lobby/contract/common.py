"""Shapes every payload shares: identifiers, the topic root, the strictness of requests."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

CONTRACT_VERSION = "v1"
# Every branch's topics live under CONTRACT_ROOT + "<branch>/".
CONTRACT_ROOT = f"lobby/{CONTRACT_VERSION}/"

Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
# Never stripped: the client matches its answer by the transaction exactly as it sent it.
Transaction = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
TicketLabel = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}\d{3,4}$")]
HexId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
# What staff_sign_in hands the page: the person's signature on every later request.
SessionToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{20,64}$")]
Pin = Annotated[str, StringConstraints(strip_whitespace=False, pattern=r"^\d{4,8}$")]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?\d{7,15}$")]


def topic_root(branch_id: str) -> str:
    return f"{CONTRACT_ROOT}{branch_id}/"


def new_event_id() -> str:
    return uuid.uuid4().hex


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
