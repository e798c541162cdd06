"""The head-office service's configuration: one TOML file, like a branch's.

    [database]
    conninfo = "host=/run/postgresql dbname=lobby_hq user=lobby_hq"   # libpq; a password via PGPASSFILE
    pool_max = 4

    [broker]
    host = "hq-mqtt.bank.internal"
    port = 1883
    username = "hq-ingest"
    password_file = "/etc/lobby-hq/broker-password"
    share_group = "ingest"          # every ingester in the group shares the stream
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lobby.config import ZoneName


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSection(Section):
    conninfo: str = Field(min_length=1)
    pool_max: int = Field(4, ge=1, le=100)
    connect_timeout_s: float = Field(5, gt=0, le=120)


class BrokerSection(Section):
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    username: str = Field(min_length=1)
    password_file: Path
    share_group: str = Field("ingest", pattern=r"^[A-Za-z0-9_-]+$")
    # Unacknowledged messages wait this long for an ingester that comes back under its client id.
    session_expiry_s: int = Field(3600, ge=0, le=7 * 24 * 3600)
    keepalive_s: int = Field(15, ge=5, le=600)


class WebSection(Section):
    host: str = "127.0.0.1"  # behind the load balancer, which terminates TLS
    port: int = Field(8080, ge=1, le=65535)
    session_hours: float = Field(8, gt=0, le=24 * 30)
    # The day of the daily report and the times on the pages.
    timezone: ZoneName = "Asia/Shanghai"
    # A branch whose agent said nothing for this many of its heartbeats is shown as unreachable.
    stale_heartbeats: float = Field(3, ge=1, le=100)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class BookingSection(Section):
    """预约: the public booking page, its passes, the rule on no-shows, and the sync to branches."""

    # Head office's Ed25519 key that signs every booking pass (made on first use, 0600).
    key_file: Path = Path("/var/lib/lobby-hq/booking.key")
    # Where customers reach the booking pages: the start of the pass link in the QR code.
    public_url: str = Field("http://127.0.0.1:8080", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    days_ahead: int = Field(7, ge=0, le=60)
    # What the booking page tells customers about checking in: the branches' [appointments] windows.
    check_in_early_min: int = Field(30, ge=0, le=240)
    check_in_late_min: int = Field(10, ge=0, le=120)
    # A slot never holds more bookings than this share of its service's counters can serve in it.
    counter_share: float = Field(0.5, ge=0, le=1)
    no_show_limit: int = Field(3, ge=1, le=20)
    no_show_period_days: float = Field(90, gt=0, le=366)
    ban_days: float = Field(30, ge=0, le=366)
    # head-office sync: how often it looks for bookings a branch does not hold yet.
    sync_interval_s: float = Field(5, ge=0.2, le=3600)
    # The bank's app sends this key (X-App-Key) to book a customer's tier and RM; none: the API books as the public page does.
    app_key_file: Path | None = None


class HeadOfficeConfig(Section):
    database: DatabaseSection
    broker: BrokerSection | None = None  # needed by `ingest` and `sync`
    web: WebSection = WebSection()
    bookings: BookingSection = BookingSection()


class HeadOfficeConfigError(Exception):
    """The file cannot be used; the message names the file and every problem."""


def load_config(path: Path) -> HeadOfficeConfig:
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HeadOfficeConfigError(f"{path}: the file does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise HeadOfficeConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return HeadOfficeConfig(**raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise HeadOfficeConfigError(f"{path}: {problems}") from None
