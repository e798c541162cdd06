"""The customer directory: who a card belongs to, as the bank wants them greeted.

Imported from the CRM's CSV export. Card numbers are turned into HMAC tokens the moment
they are read and never stored, logged or echoed in an error: a bad row is reported by its
line number and column, with the card shown masked.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from edge_agent.store.db import Store
from lobby.card_key import card_token, mask_pan
from lobby.contract import Tier

REQUIRED_COLUMNS = ("card_number", "display_name", "tier", "rm")


@dataclass(frozen=True)
class Customer:
    token: str
    display_name: str
    tier: Tier
    rm: str


@dataclass(frozen=True)
class TierThresholds:
    """From the [tiers] section: (tier, min_assets, min_loans), strongest tier first."""

    rules: tuple[tuple[Tier, float | None, float | None], ...]
    names: dict[str, Tier]  # every spelling a CRM may use: "vip", "中高端客户", "Premier"

    def tier_for(self, assets: float | None, loans: float | None) -> Tier:
        for tier, min_assets, min_loans in self.rules:
            if min_assets is not None and assets is not None and assets >= min_assets:
                return tier
            if min_loans is not None and loans is not None and loans >= min_loans:
                return tier
        return Tier.MASS


class CustomerRow(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    card_number: str
    display_name: str
    tier: str = ""
    rm: str = ""
    assets: float | None = None
    loans: float | None = None

    @field_validator("card_number")
    @classmethod
    def _digits(cls, value: str) -> str:
        digits = value.replace(" ", "").replace("-", "")
        if not digits.isdigit() or not 12 <= len(digits) <= 19:
            # Do not echo the value: it may be a real card number with a typo.
            raise ValueError("must be 12 to 19 digits (spaces and dashes allowed)")
        return digits

    @field_validator("display_name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value:
            raise ValueError("is empty; write how the bank addresses the customer, e.g. 王先生")
        return value

    @field_validator("assets", "loans", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.replace(",", "").strip()
            return value or None
        return value


@dataclass
class ImportReport:
    imported: int
    problems: list[str]


def parse_export(text: str, key: bytes, thresholds: TierThresholds) -> tuple[list[Customer], list[str]]:
    """Customers and one message per bad row; card numbers are tokenised here and dropped."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # Excel writes a BOM
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        return [], [f"the header must start with {','.join(REQUIRED_COLUMNS)}; missing: {', '.join(missing)}"]
    reader.fieldnames = header
    customers: list[Customer] = []
    problems: list[str] = []
    for line_number, record in enumerate(reader, start=2):
        try:
            row = CustomerRow(**{k: v for k, v in record.items() if k is not None and v is not None})
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                column = ".".join(str(part) for part in error["loc"])
                problems.append(f"line {line_number}, column {column}: {error['msg'].removeprefix('Value error, ')}")
            continue
        if row.tier:
            tier = thresholds.names.get(row.tier.lower())
            if tier is None:
                problems.append(
                    f"line {line_number} (card {mask_pan(row.card_number)}), column tier: '{row.tier}' is not a tier; "
                    f"use one of {', '.join(sorted(set(thresholds.names)))}"
                )
                continue
        else:
            tier = thresholds.tier_for(row.assets, row.loans)
        customers.append(Customer(card_token(key, row.card_number), row.display_name, tier, row.rm))
    return customers, problems


def import_customers(store: Store, path: Path, key: bytes, thresholds: TierThresholds, now: datetime) -> ImportReport:
    """All rows or none: a half-imported directory would greet some VIPs and not others."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = Path(path).read_text(encoding="gb18030")  # CRM exports on Chinese Windows
    customers, problems = parse_export(text, key, thresholds)
    if problems:
        return ImportReport(0, problems)
    save_customers(store, customers, now)
    return ImportReport(len(customers), [])


def save_customers(store: Store, customers: list[Customer], now: datetime) -> None:
    """Add or update customers in one transaction."""
    with store.write() as conn:
        conn.executemany(
            "INSERT INTO customers (token, display_name, tier, rm, imported_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (token) DO UPDATE SET display_name=excluded.display_name, tier=excluded.tier, "
            "rm=excluded.rm, imported_at=excluded.imported_at",
            [(c.token, c.display_name, c.tier.value, c.rm, now.isoformat()) for c in customers],
        )


def find_customer(store: Store, token: str) -> Customer | None:
    """Who the card belongs to. A staff member's prospect mark (潜在客户) lifts a card the
    directory holds as mass, potential or not at all to `prospect`; a VIP stays a VIP."""
    row = store.conn.execute("SELECT token, display_name, tier, rm FROM customers WHERE token = ?", (token,)).fetchone()
    customer = None if row is None else Customer(row["token"], row["display_name"], Tier(row["tier"]), row["rm"])
    mark = store.conn.execute("SELECT customer_name FROM prospects WHERE token = ?", (token,)).fetchone()
    if mark is None or (customer is not None and customer.tier is Tier.VIP):
        return customer
    if customer is None:
        return Customer(token, mark["customer_name"] or PROSPECT_NAME, Tier.PROSPECT, "")
    return Customer(token, customer.display_name, Tier.PROSPECT, customer.rm)


# How a prospect whose name nobody wrote down is greeted.
PROSPECT_NAME = "尊敬的客户"
