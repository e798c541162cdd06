"""The branch configuration: one TOML file per branch, validated before anything runs.

A technician copies `config/branch.example.toml` to `/etc/lobby/branch.toml` and edits it.
Any key can be overridden from the environment as `LOBBY_<SECTION>__<KEY>` (for example
`LOBBY_PRINTER__PORT=virtual`). A bad file never produces a traceback: `load_config`
raises `ConfigError`, whose `problems` each name the file, the key path and what was
expected, so `edge-agent config check` can print all of them at once.

One file because one TOML file is validated as one model, section by section, with cross-references.
"""

from __future__ import annotations

import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from lobby.config_problems import CROSS_REFERENCE, ConfigError, ConfigProblem, problems_from_validation_error
from lobby.contract import ProfileKind, Tier
from lobby.device_settings import CardReaderSettings, CounterDisplaySettings, PrinterSettings, ScannerSettings, VoiceSettings

DEFAULT_CONFIG_PATH = Path("/etc/lobby/branch.toml")
ENV_PREFIX = "LOBBY_"

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _zone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value}' is not a time zone name; use an IANA name such as Asia/Shanghai") from None
    return value


# An IANA time zone name, checked when the file is read (the branch's and head office's).
ZoneName = Annotated[str, AfterValidator(_zone_name)]


class Section(BaseModel):
    """Every section refuses unknown keys: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BranchSection(Section):
    id: str = Field(pattern=_ID_PATTERN, description="short id used in MQTT topics, e.g. sh-pudong-01")
    name: str = Field(min_length=1, description="the branch name printed on tickets (Chinese)")
    name_en: str = ""
    timezone: ZoneName = "Asia/Shanghai"
    # "mon-fri" style keys -> "09:00-17:00"; a day not listed is closed.
    opening_hours: dict[str, str] = Field(default_factory=lambda: {"mon-fri": "09:00-17:00"})
    # Open tickets expire this long after closing (customers still inside are served), and
    # at the day change at the latest.
    close_grace_min: float = Field(30, ge=0, le=12 * 60)
    # false: outside opening hours the kiosk says the branch is closed and issues no ticket.
    tickets_outside_hours: bool = False

    @field_validator("opening_hours")
    @classmethod
    def _valid_hours(cls, value: dict[str, str]) -> dict[str, str]:
        for days, span in value.items():
            for day in days.split("-"):
                if day not in _WEEKDAYS:
                    raise ValueError(f"'{days}': days are written mon, tue, ... sun, or a range like mon-fri")
            match = re.fullmatch(r"(\d\d):(\d\d)-(\d\d):(\d\d)", span)
            if not match:
                raise ValueError(f"'{span}' for {days}: write opening hours as HH:MM-HH:MM, e.g. 09:00-17:00")
            h1, m1, h2, m2 = map(int, match.groups())
            if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
                raise ValueError(f"'{span}' for {days}: the opening time must come before the closing time")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hours_on(self, weekday: int) -> tuple[time, time] | None:
        """Opening and closing time on a weekday (0 = Monday), or None when closed."""
        for days, span in self.opening_hours.items():
            first, _, last = days.partition("-")
            lo, hi = _WEEKDAYS.index(first), _WEEKDAYS.index(last or first)
            if lo <= weekday <= hi:
                opens, closes = span.split("-")
                return time.fromisoformat(opens), time.fromisoformat(closes)
        return None


class StoreSection(Section):
    path: Path = Path("/var/lib/lobby/branch.db")
    # After this many days a ticket no longer says whose card it was (statistics stay).
    retention_days: int = Field(30, ge=1, le=3650)


class SecuritySection(Section):
    key_file: Path = Path("/var/lib/lobby/card.key")


class MqttSection(Section):
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    ws_port: int = Field(9001, ge=1, le=65535)
    # Where the broker listens: an address for MQTT; websockets bind by interface only
    # (Mosquitto 2.0 ignores a websockets bind address), None = all interfaces.
    bind_address: str = "0.0.0.0"
    ws_interface: str | None = None
    tls: bool = False
    # Written by `edge-agent broker setup`: each role's user name and generated password.
    credentials_file: Path = Path("/etc/lobby/broker/credentials.json")
    # With tls = true: the CA clients trust, and the broker's certificate and key.
    # Left empty, `broker setup` generates a private CA and a certificate for `host`.
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    max_payload_bytes: int = Field(16384, ge=256, le=1_048_576)
    # Published events are kept this long for `replay` (a subscriber repairing a gap).
    replay_hours: float = Field(24, gt=0, le=24 * 31)
    # agent/state is republished this often while the agent runs (a heartbeat clients check).
    heartbeat_s: float = Field(10, ge=0.5, le=300)

    outbox_max_events: int = Field(100_000, ge=100)
    outbox_max_age_hours: float = Field(72, gt=0)

    @property
    def generated_tls_dir(self) -> Path:
        """Where `broker setup` writes the private CA and the broker's certificate and key
        when none are named: beside the credentials."""
        return Path(self.credentials_file).parent / "tls"

    def trusted_ca(self) -> Path | None:
        """The CA every client of the branch trusts when TLS is on: `ca_file`, or the private
        CA that `broker setup` generated. None without TLS."""
        if not self.tls:
            return None
        return self.ca_file or self.generated_tls_dir / "ca.crt"


class BridgeSection(Section):
    """The link to head office's broker; the branch keeps working while it is down."""

    enabled: bool = False
    address: str = ""
    port: int = Field(8883, ge=1, le=65535)
    username: str = ""
    password_file: Path | None = None
    ca_file: Path | None = None
    tls: bool = True

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> BridgeSection:
        if self.enabled and not (self.address and self.username and self.password_file):
            raise ValueError("an enabled bridge needs address, username and password_file")
        return self


