"""`make bench`: every measurement in docs/measurements.md, one after the other, with the arguments docs/measurements.md quotes.

Each bench prints its own table; this only runs them in turn and says which failed. The
machines here are shared: compare figures from the same run only.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# In the order docs/measurements.md shows them.
RUNS = [
    ("appointments.py", "--seed", "1", "--days", "20"),
    ("fairness.py", "--seed", "1", "--days", "20"),
    *[("wait_estimate.py", "--scenario", scenario) for scenario in ("default", "small", "wealth")],
    *[("wait_floor.py", "--scenario", scenario, "--tickets", "400", "--replays", "25") for scenario in ("default", "small", "wealth")],
    ("wait_predict_cost.py", "--days", "60"),
    ("hq_ingest.py", "--branches", "8", "--events", "2500"),
    ("hq_scale.py", "--branches", "1000", "--seconds", "20"),
    ("printer_bench.py", "--runs", "10"),
    ("web_alert_latency.py", "--samples", "40"),
    ("referral_latency.py", "--samples", "60"),
    ("rating_latency.py", "--samples", "40"),
    ("kiosk_bench.py", "--tickets", "1000", "--starts", "5"),
    ("bus_latency.py", "--branches", "4", "--rate", "5", "--seconds", "20"),
    ("idle_ticket.py", "--tickets", "200"),
    ("soak.py", "--minutes", "5"),
]


def main() -> int:
    failed = []
    for script, *args in RUNS:
        command = [sys.executable, str(BENCH / script), *args]
        print(f"\n=== {' '.join([f'bench/{script}', *args])}", flush=True)
        started = time.monotonic()
        if subprocess.run(command).returncode != 0:
            failed.append(script)
        print(f"=== {script}: {time.monotonic() - started:.0f} s", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("\nall benches ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
