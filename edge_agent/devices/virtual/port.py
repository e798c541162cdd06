"""The serial port of a virtual device: a real pseudo-terminal behind a stable link.

The link plays the part of /dev/serial/by-id/...: `unplug()` closes the pty and removes the
link (the agent's open port starts failing, as with a pulled USB cable); `plug()` makes a
new pty and re-points the link atomically, as udev does when the adapter comes back.
"""

from __future__ import annotations

import logging
import os
import threading
import tty
from pathlib import Path

log = logging.getLogger(__name__)


class VirtualPort:
    def __init__(self, link: Path):
        self.link = Path(link)
        self.master: int | None = None  # the device's end; the agent opens the link (the slave)
        self._slave: int | None = None
        self._lock = threading.Lock()

    @property
    def plugged(self) -> bool:
        return self.master is not None

    def plug(self) -> None:
        with self._lock:
            if self.master is not None:
                return
            master, slave = os.openpty()
            tty.setraw(slave)  # no echo, no line editing: a serial line, not a terminal
            # Holding the slave open keeps the pty alive while the agent closes and reopens it.
            self.master, self._slave = master, slave
            fresh = self.link.with_name(self.link.name + ".new")
            fresh.unlink(missing_ok=True)
            fresh.symlink_to(os.ttyname(slave))
            fresh.replace(self.link)
            log.info("virtual device plugged in at %s -> %s", self.link, os.ttyname(slave))

    def unplug(self) -> None:
        with self._lock:
            self.link.unlink(missing_ok=True)
            for fd in (self.master, self._slave):
                if fd is not None:
                    os.close(fd)
            if self.master is not None:
                log.info("virtual device at %s unplugged", self.link)
            self.master = self._slave = None
