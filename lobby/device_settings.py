"""Configuration of the agent's output devices: `[printer]`, `[[displays]]`, `[voice]`.

The branch configuration embeds these models; each refuses unknown keys so that a typo in
the TOML file is reported instead of silently ignored, and every check says what to write.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from escpos.capabilities import CAPABILITIES
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

VIRTUAL = "virtual"
PRINTER_BAUDRATES = (9600, 19200, 38400, 57600, 115200)
DISPLAY_BAUDRATES = (2400, 4800, 9600, 19200, 38400)


class DeviceSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_port(value: str) -> str:
    if value != VIRTUAL and not value.startswith("/"):
        raise ValueError(
            f"'{value}' is not a device path; write the port's stable name, e.g. "
            '/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0 (see `edge-agent devices list`), or "virtual"'
        )
    return value


def _check_baudrate(value: int, allowed: tuple[int, ...], device: str) -> int:
    if value not in allowed:
        raise ValueError(
            f"{value} baud is not a rate {device} use; pick one of {', '.join(map(str, allowed))} "
            "(the device's self-test page or DIP switches show its rate)"
        )
    return value


class SerialDeviceSection(DeviceSection):
    """A device on a serial port: the port's path (or "virtual") and a rate it speaks."""

    BAUDRATES: ClassVar[tuple[int, ...]]
    DEVICES: ClassVar[str]  # in the sentence "N baud is not a rate <DEVICES> use"
    port: str
    baudrate: int

    @field_validator("port")
    @classmethod
    def _valid_port(cls, value: str) -> str:
        return _check_port(value)

    @field_validator("baudrate")
    @classmethod
    def _valid_baudrate(cls, value: int) -> int:
        return _check_baudrate(value, cls.BAUDRATES, cls.DEVICES)


def printer_profiles() -> list[str]:
    """python-escpos profiles that are printers (its list also holds customer displays)."""
    return sorted(n for n, p in CAPABILITIES["profiles"].items() if "Customer Display" not in p.get("name", ""))


class PrinterSettings(SerialDeviceSection):
    BAUDRATES = PRINTER_BAUDRATES
    DEVICES = "ticket printers"
    id: str = Field("printer-1", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
    # Prefer /dev/serial/by-id/...: ttyUSB numbers change when adapters re-enumerate.
    port: str = VIRTUAL
    baudrate: int = 38400
    # A python-escpos profile name (TM-T88V, TM-T20II, ...) or "custom" with the keys below.
    profile: str = "TM-T88V"
    # Overrides for what the profile says (required with "custom").
    columns: int | None = Field(None, ge=24, le=64)
    cutter: bool | None = None
    native_qr: bool | None = None
    # The logo stored in the printer's NV memory, printed by reference instead of sending a
    # raster with every ticket: two key characters (e.g. "LG", GS ( L NV graphics) or a
    # number 1-255 (FS p, the older NV bit image). None = no logo.
    logo_nv_key: str | None = None
    # How long the printer has to answer a real-time status query (DLE EOT), beyond the
    # time the line needs to carry what is queued before it.
    status_timeout_s: float = Field(0.3, gt=0, le=5)
    # A printer that does not take data within this time is reported, never waited for.
    write_timeout_s: float = Field(2.0, gt=0, le=30)
    # The virtual printer's folder: its port link, control socket and rendered tickets.
    virtual_dir: Path = Path("/var/lib/lobby/virtual-printer")
    # The virtual printer takes bytes at `baudrate`, as a UART does; false: as fast as they
    # come (to measure the agent without the line's time).
    virtual_paced: bool = True

    @field_validator("logo_nv_key")
    @classmethod
    def _valid_logo_key(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value.isdigit() and 1 <= int(value) <= 255:
            return value
        if len(value) == 2 and all(0x20 < ord(c) < 0x7F for c in value):
            return value
        raise ValueError(
            f"logo_nv_key '{value}' is neither a two-character NV graphics key (e.g. \"LG\", as stored with the "
            "printer's utility) nor an NV bit image number 1-255"
        )

    @model_validator(mode="after")
    def _known_profile(self) -> PrinterSettings:
        if self.profile == "custom":
            missing = [key for key in ("columns", "cutter", "native_qr") if getattr(self, key) is None]
            if missing:
                raise ValueError(f'a "custom" printer profile needs {", ".join(missing)} (the printer\'s manual gives them)')
        elif self.profile not in printer_profiles():
            raise ValueError(
                f"printer profile '{self.profile}' is unknown; use one of {', '.join(printer_profiles())}, "
                'or "custom" with columns, cutter and native_qr'
            )
        return self


class CounterDisplaySettings(SerialDeviceSection):
    BAUDRATES = DISPLAY_BAUDRATES
    DEVICES = "customer displays"
    counter: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    port: str
    baudrate: int = 9600
    # Chinese-capable displays take GB18030 (a Chinese character fills two columns);
    # plain ones only ASCII, and then only the Latin part of each line is shown.
    charset: Literal["gb18030", "ascii"] = "gb18030"
    brightness: int = Field(4, ge=1, le=4)

    @property
    def id(self) -> str:
        return f"display-{self.counter}"


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


class ScannerSettings(BaseModel):
    """The 2D barcode scanner in the kiosk cabinet: it reads the booking pass on a phone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["wedge", "serial", "none"] = "none"
    # /dev/input/by-id/...-event-kbd for a USB keyboard-wedge scanner, /dev/serial/by-id/... for serial.
    device: str = ""
    baudrate: int = 9600
    # A code's characters arrive in a burst ending in Enter; a longer silence drops a partial read.
    scan_timeout_ms: int = Field(300, ge=50, le=5000)


class CardReaderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["wedge", "serial", "none"] = "none"
    # /dev/input/by-id/...-event-kbd for a keyboard wedge, /dev/serial/by-id/... for serial.
    device: str = ""
    baudrate: int = 9600
    # Characters of one swipe arrive in a burst; a longer silence drops a partial swipe.
    swipe_timeout_ms: int = Field(300, ge=50, le=5000)
