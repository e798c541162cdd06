"""Bytes per ticket and time on the serial line, measured through the real driver.

The printer is the virtual one on a pseudo-terminal, which consumes bytes at the
configured baud rate like a UART (10 bits per byte); a pty itself does not pace. Measured:
from `print_ticket()` (status query before, the ticket, status query after) to the last
ticket byte arriving at the printer, median over repeated runs, next to the line's floor
(bytes x 10 / baud). Beside it, the same ticket sent as a raster image (what a printer
driver that draws the whole ticket as a picture sends).

    .venv/bin/python bench/printer_bench.py --runs 15
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from escpos.printer import Dummy  # noqa: E402
from PIL import Image  # noqa: E402

from edge_agent.devices.settings import PrinterSettings  # noqa: E402
from edge_agent.devices.ticket_layout import PrinterProfile, TicketPrintJob, build_ticket  # noqa: E402
from edge_agent.devices.ticket_printer import TicketPrinter  # noqa: E402
from edge_agent.devices.virtual_printer import VirtualPrinter  # noqa: E402

JOB = TicketPrintJob(
    "浦东陆家嘴支行", "Lujiazui Sub-branch", "个人现金", "Cash", "A023", 4, 6, 14,
    datetime(2026, 11, 23, 9, 41, tzinfo=ZoneInfo("Asia/Shanghai")), "20261123-A023",
)


def raster_bytes(png: Path) -> int:
    printer = Dummy()
    printer.image(Image.open(png))
    return len(printer.output)


def measure(baud: int, runs: int, home: Path) -> tuple[float, int]:
    virtual = VirtualPrinter(home / f"vp-{baud}", baudrate=baud)
    virtual.start()
    driver = TicketPrinter(PrinterSettings(port=str(virtual.link), baudrate=baud, status_timeout_s=1.0, write_timeout_s=10))
    driver.start()
    times = []
    try:
        for run in range(runs):
            received_before = virtual.received
            started = time.monotonic()
            outcome = driver.print_ticket(JOB)
            assert outcome.printed, outcome
            assert virtual.wait_for_tickets(run + 1, timeout=30)
            times.append(virtual.last_byte_at - started)
            sent = virtual.received - received_before
    finally:
        driver.stop()
        virtual.stop()
    return statistics.median(times), sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lobby-printer-bench-"))
    ticket = build_ticket(JOB, PrinterProfile.from_settings(PrinterSettings()))
    print(f"ticket: {len(ticket)} bytes with a native QR code (GB18030 text, printer-native sizes)")
    rows = []
    png = None
    for baud in (9600, 38400, 115200):
        median_s, on_line = measure(baud, args.runs, home)
        floor_s = len(ticket) * 10 / baud
        rows.append((baud, median_s, floor_s, on_line))
        png = png or next((home / f"vp-{baud}").glob("ticket-*.png"))
    raster = raster_bytes(png)
    print(f"same ticket as a raster image: {raster} bytes ({raster / len(ticket):.0f}x more; {raster * 10 / 9600:.1f} s at 9600 baud)")
    print(f"\n{'baud':>7} {'print -> last byte (median)':>28} {'line floor':>11} {'ratio':>6}  (bytes on the line incl. status queries)")
    for baud, median_s, floor_s, on_line in rows:
        print(f"{baud:>7} {median_s * 1000:>25.1f} ms {floor_s * 1000:>8.1f} ms {median_s / floor_s:>6.2f}  ({on_line})")


if __name__ == "__main__":
    main()
