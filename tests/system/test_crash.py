"""SIGKILL at random moments loses nothing that was acknowledged and never repeats a number."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import defaultdict

# The child prints a ticket id only after issue_ticket returned, i.e. after COMMIT: a
# printed line is exactly what a kiosk would have been told.
CHILD = textwrap.dedent(
    """
    import random, sys
    from edge_agent.branch import Branch
    from lobby.config import load_config
    from edge_agent.queue.engine import QueueError

    branch = Branch.open(load_config(sys.argv[1]))
    rng = random.Random(int(sys.argv[2]))
    print("ready", flush=True)
    for i in range(100000):
        roll = rng.random()
        try:
            if roll < 0.75:
                answer = branch.issue_ticket(rng.choice(["cash", "noncash", "corporate", "enquiry"]),
                                             transaction=f"{sys.argv[2]}-{i}")
                print("ticket", answer.ticket_id, flush=True)
            elif roll < 0.85:
                branch.counter_open(rng.choice(["1", "3", "4", "5"]))
            else:
                counter = rng.choice(["1", "3", "4", "5"])
                try:
                    branch.complete(counter)
                except QueueError:
                    pass
                print("called", branch.call_next(counter).ticket_id, flush=True)
        except QueueError:
            pass
    """
)


def test_sigkill_at_random_moments_loses_and_repeats_nothing(branch_toml, branch_config):
    rng = random.Random(20261123)
    acknowledged: set[str] = set()
    rounds = 25
    for round_no in range(rounds):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(branch_toml), str(round_no)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        for line in out.splitlines(keepends=True):
            if line.startswith("ticket ") and line.endswith("\n"):
                acknowledged.add(line.split()[1])
    assert len(acknowledged) > rounds, "the child should have issued tickets between kills"

    conn = sqlite3.connect(branch_config.store.path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in conn.execute("SELECT id FROM tickets")}
    assert acknowledged <= stored, f"acknowledged but lost: {sorted(acknowledged - stored)[:5]}"

    numbers: dict[tuple[str, str], list[int]] = defaultdict(list)
    for day, service, number in conn.execute("SELECT business_day, original_service, number FROM tickets"):
        numbers[(day, service)].append(number)
    for key, issued in numbers.items():
        # Unique and contiguous: numbering carried on after every restart, no gap, no repeat.
        assert sorted(issued) == list(range(1, len(issued) + 1)), key

    # Every committed ticket's arrival event is still waiting in the outbox (nothing published here).
    arrivals = conn.execute("SELECT COUNT(*) FROM outbox WHERE topic = 'events/arrival'").fetchone()[0]
    assert arrivals == len(stored)
    # Counters and tickets agree (the restore check would refuse otherwise).
    from edge_agent.branch import Branch

    Branch.open(branch_config).close()
