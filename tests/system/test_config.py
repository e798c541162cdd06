"""The branch configuration: the example loads, and every class of mistake gets its own clear message."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import EXAMPLE_CONFIG


def edited(old: str, new: str) -> str:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    assert old in text, f"the example no longer contains {old!r}"
    return text.replace(old, new, 1)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edge_agent.cli", *args], capture_output=True, text=True, timeout=60)


def test_config_check_command_ok():
    result = run_cli("config", "check", str(EXAMPLE_CONFIG))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK")


def test_config_check_command_lists_every_problem_without_traceback(tmp_path):
    path = tmp_path / "branch.toml"
    path.write_text(edited("port = 1883", "port = 99999").replace('prefix = "B"', 'prefix = "A"'), encoding="utf-8")
    result = run_cli("config", "check", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "[mqtt.port]" in result.stdout
    assert f"{path} [mqtt.port]: Input should be less than or equal to 65535" in result.stdout
