"""Bytes per ticket, and time from "print" to the ticket's last byte, through the real driver.

The printer is the virtual one on a real pseudo-terminal, driven by `TicketPrinter` exactly
as in the agent (status query, ticket, status query). A pty does not pace at any baud
rate: the kernel moves bytes as fast as both ends go. So two receivers are measured:

- unpaced: the virtual printer reads as fast as it can. This is the cost of our own code
  and the kernel (building the bytes, pyserial, the pty), far below the line's floor.
- paced: the virtual printer takes bytes off the pty no faster than a UART at that baud
  rate receives them (10 bits per byte, in reads of 10 ms of line time). This emulates the
  line; it is our pacing, in the receiver, not the pty's.

"print -> last ticket byte" runs from the `print_ticket()` call to the moment the printer
has taken the cut command (the ticket's last command), median over the runs. The line's
floor is ticket bytes x 10 / baud. In the paced runs the ratio to the floor is what the
driver adds around the line time: the status query before the ticket (12 bytes out, 4
back, one turnaround) and the pacing granularity.

    .venv/bin/python bench/printer_bench.py --runs 11
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from escpos.printer import Dummy  # noqa: E402
from PIL import Image  # noqa: E402

from edge_agent.devices.printer.status import STATUS_QUERY  # noqa: E402
from edge_agent.devices.printer.ticket_layout import PrinterProfile, TicketPrintJob, build_ticket  # noqa: E402
from edge_agent.devices.printer.ticket_printer import TicketPrinter  # noqa: E402
from edge_agent.devices.printer.ticket_render import PAPER_MARGIN  # noqa: E402
from edge_agent.devices.virtual.printer import VirtualPrinter  # noqa: E402
from lobby.device_settings import PrinterSettings  # noqa: E402

JOB = TicketPrintJob(
    branch_name="浦东陆家嘴支行", branch_name_en="Lujiazui Sub-branch", service_zh="个人现金", service_en="Cash",
    label="A023", ahead=4, wait_low_min=6, wait_high_min=14,
    issued_at=datetime(2026, 11, 23, 9, 41, tzinfo=ZoneInfo("Asia/Shanghai")), qr_text="20261123-A023",
)
BAUDS = (9600, 38400, 115200)


@dataclass
class Run:
    to_last_byte_s: float
    call_returns_s: float
    on_line: int


def measure(baud: int, paced: bool, runs: int, home: Path) -> tuple[list[Run], Path]:
    virtual = VirtualPrinter(home / f"vp-{baud}-{'paced' if paced else 'raw'}", paper_dots=512, baudrate=baud if paced else None)
    virtual.start()
    driver = TicketPrinter(PrinterSettings(port=str(virtual.link), baudrate=baud, status_timeout_s=0.3, write_timeout_s=5))
    driver.transport.start()  # the port only: no idle status polls in the middle of a run
    results = []
    try:
        for run in range(runs):
            received_before = virtual.received
            started = time.monotonic()
            outcome = driver.print_ticket(JOB)
            returned = time.monotonic()
            assert outcome.printed, outcome.detail
            assert virtual.wait_for_tickets(run + 1, timeout=30)
            results.append(Run(virtual.last_cut_at - started, returned - started, virtual.received - received_before))
    finally:
        driver.transport.stop()
        virtual.stop()
    return results, virtual.tickets[0]


def raster_bytes(png: Path) -> int:
    """The same ticket sent as one picture (what a driver that rasterises everything sends)."""
    page = Image.open(png)
    printable = page.crop((PAPER_MARGIN, 0, page.width - PAPER_MARGIN, page.height))  # the paper beyond the dots
    printer = Dummy(profile="TM-T88V")
    printer.image(printable)
    return len(printer.output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lobby-printer-bench-"))
    profile = PrinterProfile.from_settings(PrinterSettings())
    ticket = build_ticket(JOB, profile)
    with_logo = build_ticket(JOB, profile, logo_nv_key="LG")
    print(f"ticket: {len(ticket)} bytes with a native QR code (GB18030 text, printer-native sizes); "
          f"{len(with_logo)} with the NV logo reference")
    print(f"per ticket the line also carries 2 status queries ({2 * len(STATUS_QUERY)} bytes out, 8 back)")
    rows, png = [], None
    for baud in BAUDS:
        for paced in (False, True):
            results, first_png = measure(baud, paced, args.runs, home)
            png = png or first_png
            rows.append((baud, paced, results))
    assert png is not None, "the virtual printer drew no ticket"
    raster = raster_bytes(png)
    print(f"the same ticket as a raster image: {raster} bytes ({raster / len(ticket):.0f}x; "
          f"{raster * 10 / 9600:.1f} s on a 9600-baud line)\n")
    print(f"medians of {args.runs} runs; floor = {len(ticket)} bytes x 10 / baud")
    print(f"{'receiver':<9}{'baud':>7}{'print->last byte':>18}{'floor':>10}{'ratio':>7}{'print_ticket() returns':>24}{'bytes on line':>15}")
    for baud, paced, results in rows:
        floor_s = len(ticket) * 10 / baud
        last = statistics.median(r.to_last_byte_s for r in results)
        returns = statistics.median(r.call_returns_s for r in results)
        print(
            f"{'paced' if paced else 'unpaced':<9}{baud:>7}{last * 1000:>15.1f} ms{floor_s * 1000:>7.1f} ms"
            f"{last / floor_s:>7.2f}{returns * 1000:>21.1f} ms{results[0].on_line:>15}"
        )
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
