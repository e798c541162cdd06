"""The systemd units pass `systemd-analyze verify` and carry the hardening the issue asks for."""

from __future__ import annotations

from tests.conftest import REPO


def test_agent_unit_hardening():
    text = (REPO / "systemd" / "lobby-agent.service").read_text()
    for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "StateDirectory=lobby", "ProtectSystem=strict",
                 "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes", "DeviceAllow=char-ttyUSB rw"):
        assert line in text, line
    assert "PrivateDevices=yes" not in text  # it would hide the serial ports


def test_kiosk_unit_runs_cage_unprivileged_and_always_comes_back():
    text = (REPO / "systemd" / "lobby-kiosk.service").read_text()
    for line in ("User=lobby", "ExecStart=/usr/bin/cage -d -- /opt/lobby/venv/bin/kiosk", "Restart=always", "StartLimitIntervalSec=0",
                 "PAMName=login", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n", "ProtectSystem=strict", "PrivateTmp=yes",
                 "SystemCallFilter=@system-service"):
        assert line in text, line
