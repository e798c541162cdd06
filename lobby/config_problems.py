"""Turning pydantic's validation errors into sentences a technician can act on."""

from __future__ import annotations

import difflib
import os
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

# The error type under which the configuration's cross-section checks hand over their problems.
CROSS_REFERENCE = "cross_reference"


@dataclass(frozen=True)
class ConfigProblem:
    key_path: str  # e.g. "counters[2].services[0]"; "" for the file as a whole
    message: str


class ConfigError(Exception):
    """A configuration that cannot be used. `str()` is the full report, one problem per line."""

    def __init__(self, path: Path, problems: list[ConfigProblem]):
        self.path = Path(path)
        self.problems = problems
        super().__init__(self.report())

    def report(self) -> str:
        lines = [f"{self.path}: {len(self.problems)} problem(s) found"]
        for problem in self.problems:
            where = f"{self.path} [{problem.key_path}]" if problem.key_path else str(self.path)
            lines.append(f"  {where}: {problem.message}")
        return "\n".join(lines)


def _key_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def _env_name(prefix: str, loc: tuple[Any, ...]) -> str | None:
    """The environment variable that set this key, if one did."""
    if any(isinstance(item, int) for item in loc):
        return None
    name = prefix + "__".join(str(item) for item in loc).upper()
    return name if name in {key.upper() for key in os.environ} else None


def _unknown_key_message(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    message = f"unknown key '{loc[-1]}'"
    known = _known_keys(root, loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        message += f"; did you mean '{close[0]}'?"
    elif known:
        message += f"; known keys here: {', '.join(sorted(known))}"
    return message


def _unwrap(annotation: Any) -> Any:
    """The section model inside `X | None`, `list[X]` or `dict[K, X]`."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (list, tuple):
        return args[0] if args else None
    if origin is dict:
        return args[1] if len(args) == 2 else None
    if args and len(args) == 1:
        return args[0]
    return annotation


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the section at `loc` (following lists and tables of sections)."""
    current: Any = model
    for item in loc:
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(item, str) and item in current.model_fields:
            current = _unwrap(current.model_fields[item].annotation)
        else:
            current = _unwrap(current)
    current = _unwrap(current)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def problems_from_validation_error(exc: ValidationError, env_prefix: str, root: type[BaseModel]) -> list[ConfigProblem]:
    """One problem per pydantic error; `root` is the model validated, for "did you mean" hints."""
    problems: list[ConfigProblem] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            message = _unknown_key_message(root, loc)
        elif kind == "missing":
            message = f"required key '{loc[-1]}' is missing"
        elif kind == CROSS_REFERENCE:
            problems.extend(error["ctx"]["problems"])
            continue
        else:
            text = error["msg"].removeprefix("Value error, ")
            message = f"{text} (found {error['input']!r})"
        env = _env_name(env_prefix, loc)
        if env:
            message += f" — this value comes from the environment variable {env}"
        problems.append(ConfigProblem(_key_path(loc), message))
    return problems
