"""A serial device connection with a state you can name (after OctoPrint's printer states).

    DISCONNECTED -> CONNECTING -> READY <-> DEGRADED
          ^              |          |          |
          +---- ERROR <--+----------+----------+   (port gone: retry with back-off)

- READY: the port is open and the device answers.
- DEGRADED: the port is open but the device misbehaves (no answer, write timeout, a fault
  such as paper out): we keep the port and keep asking.
- ERROR: the port vanished or cannot be opened; a background thread reopens it with
  exponential back-off (USB adapters re-enumerate when a cable is pulled and pushed back).
Every transition goes through `_set_state`, which logs it and tells the listeners, so the
log replays what the device went through. Read and write timeouts are always set.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

import serial

log = logging.getLogger(__name__)


class LinkState(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    READY = "ready"
    DEGRADED = "degraded"
    ERROR = "error"


OPEN_STATES = frozenset({LinkState.READY, LinkState.DEGRADED})

StateListener = Callable[[LinkState, str], None]


class LinkDown(Exception):
    """The port is not usable right now; the link is reconnecting by itself."""


class SerialLink:
    BACKOFF_START_S = 0.2
    BACKOFF_MAX_S = 5.0

    def __init__(self, name: str, port: str, baudrate: int, read_timeout_s: float, write_timeout_s: float):
        self.name = name
        self.port = port
        self.baudrate = baudrate
        self.read_timeout_s = read_timeout_s
        self.write_timeout_s = write_timeout_s
        self.state = LinkState.DISCONNECTED
        self.detail = "not opened yet"
        self.since = datetime.now().astimezone()
        self._serial: serial.Serial | None = None
        self._lock = threading.RLock()  # one conversation with the device at a time
        self._listeners: list[StateListener] = []
        self._stop = threading.Event()
        self._reconnector: threading.Thread | None = None

    # ---- state ---------------------------------------------------------------------------

    def add_listener(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    def _set_state(self, state: LinkState, detail: str) -> None:
        if state is self.state and detail == self.detail:
            return
        log.info("%s: %s -> %s (%s)", self.name, self.state.value, state.value, detail)
        self.state, self.detail, self.since = state, detail, datetime.now().astimezone()
        for listener in self._listeners:
            try:
                listener(state, detail)
            except Exception:
                log.exception("%s: a state listener failed", self.name)

    def mark(self, healthy: bool, detail: str) -> None:
        """What the device protocol learned: it answers (READY) or misbehaves (DEGRADED)."""
        if self.state in OPEN_STATES:
            self._set_state(LinkState.READY if healthy else LinkState.DEGRADED, detail)

    # ---- opening and reconnecting ---------------------------------------------------------

    def open(self) -> bool:
        """Try once; on failure the background reconnector keeps trying."""
        with self._lock:
            self._set_state(LinkState.CONNECTING, f"opening {self.port} at {self.baudrate} baud")
            try:
                self._serial = serial.Serial(
                    self.port, self.baudrate, timeout=self.read_timeout_s, write_timeout=self.write_timeout_s,
                    exclusive=True,
                )
            except (serial.SerialException, OSError, ValueError) as exc:
                self._serial = None
                self._set_state(LinkState.ERROR, f"cannot open {self.port}: {_reason(exc)}")
                self._start_reconnector()
                return False
            self._set_state(LinkState.READY, f"{self.port} open")
            return True

    def start(self) -> None:
        self._stop.clear()
        if not self.open():
            log.warning("%s: %s; retrying in the background", self.name, self.detail)

    def _start_reconnector(self) -> None:
        if self._stop.is_set() or (self._reconnector and self._reconnector.is_alive()):
            return
        self._reconnector = threading.Thread(target=self._reconnect_loop, name=f"{self.name}-reconnect", daemon=True)
        self._reconnector.start()

    def _reconnect_loop(self) -> None:
        delay = self.BACKOFF_START_S
        while not self._stop.wait(delay):
            if self.state in OPEN_STATES:
                return
            with self._lock:
                if self.open():
                    return
            delay = min(delay * 2, self.BACKOFF_MAX_S)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._drop_port()
            self._set_state(LinkState.DISCONNECTED, "closed")

    def _drop_port(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except (serial.SerialException, OSError):
                pass
            self._serial = None

    def _lost(self, exc: BaseException) -> LinkDown:
        self._drop_port()
        self._set_state(LinkState.ERROR, f"{self.port} went away: {_reason(exc)}")
        self._start_reconnector()
        return LinkDown(self.detail)

    # ---- talking to the device ------------------------------------------------------------

    def exchange(self, request: bytes, reply_size: int, timeout_s: float | None = None) -> bytes:
        """Write a request and read up to `reply_size` bytes within the timeout.

        Stale input is discarded first, so an old or garbage byte cannot pass for the answer.
        Returns what arrived (possibly nothing). Raises LinkDown if the port is gone and
        serial.SerialTimeoutException if the device does not take the request.
        """
        with self._lock:
            port = self._require_open()
            try:
                port.reset_input_buffer()
                port.write(request)
                deadline = time.monotonic() + (timeout_s or self.read_timeout_s)
                reply = b""
                while len(reply) < reply_size and time.monotonic() < deadline:
                    port.timeout = max(0.0, deadline - time.monotonic())
                    chunk = port.read(reply_size - len(reply))
                    if not chunk:
                        break
                    reply += chunk
                port.timeout = self.read_timeout_s
                return reply
            except serial.SerialTimeoutException:
                raise
            except (serial.SerialException, OSError) as exc:
                raise self._lost(exc) from None

    def write(self, data: bytes) -> None:
        """Write everything or raise: SerialTimeoutException (device not reading) or LinkDown."""
        with self._lock:
            port = self._require_open()
            try:
                port.write(data)
            except serial.SerialTimeoutException:
                self.mark(False, f"the device stopped taking data (write timeout after {self.write_timeout_s:g} s)")
                raise
            except (serial.SerialException, OSError) as exc:
                raise self._lost(exc) from None

    def discard_output(self) -> None:
        """Throw away what a stalled device did not take, so it does not print late."""
        with self._lock:
            if self._serial is not None:
                try:
                    self._serial.reset_output_buffer()
                except (serial.SerialException, OSError):
                    pass

    def _require_open(self) -> serial.Serial:
        if self._serial is None or self.state not in OPEN_STATES:
            raise LinkDown(f"{self.name} is {self.state.value}: {self.detail}")
        return self._serial


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.split("] ", 1)[-1]  # "[Errno 2] No such file or directory: ..." -> the words
