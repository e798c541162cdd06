"""`edge-agent staff import staff.csv`: the branch's people, with their PINs hashed on the way in.

The file is `staff_id,name,role,pin`. A bad row is reported by its line and column, never
with the PIN. The file is the whole roster: whoever is not in it has left, cannot sign in
again, and is signed out.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from edge_agent.rules.pins import PIN_PATTERN, hash_pin
from lobby.contract import StaffRole

REQUIRED_COLUMNS = ("staff_id", "name", "role", "pin")


class StaffRow(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    staff_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
    name: str = Field(min_length=1, max_length=40)
    role: StaffRole
    pin: str

    @field_validator("pin")
    @classmethod
    def _pin(cls, value: str) -> str:
        if not PIN_PATTERN.match(value):
            raise ValueError("must be 4 to 8 digits")  # never echo it: it is somebody's PIN
        return value


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    name: str
    role: StaffRole
    pin_hash: str


def _message(error: ErrorDetails) -> str:
    if error["type"] == "enum":
        return f"must be one of {', '.join(r.value for r in StaffRole)}"
    if error["type"] == "string_pattern_mismatch":
        return "must be letters, digits, '-' or '_' (at most 32)"
    return str(error["msg"]).removeprefix("Value error, ")


def parse_roster(text: str) -> tuple[list[StaffMember], list[str]]:
    """The roster and one message per problem; PINs are hashed here and dropped."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        return [], [f"the header must be {','.join(REQUIRED_COLUMNS)}; missing: {', '.join(missing)}"]
    reader.fieldnames = header
    rows: list[tuple[int, StaffRow]] = []
    problems: list[str] = []
    for line_number, record in enumerate(reader, start=2):
        try:
            rows.append((line_number, StaffRow(**{k: v for k, v in record.items() if k is not None and v is not None})))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                column = ".".join(str(part) for part in error["loc"])
                problems.append(f"line {line_number}, column {column}: {_message(error)}")
    seen: dict[str, int] = {}
    for line_number, row in rows:
        if row.staff_id in seen:
            problems.append(f"line {line_number}: staff id {row.staff_id} is already on line {seen[row.staff_id]}")
        seen.setdefault(row.staff_id, line_number)
    if problems:
        return [], problems
    return [StaffMember(row.staff_id, row.name, row.role, hash_pin(row.pin)) for _, row in rows], []


def read_roster(path: Path) -> tuple[list[StaffMember], list[str]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = Path(path).read_text(encoding="gb18030")  # saved by Excel on Chinese Windows
    return parse_roster(text)