class WebSection(Section):
    port: int = Field(8080, ge=1, le=65535)


class TierRule(Section):
    name_zh: str
    name_en: str
    min_assets: float | None = Field(None, ge=0, description="financial assets in CNY at or above which a customer is in this tier")
    min_loans: float | None = Field(None, ge=0, description="personal loans in CNY at or above which a customer is in this tier")
    alert: bool = False


def _default_tiers() -> dict[Tier, TierRule]:
    return {
        Tier.VIP: TierRule(name_zh="中高端客户", name_en="Premier", min_assets=200_000, min_loans=500_000, alert=True),
        Tier.POTENTIAL: TierRule(name_zh="潜力客户", name_en="Potential", min_assets=50_000),
        Tier.PROSPECT: TierRule(name_zh="潜在客户", name_en="Prospect"),
        Tier.MASS: TierRule(name_zh="大众客户", name_en="Personal"),
    }


class ServiceSection(Section):
    id: str = Field(pattern=_ID_PATTERN)
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$", description="one or two capital letters printed before the number")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    target_wait_min: float = Field(gt=0, le=240)
    default_service_min: float = Field(gt=0, le=240)
    self_service_capable: bool = False
    # Which tiers the kiosk offers this service to; empty = everybody.
    tiers: list[Tier] = Field(default_factory=list)


class CounterSection(Section):
    id: str = Field(pattern=_ID_PATTERN)
    name_zh: str = ""
    name_en: str = ""
    services: list[str] = Field(min_length=1)
    profile: str = "fifo"


class ProfileSection(Section):
    kind: ProfileKind
    # ratio: `ratio[0]` calls of priority tiers, then `ratio[1]` of the others.
    ratio: tuple[int, int] = (2, 1)
    priority_tiers: list[Tier] = Field(default_factory=lambda: [Tier.VIP])
    # accumulating (Kleinrock): priority = rate[tier] x seconds waited.
    tier_rates: dict[Tier, float] = Field(default_factory=lambda: {t: 1.0 for t in Tier})
    cap_past_target_min: float = Field(15, ge=0)

    @field_validator("ratio")
    @classmethod
    def _positive_ratio(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] < 1 or value[1] < 1:
            raise ValueError("both parts of a ratio must be at least 1, e.g. [2, 1]")
        return value

    @field_validator("tier_rates")
    @classmethod
    def _positive_rates(cls, value: dict[Tier, float]) -> dict[Tier, float]:
        bad = [tier.value for tier, rate in value.items() if rate <= 0]
        if bad:
            raise ValueError(f"rates must be positive (check {', '.join(bad)})")
        return value


