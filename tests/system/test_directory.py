"""Customer directory import: tokens only, tiers from names or thresholds, bad rows explained without the PAN."""

from __future__ import annotations

import subprocess
import sys

PANS = ["6222021234567890128", "4111111111111111", "5500005555555559", "6212261202000123457"]


def test_import_command(branch_toml, branch_config, tmp_path):
    export = tmp_path / "crm.csv"
    export.write_text(f"card_number,display_name,tier,rm\n{PANS[0]},王先生,vip,李经理\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "edge_agent.cli", "--config", str(branch_toml), "customers", "import", str(export)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "imported 1 customer(s)" in result.stdout
    assert PANS[0] not in result.stdout + result.stderr
    export.write_text("card_number,display_name,tier,rm\n123,x,vip,\n", encoding="utf-8")
    failed = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1 and "nothing imported" in failed.stderr and "Traceback" not in failed.stderr
