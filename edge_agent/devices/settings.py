"""Configuration of the agent's output devices: `[printer]`, `[[displays]]`, `[voice]`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from escpos.capabilities import CAPABILITIES
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

VIRTUAL = "virtual"


class DeviceSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_port(value: str) -> str:
    if value != VIRTUAL and not value.startswith("/"):
        raise ValueError(f"'{value}' is not a device path; write e.g. /dev/serial/by-id/usb-... or \"virtual\"")
    return value


class PrinterSettings(DeviceSection):
    id: str = Field("printer-1", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
    # Prefer /dev/serial/by-id/...: ttyUSB numbers change when adapters re-enumerate.
    port: str = VIRTUAL
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 38400
    # A python-escpos profile name (TM-T88V, TM-T20II, ...) or "custom" with the keys below.
    profile: str = "TM-T88V"
    columns: int | None = Field(None, ge=24, le=64)
    cutter: bool | None = None
    native_qr: bool | None = None
    # The logo stored in the printer's NV memory (two key characters, e.g. "LG"), printed
    # by reference instead of sending a raster with every ticket. None = no logo.
    logo_nv_key: str | None = Field(None, pattern=r"^[\x21-\x7e]{2}$")
    status_timeout_s: float = Field(0.3, gt=0, le=5)
    write_timeout_s: float = Field(2.0, gt=0, le=30)
    # The virtual printer's folder: its port link, control socket and rendered tickets.
    virtual_dir: Path = Path("/var/lib/lobby/virtual-printer")

    @field_validator("port")
    @classmethod
    def _valid_port(cls, value: str) -> str:
        return _check_port(value)

    @model_validator(mode="after")
    def _known_profile(self) -> "PrinterSettings":
        known = CAPABILITIES["profiles"]
        if self.profile != "custom" and self.profile not in known:
            raise ValueError(
                f"printer profile '{self.profile}' is unknown; use one of {', '.join(sorted(known))}, "
                "or \"custom\" with columns, cutter and native_qr"
            )
        if self.profile == "custom" and None in (self.columns, self.cutter, self.native_qr):
            raise ValueError('a "custom" printer profile needs columns, cutter and native_qr')
        return self


class CounterDisplaySettings(DeviceSection):
    counter: str
    port: str
    baudrate: Literal[9600, 19200, 38400] = 9600
    # Chinese-capable VFDs take GB18030; plain ones only ASCII (Chinese is then left out).
    charset: Literal["gb18030", "ascii"] = "gb18030"
    brightness: int = Field(4, ge=1, le=4)

    @field_validator("port")
    @classmethod
    def _valid_port(cls, value: str) -> str:
        return _check_port(value)


class VoiceSettings(DeviceSection):
    enabled: bool = True
    # Clips a bank may replace with its own recordings; built with espeak-ng when missing.
    pack_dir: Path = Path("/var/lib/lobby/voice")
    # aplay: play on the sound card; file: write WAVs to out_dir; auto: aplay if ALSA has a card.
    output: Literal["aplay", "file", "auto"] = "auto"
    out_dir: Path = Path("/var/lib/lobby/announcements")
    english: bool = False
    gap_ms: int = Field(60, ge=0, le=1000)
    recall_repeats: int = Field(2, ge=1, le=4)