class KioskSection(Section):
    width: int = Field(1080, ge=320)
    height: int = Field(1920, ge=320)
    dpi: float = Field(160, gt=50)
    fullscreen: bool = True
    idle_timeout_s: float = Field(45, ge=5)
    request_timeout_s: float = Field(3, gt=0)
    # A tap is retried (same transaction, so never two tickets) until this long after it,
    # with "one moment" on screen: well past an agent restart (systemd: 2 s, then ~3 s to start).
    request_deadline_s: float = Field(30, gt=0, le=600)
    # Offer self-service when the estimated wait is at least this long.
    diversion_min_wait_min: float = Field(15, ge=0)
    card_reader: CardReaderSettings = CardReaderSettings()
    scanner: ScannerSettings = ScannerSettings()
    # 长辈模式: an older customer reads and taps more slowly; the screen waits longer for them.
    elder_idle_timeout_s: float = Field(90, ge=5)


class StaffSection(Section):
    """Signing people in on the teller console, the manager's tablet and the RM's workbench."""

    max_pin_failures: int = Field(5, ge=1, le=20, description="wrong PINs in a row before the staff id is locked")
    lockout_min: float = Field(15, gt=0, le=24 * 60)
    idle_sign_out_min: float = Field(30, gt=0, le=12 * 60, description="a person who does nothing this long is signed out")


class ReferralTrigger(Section):
    code: str = Field(pattern=_ID_PATTERN)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


# The manuals' 14 signs of a valuable customer (优质客户识别参考特征), in their order.
DEFAULT_TRIGGERS = (
    ("large_cash", "大额存取现金或汇款", "Large cash deposit, withdrawal or remittance"),
    ("large_fx", "较大额外汇汇款/转账", "Large foreign-currency remittance or transfer"),
    ("large_deposit_loss", "大额存款的挂失", "Reporting loss of a large deposit"),
    ("large_loan", "大额贷款业务以及还款", "Large loan or loan repayment"),
    ("deposit_certificate", "开大额存款证明", "Certificate for a large deposit"),
    ("large_card_points", "大额消费积分", "Large card reward points"),
    ("consumer_credit", "大额个人消费信贷", "Large personal consumer credit"),
    ("investment_products", "上门购买理财产品、基金、大额国债等投资产品或保险产品",
     "Buys wealth products, funds, large government bonds or insurance"),
    ("trading_accounts", "开立第三方存管、外汇交易账户、黄金交易等交易账户",
     "Opens a brokerage, FX or gold trading account"),
    ("safe_deposit_box", "开设或使用保险箱业务", "Opens or uses a safe deposit box"),
    ("premium_card", "客户出示信用卡金卡或他行VIP卡", "Shows a gold credit card or another bank's VIP card"),
    ("wealth_enquiry", "客户对理财业务、高端业务提出咨询", "Asks about wealth management or premium services"),
    ("upscale_address", "发现客户住址是高档住宅区", "Lives in an upscale residential area"),
    ("lingers_at_brochures", "客户在产品资料栏长期逗留", "Lingers at the product brochures"),
)


class ReferralSection(Section):
    """识别转介: what a referral may give as its reason, and how fast an RM should answer."""

    accept_target_min: float = Field(5, gt=0, le=240, description="a referral should be accepted by an RM within this")
    triggers: list[ReferralTrigger] = Field(
        default_factory=lambda: [ReferralTrigger(code=c, zh=zh, en=en) for c, zh, en in DEFAULT_TRIGGERS], min_length=1
    )

    def trigger(self, code: str) -> ReferralTrigger | None:
        return next((t for t in self.triggers if t.code == code), None)


class PromotionSection(Section):
    """营销信息发布: short promotions for the hall display and the kiosk."""

    # Files a technician drops in (one TOML per promotion, docs/promotions.md); none if unset.
    folder: Path | None = None
    max_image_kb: int = Field(150, ge=8, le=1024)
    max_image_pixels: int = Field(1920, ge=64, le=8192, description="the longer side of an image, in pixels")
    max_active: int = Field(6, ge=1, le=20)


class Choice(Section):
    """Something a screen offers by code, in both languages: a rating reason, a complaint category."""

    code: str = Field(pattern=_ID_PATTERN)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


