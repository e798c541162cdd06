"""Promotions a technician drops in as files: `[promotions] folder`, one TOML per promotion.

    title = "大额存单 3.1%"
    text = "20万起存，三年期"
    image = "cd-rate.png"          # optional, beside the TOML
    starts_on = 2026-12-01
    ends_on = 2026-12-31
    tiers = ["vip", "potential"]  # optional; empty or missing: everyone

The file's name (without .toml) is the promotion's id, prefixed `file-`. Removing the file
withdraws it. A bad file is logged once (until it changes) and otherwise ignored.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lobby.contract import Tier


class PromotionFile(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=30)
    text: str = Field("", max_length=120)
    image: str | None = None
    starts_on: date
    ends_on: date
    tiers: list[Tier] = []


@dataclass(frozen=True)
class DroppedPromotion:
    promotion_id: str
    form: PromotionFile
    image: bytes | None
    version: str  # changes when the file or its image changes


def read_folder(folder: Path) -> tuple[list[DroppedPromotion], dict[str, str]]:
    """The folder's promotions, and a sentence for each file that cannot be used."""
    found: list[DroppedPromotion] = []
    problems: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            form = PromotionFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
            image = (path.parent / form.image).read_bytes() if form.image else None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problems[path.name] = f"cannot be read: {exc}"
            continue
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "file"
            problems[path.name] = f"{where}: {first['msg']}"
            continue
        stat = path.stat()
        version = f"{stat.st_mtime_ns}-{stat.st_size}-{len(image or b'')}"
        found.append(DroppedPromotion(f"file-{path.stem}"[:64], form, image, version))
    return found, problems
