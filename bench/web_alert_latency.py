"""From a VIP's ticket request to the alert drawn on the lobby manager's tablet, in Chromium.

A real agent and a private Mosquitto; the manager page runs in headless Chromium (Debian's
chromium, driven by Playwright) and timestamps each alert card when it appears in the DOM
(a MutationObserver, `performance.timeOrigin + performance.now()`); the kiosk request is
timestamped in Python on the same machine's clock. Beside it, in the same run, the floor:
the page's own publish -> subscribe round trip on the same WebSocket connection (ping/<user>).

    .venv/bin/python bench/web_alert_latency.py --samples 40
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from edge_agent.bus.private_broker import free_port, private_broker_for  # noqa: E402
from edge_agent.config import load_config  # noqa: E402
from edge_agent.contract import topic_root  # noqa: E402
from edge_agent.security import card_token, load_or_create_key, mask_pan  # noqa: E402
from tests.bus_helpers import RawClient  # noqa: E402

PAN = "6222021234567890128"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lobby-web-bench-"))
    text = (REPO / "config" / "branch.example.toml").read_text(encoding="utf-8").replace("/var/lib/lobby", str(home))
    text = text.replace("port = 8080", f"port = {free_port()}").replace("enabled = true", "enabled = false")
    (home / "branch.toml").write_text(text, encoding="utf-8")
    broker = private_broker_for(load_config(home / "branch.toml"))
    toml = home / "branch.toml"
    toml.write_text(
        text.replace("port = 1883", f"port = {broker.config.mqtt.port}").replace("ws_port = 9001", f"ws_port = {broker.config.mqtt.ws_port}")
        .replace('credentials_file = "/etc/lobby/broker/credentials.json"', f'credentials_file = "{broker.config.mqtt.credentials_file}"'),
        encoding="utf-8",
    )
    config = load_config(toml)
    broker.start()
    export = home / "crm.csv"
    export.write_text(f"card_number,display_name,tier,rm\n{PAN},王先生,vip,李经理\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "customers", "import", str(export)], check=True, capture_output=True)
    card = {"token": card_token(load_or_create_key(config.security.key_file), PAN), "masked_pan": mask_pan(PAN)}
    agent = subprocess.Popen([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "run"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kiosk = RawClient(config, broker.credentials["kiosk"])
    kiosk.subscribe("agent/state", "response/ticket")
    kiosk.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=20)
    manager = broker.credentials["manager"]
    alert_ms: list[float] = []
    floor_ms: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{config.web.port}/manager/")
            page.fill("#user", manager["username"])
            page.fill("#password", manager["password"])
            page.click("button[type=submit]")
            page.wait_for_selector("#conn[data-state=connected]")
            page.evaluate("""() => {
                window.seenAt = {};
                new MutationObserver(() => {
                  for (const el of document.querySelectorAll('article.alert')) {
                    const ticket = el.querySelector('.ticket').textContent;
                    if (!(ticket in window.seenAt)) window.seenAt[ticket] = performance.timeOrigin + performance.now();
                  }
                }).observe(document.getElementById('alerts'), {childList: true, subtree: true});
            }""")
            for _ in range(args.samples):
                transaction = uuid.uuid4().hex
                sent = time.time() * 1000
                kiosk.publish("request/ticket", {"transaction": transaction, "service": "wealth", "card": card})
                ticket = kiosk.response("ticket", transaction)["data"]["ticket"]
                page.wait_for_function(f"'{ticket}' in window.seenAt", timeout=10000)
                alert_ms.append(page.evaluate(f"window.seenAt['{ticket}']") - sent)
                page.click(f"article.alert:not(.done) button.greeted")
                page.wait_for_selector("article.alert:not(.done)", state="detached")
            for _ in range(args.samples * 3):
                floor_ms.append(page.evaluate("""(topic) => new Promise((resolve) => {
                    const start = performance.now();
                    const onMessage = (t) => { if (t === topic) { client.removeListener('message', onMessage); resolve(performance.now() - start); } };
                    client.on('message', onMessage);
                    client.subscribe(topic, {qos: 1}, () => client.publish(topic, 'x'.repeat(300), {qos: 1}));
                })""", topic_root(config.branch.id) + "ping/" + manager["username"]))
            browser.close()
    finally:
        kiosk.close()
        agent.terminate()
        agent.wait(10)
        broker.stop()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(broker.directory.parent, ignore_errors=True)
    print(f"{args.samples} VIP tickets; times in ms")
    print(f"{'':52}{'median':>8}{'p99':>8}")
    print(f"{'ticket request -> alert drawn on the tablet page':52}{statistics.median(alert_ms):>8.1f}{percentile(alert_ms, 0.99):>8.1f}")
    print(f"{'page publish -> subscribe, same WebSocket (floor)':52}{statistics.median(floor_ms):>8.1f}{percentile(floor_ms, 0.99):>8.1f}")


if __name__ == "__main__":
    main()