DEFAULT_RATING_REASONS = (
    ("long_wait", "等候时间太长", "Waited too long"),
    ("attitude", "服务态度不好", "Unfriendly service"),
    ("slow", "办理速度慢", "Slow service"),
    ("not_explained", "没有讲清楚", "Not explained clearly"),
    ("mistake", "办理有差错", "A mistake was made"),
    ("environment", "环境设施", "Premises and facilities"),
)
DEFAULT_COMPLAINT_CATEGORIES = (
    ("attitude", "服务态度", "Staff attitude"),
    ("waiting", "等候时间", "Waiting time"),
    ("error", "业务差错", "A mistake in a transaction"),
    ("fees", "收费", "Fees and charges"),
    ("sales", "产品销售", "Product sales"),
    ("facilities", "环境设施", "Premises and facilities"),
    ("other", "其他", "Other"),
)


class RatingSection(Section):
    """服务评价: the rating screen at each counter and what counts as a low score."""

    enabled: bool = True
    scale: Literal[3, 5] = 3
    prompt_s: float = Field(45, ge=5, le=600, description="a prompt stays open this long after the teller completes")
    low_score: int = Field(1, ge=1, le=4, description="a score at or below this raises a service alert")
    quick_vote_s: float = Field(1.0, ge=0, le=10, description="votes faster than this after the prompt are counted as suspiciously quick")
    skip_flag_pct: float = Field(30, ge=0, le=100, description="a teller whose prompts go unanswered more often is flagged")
    reasons: list[Choice] = Field(
        default_factory=lambda: [Choice(code=c, zh=zh, en=en) for c, zh, en in DEFAULT_RATING_REASONS], min_length=1
    )

    @model_validator(mode="after")
    def _low_below_top(self) -> RatingSection:
        if self.low_score >= self.scale:
            raise ValueError(f"low_score {self.low_score} must be below the top of the {self.scale}-point scale")
        return self


class ComplaintSection(Section):
    """投诉处理: categories and the targets a complaint is held to."""

    ack_target_min: float = Field(10, gt=0, le=24 * 60, description="a complaint should be acknowledged within this")
    resolve_target_days: int = Field(3, ge=1, le=60, description="working days (days the branch opens) to resolve it")
    categories: list[Choice] = Field(
        default_factory=lambda: [Choice(code=c, zh=zh, en=en) for c, zh, en in DEFAULT_COMPLAINT_CATEGORIES], min_length=1
    )


class WaitEstimateSection(Section):
    """The wait printed on the ticket: learned from the branch's own days once there are enough."""

    training_days: int = Field(60, ge=2, le=730, description="days of history the learned predictor is trained on")
    min_history_days: int = Field(5, ge=2, le=365, description="until then the queue-length estimator answers")
    min_tickets: int = Field(500, ge=50, le=1_000_000, description="tickets that waited for a counter, needed to learn")


class AppointmentSection(Section):
    """预约: when a booking may be checked in, around its slot."""

    early_min: float = Field(30, ge=0, le=240, description="how long before the slot a customer may check in")
    late_min: float = Field(10, ge=0, le=120, description="how long after the slot; later, a walk-in ticket and the booking is late")


