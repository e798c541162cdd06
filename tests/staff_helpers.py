"""A branch roster for tests: who exists, their PINs, and signing them in."""

from __future__ import annotations

from pathlib import Path

from edge_agent.rules.staff_roster import read_roster
from edge_agent.store.staff import replace_roster

# (staff_id, name, role, pin). PINs are only ever typed, never stored: tests grep for them.
ROSTER = (
    ("T301", "陈柜员", "teller", "480213"),
    ("T302", "刘柜员", "teller", "913377"),
    ("M101", "张敏", "manager", "552901"),
    ("R201", "王理财", "rm", "774120"),
    ("R202", "赵理财", "rm", "306558"),
    ("H001", "周行长", "head", "640071"),
)
PINS = {staff_id: pin for staff_id, _, _, pin in ROSTER}


def roster_csv(folder: Path) -> Path:
    path = folder / "staff.csv"
    path.write_text("staff_id,name,role,pin\n" + "".join(f"{s},{n},{r},{p}\n" for s, n, r, p in ROSTER), encoding="utf-8")
    return path


def import_roster(store, folder: Path, now) -> None:
    members, problems = read_roster(roster_csv(folder))
    assert problems == []
    with store.write() as conn:
        replace_roster(conn, members, now)
