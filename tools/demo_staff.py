"""The demo branch's people: a roster to import, and whom to sign in as on the pages.

Demo PINs only, printed so whoever runs `make demo` can sign in on the pages; a real
roster's PINs are typed by their owners and never shown anywhere.
"""

from __future__ import annotations

from pathlib import Path

# (staff_id, name, role, pin, the counter a teller sits at)
DEMO_STAFF = (
    ("T301", "陈柜员", "teller", "301301", "1"),
    ("T302", "刘柜员", "teller", "302302", "3"),
    ("T303", "孙柜员", "teller", "303303", "4"),
    ("M101", "张敏", "manager", "101101", None),
    ("R201", "王理财", "rm", "201201", None),
    ("R202", "赵理财", "rm", "202202", None),
    ("H001", "周行长", "head", "100100", "6"),
)


def write_roster(path: Path) -> Path:
    path.write_text("staff_id,name,role,pin\n" + "".join(f"{s},{n},{r},{p}\n" for s, n, r, p, _ in DEMO_STAFF), encoding="utf-8")
    return path


def sign_in_card() -> str:
    """Who to sign in as, for the person trying the demo's pages."""
    lines = [f"  {name} ({role}): staff id {staff_id}, PIN {pin}" + (f", counter {counter}" if counter else "")
             for staff_id, name, role, pin, counter in DEMO_STAFF]
    return "\n".join(lines)