class HeadOfficeSection(Section):
    """Head office's public ticket page. Empty `public_url`: the QR code carries the ticket id only."""

    public_url: str = Field("", pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$", description="e.g. https://q.bank.example")
    # The branch's Ed25519 key that signs every ticket's link; made on first use (0600).
    link_key_file: Path = Path("/var/lib/lobby/ticket-link.key")


class BranchConfig(BaseSettings):
    """The whole branch. Sections in the order a technician reads them in the file."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    branch: BranchSection
    store: StoreSection = StoreSection()
    security: SecuritySection = SecuritySection()
    mqtt: MqttSection = MqttSection()
    bridge: BridgeSection = BridgeSection()
    web: WebSection = WebSection()
    tiers: dict[Tier, TierRule] = Field(default_factory=_default_tiers)
    services: list[ServiceSection] = Field(min_length=1)
    counters: list[CounterSection] = Field(min_length=1)
    profiles: dict[str, ProfileSection] = Field(default_factory=lambda: {"fifo": ProfileSection(kind="fifo")})
    kiosk: KioskSection = KioskSection()
    printer: PrinterSettings = PrinterSettings()
    displays: list[CounterDisplaySettings] = Field(default_factory=list)
    voice: VoiceSettings = VoiceSettings()
    staff: StaffSection = StaffSection()
    referrals: ReferralSection = ReferralSection()
    promotions: PromotionSection = PromotionSection()
    ratings: RatingSection = RatingSection()
    complaints: ComplaintSection = ComplaintSection()
    wait_estimate: WaitEstimateSection = WaitEstimateSection()
    head_office: HeadOfficeSection = HeadOfficeSection()
    appointments: AppointmentSection = AppointmentSection()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file arrives as init values; the environment must win over it.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _cross_references(self) -> BranchConfig:
        problems = cross_reference_problems(self)
        if problems:
            # Carried as data to problems_from_validation_error, one ConfigProblem each.
            raise PydanticCustomError(CROSS_REFERENCE, "the sections do not agree", {"problems": problems})
        return self

    def service(self, service_id: str) -> ServiceSection:
        return next(s for s in self.services if s.id == service_id)

    @property
    def alert_tiers(self) -> frozenset[Tier]:
        return frozenset(tier for tier, rule in self.tiers.items() if rule.alert)


def cross_reference_problems(config: BranchConfig) -> list[ConfigProblem]:
    """Mistakes that only show when sections are read together."""
    problems: list[ConfigProblem] = []
    service_ids = [s.id for s in config.services]
    for kind, ids in (("service", service_ids), ("counter", [c.id for c in config.counters])):
        for index, ident in enumerate(ids):
            if ident in ids[:index]:
                problems.append(ConfigProblem(f"{kind}s[{index}].id", f"the {kind} id '{ident}' is used twice"))
    prefixes = [(i, s.prefix) for i, s in enumerate(config.services)]
    for i, prefix in prefixes:
        for j, other in prefixes[:i]:
            if prefix.startswith(other) or other.startswith(prefix):
                problems.append(
                    ConfigProblem(
                        f"services[{i}].prefix",
                        f"prefix '{prefix}' overlaps '{other}' of services[{j}] ({config.services[j].id}); "
                        "tickets like "
                        f"{prefix}001 and {other}001 would be confused on tickets and announcements — give each service its own letter",
                    )
                )
    for i, counter in enumerate(config.counters):
        for k, service in enumerate(counter.services):
            if service not in service_ids:
                problems.append(
                    ConfigProblem(
                        f"counters[{i}].services[{k}]",
                        f"counter '{counter.id}' serves '{service}', which is not a service defined under [[services]] "
                        f"(defined: {', '.join(service_ids)})",
                    )
                )
        if counter.profile not in config.profiles:
            problems.append(
                ConfigProblem(
                    f"counters[{i}].profile",
                    f"counter '{counter.id}' uses work profile '{counter.profile}', which is not defined under [profiles] "
                    f"(defined: {', '.join(config.profiles) or 'none'})",
                )
            )
    counter_ids = [c.id for c in config.counters]
    for i, display in enumerate(config.displays):
        if display.counter not in counter_ids:
            problems.append(
                ConfigProblem(
                    f"displays[{i}].counter",
                    f"display for counter '{display.counter}', which is not a counter (counters: {', '.join(counter_ids)})",
                )
            )
    return problems


def load_config(path: Path | str = DEFAULT_CONFIG_PATH) -> BranchConfig:
    """Read, merge with the environment and validate; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, [ConfigProblem("", f"the file does not exist; copy config/branch.example.toml to {path} and edit it")]) from None
    except PermissionError:
        raise ConfigError(path, [ConfigProblem("", "permission denied; run as root or the lobby user")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [ConfigProblem("", f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [ConfigProblem("", f"not valid TOML: {exc}")]) from None
    try:
        return BranchConfig(**raw)
    except ValidationError as exc:
        raise ConfigError(path, problems_from_validation_error(exc, ENV_PREFIX, BranchConfig)) from None


def config_summary(config: BranchConfig) -> str:
    """One line a technician can check at a glance after `config check`."""
    return (
        f"branch {config.branch.id} ({config.branch.name}), {len(config.services)} services, "
        f"{len(config.counters)} counters, time zone {config.branch.timezone}"
    )
