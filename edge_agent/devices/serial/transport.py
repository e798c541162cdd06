"""One serial device's connection, with a state you can name (after OctoPrint's printer states).

    DISCONNECTED --start--> CONNECTING --device asked--> READY <--> DEGRADED
                                 |                           |          |
                                 +--> ERROR <----------------+----------+   port gone or unusable
                                        |
                                        +--> CONNECTING when the port is back (retries back off)
    any state --stop--> DISCONNECTED

- CONNECTING: the port is being opened and the device asked how it is (`on_open`).
- READY: the port is open and the device works (status ok, or paper near end: it still prints).
- DEGRADED: the port is open but the device cannot do its job: paper out, cover open, no or
  a garbled answer, it stopped taking data. We keep the port and keep asking.
- ERROR: the port vanished or cannot be opened. A background thread watches the path and
  reopens it with exponential back-off: a USB adapter that is pulled and pushed back
  re-enumerates, and its /dev/serial/by-id link then points at a new tty.

Every change goes through `_set_state`, which logs it and hands listeners the device's
`devices/<id>/state` payload — kind, status (ok | paper_near_end | paper_out | cover_open |
offline | error), detail in words, since — plus `connection`, the state above; the log
replays what the device went through. Read and
write timeouts are always set: no call here waits longer than its timeout.
This module knows nothing of MQTT; the agent wires listeners to the bus.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime

import serial

from lobby.contract import DeviceLink, DeviceStatus

log = logging.getLogger(__name__)




# (device_id, payload): payload is {"kind", "status", "detail", "since", "connection"}.
DeviceListener = Callable[[str, dict], None]


class PortUnavailable(Exception):
    """The port is not open right now; the transport reopens it by itself."""


class WriteTimeout(Exception):
    """The device did not take the data within the write timeout."""


class SerialTransport:
    BACKOFF_START_S = 0.25
    BACKOFF_MAX_S = 10.0
    WATCH_INTERVAL_S = 0.5

    def __init__(
        self,
        device_id: str,
        kind: str,
        name: str,
        port: str,
        baudrate: int,
        *,
        read_timeout_s: float,
        write_timeout_s: float,
        on_open: Callable[[], object] | None = None,
    ):
        """`name` is how staff call the device ("The ticket printer"); it starts every detail.

        `on_open` runs after each (re)open, under the I/O lock, and must end with `report()`:
        it is how a printer is asked for its status before anyone relies on it.
        """
        self.device_id = device_id
        self.kind = kind
        self.name = name
        self.port = port
        self.baudrate = baudrate
        self.read_timeout_s = read_timeout_s
        self.write_timeout_s = write_timeout_s
        self._on_open = on_open
        self.state = DeviceLink.DISCONNECTED
        self.status = "offline"
        self.detail = f"{name} is not connected yet."
        self.since = datetime.now().astimezone()
        self._serial: serial.Serial | None = None
        self._rdev: int | None = None
        self._io = threading.RLock()  # one conversation with the device at a time
        self._state_lock = threading.Lock()
        self._notify_lock = threading.Lock()
        self._listeners: list[DeviceListener] = []
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    # ---- state ---------------------------------------------------------------------------

    def add_listener(self, listener: DeviceListener) -> None:
        """Called on the device's threads with (device_id, payload); it must return quickly."""
        self._listeners.append(listener)

    def payload(self) -> dict:
        """The `devices/<id>/state` payload (plus the connection state, for technicians)."""
        with self._state_lock:
            return self._payload()

    def _payload(self) -> dict:
        return {
            "kind": self.kind, "status": self.status, "detail": self.detail,
            "since": self.since.isoformat(timespec="seconds"), "connection": self.state.value,
        }

    def _set_state(self, state: DeviceLink, status: str, detail: str) -> None:
        # Listeners hear the changes in the order they happened, whichever thread made them:
        # the last payload published (retained) must be the device's state now.
        with self._notify_lock:
            self._change_and_tell(state, status, detail)

    def _change_and_tell(self, state: DeviceLink, status: str, detail: str) -> None:
        with self._state_lock:
            if (state, status, detail) == (self.state, self.status, self.detail):
                return
            # Opening and closing are routine; anything else that is not "ok" needs a person.
            routine = status == "ok" or state in (DeviceLink.CONNECTING, DeviceLink.DISCONNECTED)
            level = logging.INFO if routine else logging.WARNING
            log.log(level, "%s %s: %s -> %s, %s: %s", self.kind, self.device_id, self.state.value, state.value, status, detail)
            if status != self.status:
                self.since = datetime.now().astimezone()
            self.state, self.status, self.detail = state, status, detail
            payload = self._payload()
        for listener in list(self._listeners):
            try:
                listener(self.device_id, payload)
            except Exception:
                log.exception("%s %s: a state listener failed", self.kind, self.device_id)

    def report(self, status: str, detail: str) -> None:
        """What the device's protocol learned (a status reply, a write that went through)."""
        with self._io:
            if self._serial is not None:
                self._set_state(DeviceLink.READY if DeviceStatus(status).working else DeviceLink.DEGRADED, status, detail)

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def line_time_s(self, byte_count: int) -> float:
        """How long the line needs to carry `byte_count` bytes (start + 8 data + stop bits)."""
        return byte_count * 10 / self.baudrate

    # ---- opening, watching, reopening -----------------------------------------------------

    def start(self) -> None:
        """Open now (so the state is known when this returns), then watch in the background."""
        self._stopping.clear()
        self._open()
        self._supervisor = threading.Thread(target=self._supervise, name=f"{self.device_id}-link", daemon=True)
        self._supervisor.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._supervisor is not None:
            self._supervisor.join(self.write_timeout_s + 2)
        with self._io:
            self._drop_port()
            self._set_state(DeviceLink.DISCONNECTED, "offline", f"{self.name} was closed by the agent.")

    def _open(self) -> bool:
        with self._io:
            self._drop_port()
            self._set_state(DeviceLink.CONNECTING, "offline", f"{self.name} is being opened on {self.port} at {self.baudrate} baud.")
            try:
                port = serial.Serial(
                    self.port, self.baudrate, timeout=self.read_timeout_s, write_timeout=self.write_timeout_s, exclusive=True
                )
            except (serial.SerialException, OSError, ValueError) as exc:
                self._set_state(DeviceLink.ERROR, "offline", f"{self.name} cannot be opened on {self.port}: {_reason(exc)}.")
                return False
            self._serial = port
            try:
                self._rdev = os.stat(self.port).st_rdev  # which tty the path leads to now
            except OSError:
                self._lose("the port disappeared while it was being opened")
                return False
            try:
                if self._on_open is not None:
                    self._on_open()
                else:
                    self.report("ok", f"{self.name} is connected on {self.port}.")
            except PortUnavailable:
                return False
            except WriteTimeout:
                pass  # open but not taking data: DEGRADED, and asked again later
            except Exception:
                log.exception("%s %s: asking the device after opening failed", self.kind, self.device_id)
                self._set_state(DeviceLink.DEGRADED, "error", f"{self.name} is connected but the agent could not talk to it; see the agent log.")
            return self._serial is not None

    def _supervise(self) -> None:
        # start() has just tried once: the next try waits the first step of the back-off.
        next_attempt = time.monotonic() + self.BACKOFF_START_S
        delay = min(self.BACKOFF_START_S * 2, self.BACKOFF_MAX_S)
        while True:
            if self._serial is None and os.path.exists(self.port):
                wait = min(self.WATCH_INTERVAL_S, max(0.0, next_attempt - time.monotonic()))
            else:
                wait = self.WATCH_INTERVAL_S  # watching an open port, or waiting for one to appear
            self._wake.wait(wait)
            self._wake.clear()
            if self._stopping.is_set():
                return
            if self._serial is not None:
                self._check_port_is_ours()
                delay, next_attempt = self.BACKOFF_START_S, 0.0  # when lost, retry as soon as it is back
            elif os.path.exists(self.port) and time.monotonic() >= next_attempt:
                if not self._open():
                    next_attempt = time.monotonic() + delay
                    delay = min(delay * 2, self.BACKOFF_MAX_S)

    def _check_port_is_ours(self) -> None:
        """Notice a pulled cable while nobody writes: the path vanished or points elsewhere."""
        try:
            same = os.stat(self.port).st_rdev == self._rdev
            reason = "it now leads to another device (the adapter was re-plugged)"
        except OSError:
            same, reason = False, "the port disappeared (cable or adapter unplugged?)"
        if not same:
            with self._io:
                if self._serial is not None:
                    self._lose(reason)

    def _lose(self, reason: str) -> PortUnavailable:
        self._drop_port()
        self._set_state(DeviceLink.ERROR, "offline", f"{self.name} is not connected: {reason}; waiting for {self.port} to come back.")
        self._wake.set()
        return PortUnavailable(self.detail)

    def _drop_port(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except (serial.SerialException, OSError):
                pass
            self._serial = None

    # ---- talking to the device ------------------------------------------------------------

    def _require_open(self) -> serial.Serial:
        if self._serial is None:
            raise PortUnavailable(self.detail)
        return self._serial

    def exchange(self, request: bytes, reply_size: int, timeout_s: float) -> bytes:
        """Write a request and collect up to `reply_size` bytes within `timeout_s`.

        Stale input is discarded first, so an old or stray byte cannot pass for the answer.
        Returns what arrived, possibly nothing: interpreting silence is the device's job.
        """
        with self._io:
            port = self._require_open()
            try:
                port.reset_input_buffer()
                self._write(port, request)
                deadline = time.monotonic() + timeout_s
                reply = b""
                while len(reply) < reply_size and (remaining := deadline - time.monotonic()) > 0:
                    port.timeout = remaining
                    chunk = port.read(reply_size - len(reply))
                    if not chunk:
                        break
                    reply += chunk
                port.timeout = self.read_timeout_s
                return reply
            except (serial.SerialException, OSError) as exc:
                raise self._lose(f"the port failed ({_reason(exc)})") from None

    def write(self, data: bytes) -> None:
        """Write everything or raise WriteTimeout (device not taking data) or PortUnavailable."""
        with self._io:
            port = self._require_open()
            try:
                self._write(port, data)
            except (serial.SerialException, OSError) as exc:
                raise self._lose(f"the port failed ({_reason(exc)})") from None

    def _write(self, port: serial.Serial, data: bytes) -> None:
        try:
            port.write(data)
        except serial.SerialTimeoutException:
            # What the device did not take must not come out minutes later, after the customer left.
            self.discard_output()
            self._set_state(
                DeviceLink.DEGRADED, "offline",
                f"{self.name} stopped taking data ({len(data)} bytes not accepted within {self.write_timeout_s:g} s): "
                "it may be jammed, busy or switched off.",
            )
            raise WriteTimeout(self.detail) from None

    def discard_output(self) -> None:
        """Throw away what is still queued for the device."""
        with self._io:
            if self._serial is not None:
                try:
                    self._serial.reset_output_buffer()
                except (serial.SerialException, OSError):
                    pass


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "exclusively lock" in text or "Resource temporarily unavailable" in text:
        return "another program holds the port (the edge agent, while it runs: stop lobby-agent first)"
    if "Permission denied" in text:
        return "permission denied (the agent's user must be in the dialout group)"
    if "Inappropriate ioctl" in text:
        return "this is not a serial port (it refuses serial settings)"
    if "No such file" in text:
        return "no such port (unplugged, or a different name: see `edge-agent devices list`)"
    return text.split("] ", 1)[-1].rstrip(".")  # "[Errno 5] Input/output error" -> the words
