"""A cabinet device that sends one line per read (a card swipe, a scanned code), however it
is wired: a USB keyboard wedge (evdev, grabbed so it never types into the screen) or a
serial port. Both drop a partial line after the device's silence timeout."""

from __future__ import annotations

from collections.abc import Iterator

from kiosk.devices.keystrokes import KeystrokeDecoder


class WedgeLines:
    def __init__(self, device: str, timeout_ms: int):
        import evdev  # only on the kiosk box; importing it elsewhere needs no input devices

        self.device = evdev.InputDevice(device)
        self.decoder = KeystrokeDecoder(timeout_ms)
        self.device.grab()

    def lines(self) -> Iterator[str]:
        for event in self.device.read_loop():
            if event.type == 1:  # EV_KEY
                line = self.decoder.feed(event.code, event.value, event.timestamp())
                if line is not None:
                    yield line

    def close(self) -> None:
        self.device.ungrab()
        self.device.close()


class SerialLines:
    def __init__(self, device: str, baudrate: int, timeout_ms: int):
        import serial

        self.port = serial.Serial(device, baudrate, timeout=timeout_ms / 1000, write_timeout=1)

    def lines(self) -> Iterator[str]:
        pending = b""
        while True:
            chunk = self.port.read(256)
            if not chunk:
                pending = b""  # silence mid-line: a partial read is dropped
                continue
            pending += chunk
            while b"\n" in pending or b"\r" in pending:
                cut = min(i for i in (pending.find(b"\n"), pending.find(b"\r")) if i >= 0)
                line, pending = pending[:cut], pending[cut + 1 :]
                if line.strip():
                    yield line.decode("ascii", errors="replace")

    def close(self) -> None:
        self.port.close()


LineSource = WedgeLines | SerialLines
