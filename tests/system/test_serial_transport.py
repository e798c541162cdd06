"""The serial transport's state machine over real pseudo-terminals: opening, timeouts, reconnecting."""

from __future__ import annotations

import os
import threading
import time
import tty
from pathlib import Path

import pytest

from edge_agent.devices.serial.transport import PortUnavailable, SerialTransport, WriteTimeout
from edge_agent.devices.virtual.port import VirtualPort
from edge_agent.devices.virtual.printer import VirtualPrinter
from lobby.contract import DeviceLink


class Recorder:
    """A listener that keeps every payload it is handed."""

    def __init__(self):
        self.payloads: list[dict] = []
        self.changed = threading.Condition()
        self._seen = 0  # payloads already matched by wait_for

    def __call__(self, device_id: str, payload: dict) -> None:
        assert device_id == "dev-1"
        with self.changed:
            self.payloads.append(payload)
            self.changed.notify_all()

    @property
    def connections(self) -> list[str]:
        return [p["connection"] for p in self.payloads]

    def wait_for(self, connection: str, timeout: float = 5) -> dict:
        """The next payload in this connection state (states may pass quickly)."""
        with self.changed:
            found = self.changed.wait_for(lambda: connection in self.connections[self._seen :], timeout)
            assert found, self.connections
            self._seen += self.connections[self._seen :].index(connection) + 1
            return self.payloads[self._seen - 1]


def transport(port: Path, recorder: Recorder, **extra) -> SerialTransport:
    link = SerialTransport(
        "dev-1", "printer", "The test device", str(port), 38400,
        read_timeout_s=extra.pop("read_timeout_s", 0.2), write_timeout_s=extra.pop("write_timeout_s", 0.5), **extra,
    )
    link.add_listener(recorder)
    return link


@pytest.fixture
def pty_port(tmp_path):
    port = VirtualPort(tmp_path / "by-id-link")
    port.plug()
    yield port
    port.unplug()


def test_payload_has_the_device_state_shape(pty_port):
    recorder = Recorder()
    link = transport(pty_port.link, recorder)
    link.start()
    try:
        assert recorder.connections == ["connecting", "ready"]
        payload = recorder.payloads[-1]
        assert set(payload) == {"kind", "status", "detail", "since", "connection"}
        assert payload["kind"] == "printer" and payload["status"] == "ok"
        assert "+" in payload["since"] or payload["since"].endswith("Z") or "-" in payload["since"][19:]
    finally:
        link.stop()
    assert recorder.payloads[-1]["connection"] == "disconnected" and "closed by the agent" in recorder.payloads[-1]["detail"]


def test_exchange_discards_stale_input_and_times_out(pty_port):
    link = transport(pty_port.link, Recorder())
    link.start()
    try:
        os.write(pty_port.master, b"stale")
        time.sleep(0.05)
        started = time.monotonic()
        assert link.exchange(b"?", 4, 0.2) == b""  # nothing answered: nothing returned, on time
        assert 0.15 < time.monotonic() - started < 1.0
        assert os.read(pty_port.master, 10) == b"?"
    finally:
        link.stop()


def test_a_write_timeout_really_happens_then_recovers(tmp_path):
    """A stalled printer stops reading: the pty fills up and the writer's write times out."""
    printer = VirtualPrinter(tmp_path / "vp")
    printer.start()
    recorder = Recorder()
    link = transport(printer.link, recorder, write_timeout_s=0.5)
    link.start()
    try:
        printer.command("stall")
        time.sleep(0.1)
        started = time.monotonic()
        with pytest.raises(WriteTimeout, match=r"stopped taking data \(64000 bytes not accepted within 0.5 s\)"):
            link.write(b"\x00" * 64_000)  # far more than the ~15 kB a Linux pty holds
        took = time.monotonic() - started
        assert 0.4 < took < 2.0, took
        assert (link.state, link.status) == (DeviceLink.DEGRADED, "offline")
        printer.command("unstall")
        assert link.exchange(b"\x10\x04\x01", 1, 2.0) == b"\x12"  # it answers again: same port, no reopen
        link.report("ok", "The test device is ready.")
        assert link.state is DeviceLink.READY
        assert "error" not in recorder.connections  # the port was never lost
    finally:
        link.stop()
        printer.stop()


def test_port_that_appears_later_is_opened_without_restart(tmp_path):
    recorder = Recorder()
    port = VirtualPort(tmp_path / "later")
    link = transport(port.link, recorder)
    link.start()
    try:
        assert link.state is DeviceLink.ERROR and "no such port" in link.detail
        with pytest.raises(PortUnavailable):
            link.write(b"x")
        port.plug()
        recorder.wait_for("ready")
        assert recorder.connections == ["connecting", "error", "connecting", "ready"]
    finally:
        link.stop()
        port.unplug()


def test_unplug_and_replug_reconnects(pty_port):
    recorder = Recorder()
    link = transport(pty_port.link, recorder)
    link.start()
    try:
        pty_port.unplug()
        lost = recorder.wait_for("error")
        assert "the port disappeared" in lost["detail"] and lost["status"] == "offline"
        with pytest.raises(PortUnavailable):
            link.exchange(b"?", 1, 0.1)
        pty_port.plug()
        recorder.wait_for("ready")
        link.write(b"hello")
        assert os.read(pty_port.master, 5) == b"hello"
        assert recorder.connections == ["connecting", "ready", "error", "connecting", "ready"]
        assert [p["status"] for p in recorder.payloads] == ["offline", "ok", "offline", "offline", "ok"]
    finally:
        link.stop()


def test_link_re_pointed_to_a_new_tty_is_followed(tmp_path):
    """A USB adapter re-plugged quickly: the by-id link now leads to another tty."""
    link_path = tmp_path / "usb-link"
    first_master, first_slave = os.openpty()
    second_master, second_slave = os.openpty()
    for fd in (first_slave, second_slave):
        tty.setraw(fd)
    link_path.symlink_to(os.ttyname(first_slave))
    recorder = Recorder()
    link = transport(link_path, recorder)
    link.start()
    try:
        fresh = tmp_path / "usb-link.new"
        fresh.symlink_to(os.ttyname(second_slave))
        fresh.replace(link_path)
        assert "leads to another device" in recorder.wait_for("error")["detail"]
        recorder.wait_for("ready")
        link.write(b"new")
        assert os.read(second_master, 3) == b"new"
    finally:
        link.stop()
        for fd in (first_master, first_slave, second_master, second_slave):
            os.close(fd)


def test_failed_opens_back_off_exponentially(tmp_path):
    not_a_tty = tmp_path / "not-a-tty"
    not_a_tty.write_text("")  # exists, cannot be opened as a serial port
    recorder = Recorder()
    link = transport(not_a_tty, recorder)
    attempts: list[float] = []
    link.add_listener(lambda _, p: attempts.append(time.monotonic()) if p["connection"] == "connecting" else None)
    link.start()
    time.sleep(3.2)
    link.stop()
    gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
    assert 3 <= len(attempts) <= 6, gaps  # not a busy loop
    assert all(later > earlier for earlier, later in zip(gaps, gaps[1:], strict=False)), gaps
    assert "cannot be opened" in [p for p in recorder.payloads if p["connection"] == "error"][0]["detail"]


def test_second_opener_is_told_who_holds_the_port(pty_port):
    first = transport(pty_port.link, Recorder())
    first.start()
    second = transport(pty_port.link, Recorder())
    second.start()
    try:
        assert first.state is DeviceLink.READY
        assert second.state is DeviceLink.ERROR and "another program holds the port" in second.detail
    finally:
        second.stop()
        first.stop()
