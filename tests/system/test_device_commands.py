"""The technician's device commands, run as a technician would: the CLI in a subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest

from edge_agent.devices.virtual.display import VirtualCounterDisplay
from edge_agent.devices.virtual.printer import VirtualPrinter


def cli(toml, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def hardware_toml(branch_toml, tmp_path):
    """The branch with a "real" printer and display: virtual devices behind plain serial paths."""
    printer = VirtualPrinter(tmp_path / "hw")
    printer.start()
    display = VirtualCounterDisplay(tmp_path / "hw", "3")
    display.start()
    text = branch_toml.read_text(encoding="utf-8").replace('port = "virtual"', f'port = "{printer.link}"', 1)
    text = text.replace('counter = "3"\nport = "virtual"', f'counter = "3"\nport = "{display.link}"')
    text = text.replace('[[displays]]\ncounter = "1"\nport = "virtual"\n', "")
    path = tmp_path / "hardware.toml"
    path.write_text(text, encoding="utf-8")
    yield path, printer, display
    display.stop()
    printer.stop()


def test_check_test_print_and_display_test(hardware_toml):
    toml, printer, display = hardware_toml
    check = cli(toml, "devices", "check")
    assert check.returncode == 0, check.stderr
    assert "ticket printer printer-1 on" in check.stdout and "ok — The ticket printer is ready." in check.stdout
    printed = cli(toml, "devices", "test-print")
    assert printed.returncode == 0 and "printed a test ticket" in printed.stdout
    assert printer.wait_for_tickets(1)
    assert cli(toml, "devices", "test-print", "--printer", "other").returncode == 2
    shown = cli(toml, "devices", "display-test")
    assert shown.returncode == 0 and "counter 3: test text sent" in shown.stdout
    printer.command("cover_open")
    refused = cli(toml, "devices", "check")
    assert refused.returncode == 1 and "cover is open" in refused.stderr


def test_list_names_ports_and_their_users(hardware_toml):
    toml, _, _ = hardware_toml
    listed = cli(toml, "devices", "list")
    assert "Traceback" not in listed.stderr
    assert listed.stdout.strip()


def test_virtual_without_a_running_printer(branch_toml):
    result = cli(branch_toml, "devices", "virtual", "paper_out")
    assert result.returncode == 1 and "no virtual printer is running" in result.stderr
    assert cli(branch_toml, "devices", "virtual", "explode").returncode == 2


def test_voice_say(branch_toml):
    assert cli(branch_toml, "voice", "build-pack").returncode == 0
    said = cli(branch_toml, "voice", "say", "请A023号到3号窗口")
    assert said.returncode == 0 and "A023 to counter 3" in said.stdout
    refused = cli(branch_toml, "voice", "say", "请A023号到贵宾室")
    assert refused.returncode == 2 and "no clip for" in refused.stderr
