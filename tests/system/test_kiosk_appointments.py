"""The kiosk's appointment pieces apart from the screen: 长辈模式's few choices, the barcode
scanner on a real pseudo-terminal (and what it drops), and the check-in request."""

from __future__ import annotations

import threading

from kiosk.devices.virtual_scanner import VirtualScanner
from kiosk.scan_feed import ScanFeed


def test_the_scanner_feeds_what_it_reads_over_a_real_serial_line():
    scanner = VirtualScanner()
    read: list[str] = []
    arrived = threading.Event()

    def on_scan(code: str) -> None:
        read.append(code)
        if len(read) == 2:
            arrived.set()

    feed = ScanFeed(scanner.settings(), on_scan)
    feed.start()
    try:
        assert feed.wait_ready(10)
        scanner.show("https://q.bank.example/a/eyJ2IjoxfQ.c2ln")
        scanner.show("x" * 800)  # not a pass: dropped at the scanner
        scanner.show("472913")
        assert arrived.wait(10), f"the scanner's reads did not arrive: {read}"
        assert read == ["https://q.bank.example/a/eyJ2IjoxfQ.c2ln", "472913"]
    finally:
        feed.stop()
        scanner.close()


