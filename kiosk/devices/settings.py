"""`[kiosk.card_reader]`: which magstripe reader the kiosk cabinet has."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CardReaderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["wedge", "serial", "none"] = "none"
    # /dev/input/by-id/...-event-kbd for a keyboard wedge, /dev/serial/by-id/... for serial.
    device: str = ""
    baudrate: int = 9600
    # Characters of one swipe arrive in a burst; a longer silence drops a partial swipe.
    swipe_timeout_ms: int = Field(300, ge=50, le=5000)
