"""The demo branch's customers: test card numbers (not real cards) as a CRM export holds them."""

from __future__ import annotations

from pathlib import Path

DEMO_CUSTOMERS = [
    ("6222021234567890128", "王先生", "vip", "李经理"),
    ("4111111111111111", "陈女士", "potential", "赵经理"),
]


def write_crm_export(path: Path) -> Path:
    """`edge-agent customers import`'s input for the demo customers."""
    rows = "".join(f"{pan},{name},{tier},{rm}\n" for pan, name, tier, rm in DEMO_CUSTOMERS)
    path.write_text("card_number,display_name,tier,rm\n" + rows, encoding="utf-8")
    return path
