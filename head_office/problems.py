"""What a log line says of a failure: its first line (psycopg's errors run to several, with hints)."""

from __future__ import annotations


def first_line(problem: BaseException) -> str:
    return (str(problem).strip().splitlines() or [type(problem).__name__])[0]
