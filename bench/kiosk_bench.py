"""The kiosk's own figures: cold start, memory after many tickets, tap-to-ticket latency.

A private Mosquitto and the real agent with its virtual printer (38400 baud, like the
example branch) run in a scratch folder; the kiosk renders offscreen (Mesa llvmpipe when
there is no GPU, so frame times here are an upper bound for a real kiosk's GPU).

- cold start: from launching `python` to the first frame drawn, and to the home screen
  with the live queue (agent reached), over several launches;
- memory: the kiosk's RSS at the home screen, then after N tickets taken by touch;
- latency: from the finger leaving the service button to the first frame of the ticket
  screen, through the agent and the printer (the agent answers once the ticket printed).

    .venv/bin/python bench/kiosk_bench.py --tickets 1000 --starts 5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

AGENT_ENV = {"LOBBY_VOICE__ENABLED": "false", "PYTHONUNBUFFERED": "1"}
OFFSCREEN = {"SDL_VIDEODRIVER": "offscreen", "KIVY_WINDOW": "sdl2", "KCFG_KIVY_LOG_LEVEL": "warning"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


# ---- children: one kiosk process each ----------------------------------------------------------


def child_first_frame(config_path: str) -> None:
    """Print when the first frame was drawn and when home showed, as wall-clock times."""
    from kiosk.app import prepare_kivy_environment
    from lobby.config import load_config

    config = load_config(config_path)
    prepare_kivy_environment(config.kiosk, fullscreen=False, offscreen=True)
    from kivy.clock import Clock

    from kiosk.touchscreen import KioskApp

    app = KioskApp(config, card_reader=False)
    marks: dict[str, float] = {}

    def watch(_dt):
        if "first_frame" not in marks and app.first_frame_at is not None:
            marks["first_frame"] = time.time() - (time.perf_counter() - app.first_frame_at)
        if app.sm.current == "home" and "home" not in marks:
            marks["home"] = time.time()
        if len(marks) == 2:
            print(json.dumps(marks), flush=True)
            app.stop()

    def start_watching(*_) -> None:  # returns None: a true value would stop on_start here
        Clock.schedule_interval(watch, 0)

    app.bind(on_start=start_watching)
    app.run()


def child_tickets(config_path: str, tickets: int) -> None:
    """Take `tickets` tickets by touch; print RSS before/after and every tap-to-ticket latency."""
    from kiosk.app import prepare_kivy_environment
    from lobby.config import load_config

    config = load_config(config_path)
    prepare_kivy_environment(config.kiosk, fullscreen=False, offscreen=True)
    from kivy.core.window import Window

    from kiosk.touchscreen import KioskApp
    from tools.kiosk_journey.driver import run_script

    app = KioskApp(config, card_reader=False)
    services = [s.id for s in config.services if not s.tiers and not s.self_service_capable]
    result: dict = {"latency_ms": [], "answer_ms": [], "not_printed": 0}
    pending: dict[str, float] = {}

    def on_flip(*_):
        if "tapped" in pending and app.sm.current in ("ticket", "printer_failure"):
            result["latency_ms"].append((time.perf_counter() - pending.pop("tapped")) * 1000)

    # Where the time goes: the agent's answer (it answers once the ticket is printed) vs. drawing.
    answered = app._ticket_answered

    def timed_answer(outcome):
        if "tapped" in pending:
            result["answer_ms"].append((time.perf_counter() - pending["tapped"]) * 1000)
        answered(outcome)

    app._ticket_answered = timed_answer  # type: ignore[method-assign]  # the bench's stopwatch around the app's own handler

    def script(d):
        Window.bind(on_flip=on_flip)
        d.wait_screen("home")
        d.settle()
        result["rss_home_mb"] = rss_mb()

        def finger_lifts() -> None:
            pending["tapped"] = time.perf_counter()

        for i in range(tickets):
            d.tap_service(services[i % len(services)], lifting=finger_lifts)
            d.wait_for(lambda: app.sm.current in ("ticket", "printer_failure") and "tapped" not in pending, "the ticket screen", timeout=30)
            result["not_printed"] += d.ui(lambda: app.sm.current) == "printer_failure"
            d.tap_text(d.text("done"))
            d.wait_screen("home")
            if i == 49:
                result["rss_50_mb"] = rss_mb()  # after the warm-up: caches of glyphs and textures are filled
        d.settle()
        result["rss_after_mb"] = rss_mb()

    run_script(app, script)
    print(json.dumps(result), flush=True)


# ---- the parent: a lobby, and the children against it -------------------------------------------------


def start_lobby(home: Path):
    from lobby.config import load_config
    from tools.demo import write_demo_config
    from tools.private_broker import PrivateBroker, free_port

    config_path = write_demo_config(home, free_port(), free_port())
    config = load_config(config_path)
    broker = PrivateBroker(config, home / "broker")
    broker.start()
    log = open(home / "agent.log", "wb")
    agent = subprocess.Popen(
        [sys.executable, "-m", "edge_agent.cli", "--config", str(config_path), "run"],
        stdout=log, stderr=log, env={**os.environ, **AGENT_ENV}, cwd=REPO,
    )
    return config_path, broker, agent


def bare_requests(config_path: Path, broker, count: int) -> list[float]:
    """The same ticket request from a plain MQTT client with the kiosk's user: the agent's share."""
    import uuid

    from lobby.bus.client import BusClient
    from lobby.bus.requester import Requester
    from lobby.config import load_config

    config = load_config(config_path)
    client = BusClient.for_role(config, "kiosk", f"bench-bare-{uuid.uuid4().hex[:6]}")
    client.start()
    if not client.wait_connected(10):
        raise SystemExit("the bare client could not reach the broker")
    requester = Requester(client)
    services = [s.id for s in config.services if not s.tiers and not s.self_service_capable]
    times = []
    try:
        for i in range(count):
            started = time.perf_counter()
            answer = requester.request("ticket", {"service": services[i % len(services)], "kiosk": "bench"}, timeout=10)
            times.append((time.perf_counter() - started) * 1000)
            if answer.get("status") != "ok" or not answer["data"].get("printed"):
                raise SystemExit(f"the bare client's ticket was not issued and printed: {answer}")
    finally:
        client.stop()
    return times


def run_child(args: list[str], timeout: float) -> tuple[float, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    launched = time.time()
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=timeout, env={**env, **OFFSCREEN}, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"kiosk child {args[:2]} failed:\n{done.stderr[-4000:]}")
    return launched, json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child[0] == "first-frame":
            child_first_frame(args.child[1])
        else:
            child_tickets(args.child[1], int(args.child[2]))
        return 0

    from tools.private_broker import reachable_folder

    home = reachable_folder("lobby-kiosk-bench-")
    config_path, broker, agent = start_lobby(home)
    try:
        time.sleep(2)  # the agent's first printer check
        first, ready = [], []
        for _ in range(args.starts):
            launched, marks = run_child(["--child", "first-frame", str(config_path)], timeout=120)
            first.append((marks["first_frame"] - launched) * 1000)
            ready.append((marks["home"] - launched) * 1000)
        _, run = run_child(["--child", "tickets", str(config_path), str(args.tickets)], timeout=60 + args.tickets * 5)
        bare = bare_requests(config_path, broker, max(50, args.tickets // 10))
    finally:
        agent.terminate()
        agent.wait(10)
        broker.stop()
        shutil.rmtree(home, ignore_errors=True)

    latency, answer = run["latency_ms"], run["answer_ms"]
    print(f"kiosk bench: {sys.executable} on {os.cpu_count()} cores, offscreen 1080x1920 (Mesa llvmpipe), virtual printer at 38400 baud")
    print(f"cold start to first frame     median {statistics.median(first):7.0f} ms   max {max(first):7.0f} ms   ({args.starts} launches)")
    print(f"cold start to home (agent up) median {statistics.median(ready):7.0f} ms   max {max(ready):7.0f} ms")
    print(f"RSS at home                   {run['rss_home_mb']:7.1f} MB")
    if "rss_50_mb" in run:
        print(f"RSS after 50 tickets          {run['rss_50_mb']:7.1f} MB")
    print(f"RSS after {len(latency)} tickets          {run['rss_after_mb']:7.1f} MB   (+{run['rss_after_mb'] - run['rss_home_mb']:.1f} MB)")
    print(f"tap -> ticket screen          median {statistics.median(latency):7.1f} ms   p99 {percentile(latency, 0.99):7.1f} ms   "
          f"max {max(latency):7.1f} ms   ({run['not_printed']} not printed)")
    print(f"  of which the agent's answer median {statistics.median(answer):7.1f} ms   p99 {percentile(answer, 0.99):7.1f} ms   "
          "(request, store commit, printing at 38400 baud, printer status before and after)")
    print(f"same request, bare client     median {statistics.median(bare):7.1f} ms   p99 {percentile(bare, 0.99):7.1f} ms   "
          f"({len(bare)} tickets, no UI: the agent and printer alone)")
    print(f"tap -> ticket screen / bare   {statistics.median(latency) / statistics.median(bare):7.2f}x (medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
