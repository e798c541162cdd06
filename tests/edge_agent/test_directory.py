"""Customer directory import: tokens only, tiers from names or thresholds, bad rows explained without the PAN."""

from __future__ import annotations

import os
import stat
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from edge_agent.branch import tier_thresholds
from edge_agent.store.db import Store
from edge_agent.store.directory import find_customer, import_customers
from lobby.card_key import KeyFileError, card_token, load_or_create_key
from lobby.contract import Tier

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PANS = ["6222021234567890128", "4111111111111111", "5500005555555559", "6212261202000123457"]


@pytest.fixture
def key(branch_config) -> bytes:
    return load_or_create_key(branch_config.security.key_file)


def test_import_stores_tokens_and_derives_tiers(branch_config, tmp_path, key):
    export = tmp_path / "crm.csv"
    export.write_text(
        "card_number,display_name,tier,rm,assets,loans\n"
        f"{PANS[0]},王先生,中高端客户,李经理,,\n"
        f"{PANS[1]},Ms Chen,,Zhao,\"250,000\",\n"  # assets above the VIP threshold
        f"{PANS[2]},刘女士,,,60000,\n"  # potential by assets
        f"{PANS[3][:4]} {PANS[3][4:8]} {PANS[3][8:]},赵先生,,,1000,600000\n",  # VIP by loans; spaces allowed
        encoding="utf-8",
    )
    store = Store(branch_config.store.path)
    report = import_customers(store, export, key, tier_thresholds(branch_config), NOW)
    assert (report.imported, report.problems) == (4, [])
    tiers = [find_customer(store, card_token(key, pan)).tier for pan in PANS]
    assert tiers == [Tier.VIP, Tier.VIP, Tier.POTENTIAL, Tier.VIP]
    assert find_customer(store, card_token(key, PANS[0])).display_name == "王先生"
    store.close()
    raw = open(branch_config.store.path, "rb").read() + b"".join(
        open(p, "rb").read() for p in [str(branch_config.store.path) + "-wal"] if os.path.exists(p)
    )
    for pan in PANS:
        assert pan.encode() not in raw


def test_bad_rows_are_explained_and_nothing_is_imported(branch_config, tmp_path, key):
    bad_pan = "62220212345678"  # 14 digits: valid length, typo in tier below
    export = tmp_path / "crm.csv"
    export.write_text(
        "card_number,display_name,tier,rm\n"
        f"{PANS[0]},王先生,vip,李经理\n"
        "12345,张先生,vip,\n"
        f"{bad_pan},钱女士,gold,\n"
        f"{PANS[1]},,mass,\n",
        encoding="utf-8",
    )
    store = Store(branch_config.store.path)
    report = import_customers(store, export, key, tier_thresholds(branch_config), NOW)
    assert report.imported == 0
    assert report.problems[0] == "line 3, column card_number: must be 12 to 19 digits (spaces and dashes allowed)"
    assert report.problems[1].startswith("line 4 (card 622202****5678), column tier: 'gold' is not a tier")
    assert report.problems[2].startswith("line 5, column display_name: is empty")
    assert store.conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0
    assert not any(bad_pan in p or PANS[1] in p for p in report.problems)
    store.close()


def test_missing_header_column(branch_config, tmp_path, key):
    export = tmp_path / "crm.csv"
    export.write_text("card,name\n1,2\n", encoding="utf-8")
    store = Store(branch_config.store.path)
    report = import_customers(store, export, key, tier_thresholds(branch_config), NOW)
    assert "missing: card_number, display_name, tier, rm" in report.problems[0]
    store.close()


def test_gb18030_export_from_chinese_windows(branch_config, tmp_path, key):
    export = tmp_path / "crm.csv"
    export.write_bytes(f"card_number,display_name,tier,rm\n{PANS[0]},王先生,vip,李经理\n".encode("gb18030"))
    store = Store(branch_config.store.path)
    assert import_customers(store, export, key, tier_thresholds(branch_config), NOW).imported == 1
    assert find_customer(store, card_token(key, PANS[0])).display_name == "王先生"
    store.close()


def test_key_file_is_private_and_stable(tmp_path):
    path = tmp_path / "keys" / "card.key"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == first
    path.write_text("not hex\n")
    with pytest.raises(KeyFileError, match="not a hex key"):
        load_or_create_key(path)


