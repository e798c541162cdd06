"""systemd's `Type=notify` and watchdog, spoken over $NOTIFY_SOCKET with the stdlib.

The agent says READY=1 once its store is open and its loop runs, then pings WATCHDOG=1
only while it is healthy: the main loop turns, the store takes a write (every 5 s, a real
one), and the outbox is not stuck (connected to the broker yet events stay undelivered).
If it stops pinging, systemd restarts it (`WatchdogSec=` in systemd/lobby-agent.service).
A store that refuses writes because its disk is full or read-only is not a reason: the
agent has diagnosed and reported it, a restart would not mend it, and restarting in a loop
would only take the branch's state off the tablets.
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)


def notify(message: str) -> bool:
    """Send one sd_notify message; False when not running under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(message.encode())
    return True


class Watchdog:
    """Pings at half the interval systemd asked for, and only when `healthy()` says so."""

    def __init__(self) -> None:
        usec = os.environ.get("WATCHDOG_USEC")
        self.interval_s = int(usec) / 2_000_000 if usec and usec.isdigit() else None
        self._last = 0.0
        self._unhealthy_logged = False

    def ready(self) -> None:
        notify("READY=1")

    def stopping(self) -> None:
        notify("STOPPING=1")

    def tick(self, healthy: bool, reason: str = "") -> None:
        if self.interval_s is None:
            return
        now = time.monotonic()
        if now - self._last < self.interval_s:
            return
        if not healthy:
            if not self._unhealthy_logged:
                log.error("agent unhealthy (%s): no longer pinging the systemd watchdog, expect a restart", reason)
                self._unhealthy_logged = True
            return
        self._unhealthy_logged = False
        self._last = now
        notify("WATCHDOG=1")
