"""From a VIP's ticket request to the alert drawn on the lobby manager's tablet, in Chromium.

A private Mosquitto with the generated users and ACLs, the real agent (which serves the
pages) and the manager page in headless Chromium (Debian's, driven by Playwright). Every
time is taken inside the page with one clock, performance.now():

  - the ticket request is published, as the kiosk would, by a second mqtt.js client in the
    same page logged in as the kiosk user (its own WebSocket);
  - a MutationObserver notes when the alert card for that ticket enters the DOM;
  - the floor: the manager page's own connection publishes on ping/<its user> (QoS 1) and
    receives it back, on the same WebSocket that carries the alerts.

    .venv/bin/python bench/web_alert_latency.py --samples 100
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from lobby.card_key import card_token, load_or_create_key, mask_pan  # noqa: E402
from lobby.config import load_config  # noqa: E402
from tests.bus_helpers import RawClient  # noqa: E402
from tools.private_broker import free_port, private_broker_for  # noqa: E402

PAN = "6222021234567890128"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]

# Runs in the manager page: a kiosk client beside the page's own, and the card observer.
SET_UP = """async ([url, root, kiosk]) => {
  window.bench = { drawn: {}, root };
  new MutationObserver(() => {
    for (const card of document.querySelectorAll('article.alert')) {
      if (!(card.dataset.ticket in bench.drawn)) bench.drawn[card.dataset.ticket] = performance.now();
    }
  }).observe(document.getElementById('alerts'), { childList: true, subtree: true });
  // A client id of the kiosk user's own, and its private answers topic (docs/mqtt.md).
  const clientId = `${kiosk.username}.bench-${Math.random().toString(16).slice(2, 10)}`;
  bench.reply = `${root}response/${clientId}/ticket`;
  bench.kiosk = mqtt.connect(url, { protocolVersion: 5, username: kiosk.username, password: kiosk.password, clean: true, clientId });
  bench.answers = {};
  bench.kiosk.on('message', (topic, payload) => {
    const answer = JSON.parse(new TextDecoder().decode(payload));
    bench.answers[answer.transaction] = { at: performance.now(), answer };
  });
  await new Promise((resolve) => bench.kiosk.on('connect', resolve));
  await new Promise((resolve) => bench.kiosk.subscribe(bench.reply, { qos: 1 }, resolve));
}"""

# One VIP ticket: the times from the publish to the kiosk's answer and to the card drawn.
ONE_ALERT = """async ([card, transaction]) => {
  const sent = performance.now();
  bench.kiosk.publish(bench.root + 'request/ticket', JSON.stringify({ transaction, service: 'wealth', card, kiosk: 'bench' }),
    { qos: 1, properties: { responseTopic: bench.reply } });
  const deadline = sent + 10000;
  while (!(transaction in bench.answers) || !(bench.answers[transaction].answer.data.ticket in bench.drawn)) {
    if (performance.now() > deadline) throw new Error('no alert within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const { at, answer } = bench.answers[transaction];
  const ticket = answer.data.ticket;
  const alertId = document.querySelector(`article.alert[data-ticket="${ticket}"]`).dataset.alertId;
  // Answer it, so the tablet holds only the alerts a lobby really has at once.
  window.lobby.bus.request('alert_ack', { alert_id: alertId, by: 'bench', outcome: 'greeted' });
  return { answered_ms: at - sent, drawn_ms: bench.drawn[ticket] - sent };
}"""

# The floor: publish -> receive on the page's own connection, ping/<user>, QoS 1 both ways.
ONE_PING = """(topic) => new Promise((resolve) => {
  const client = window.lobby.bus.client;
  const onMessage = (t) => { if (t === topic) { client.removeListener('message', onMessage); resolve(performance.now() - start); } };
  client.on('message', onMessage);
  const start = performance.now();
  client.publish(topic, JSON.stringify({ ping: start }), { qos: 1 });
})"""


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the samples at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def branch(home: Path):
    """The example branch, its broker on free ports, customers imported, agent config written."""
    text = (REPO / "config" / "branch.example.toml").read_text(encoding="utf-8").replace("/var/lib/lobby", str(home)).replace("tickets_outside_hours = false", "tickets_outside_hours = true")
    text = text.replace('credentials_file = "/etc/lobby/broker/credentials.json"', f'credentials_file = "{home / "broker" / "credentials.json"}"')
    (home / "branch.toml").write_text(text, encoding="utf-8")
    broker = private_broker_for(load_config(home / "branch.toml"))
    mqtt = broker.config.mqtt
    text = text.replace("port = 1883", f"port = {mqtt.port}").replace("ws_port = 9001", f"ws_port = {mqtt.ws_port}")
    text = text.replace("port = 8080", f"port = {free_port()}")
    text = re.sub(r'credentials_file = "[^"]*"', f'credentials_file = "{mqtt.credentials_file}"', text)
    toml = home / "agent.toml"
    toml.write_text(text, encoding="utf-8")
    export = home / "crm.csv"
    export.write_text(f"card_number,display_name,tier,rm\n{PAN},王先生,vip,李经理\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "customers", "import", str(export)],
                   check=True, capture_output=True, cwd=REPO)
    return broker, toml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lobby-web-bench-"))
    broker, toml = branch(home)
    config = load_config(toml)
    card = {"token": card_token(load_or_create_key(config.security.key_file), PAN), "masked_pan": mask_pan(PAN)}
    broker.start()
    agent = subprocess.Popen([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "run"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    results: list[dict] = []
    floor: list[float] = []
    try:
        watcher = RawClient(config, broker.credentials["display"])
        watcher.subscribe("agent/state")
        watcher.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=30)
        watcher.close()
        manager = broker.credentials["manager"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1180, "height": 820})
            page.goto(f"http://127.0.0.1:{config.web.port}/manager/")
            page.fill("#login-password", manager["password"])
            page.click("#login-submit")
            page.wait_for_selector("#conn[data-state=connected]")
            root = f"lobby/v1/{config.branch.id}/"
            page.evaluate(SET_UP, [f"ws://127.0.0.1:{config.mqtt.ws_port}", root, broker.credentials["kiosk"]])
            ping = root + "ping/" + manager["username"]
            page.evaluate("(topic) => new Promise((r) => window.lobby.bus.client.subscribe(topic, { qos: 1 }, r))", ping)
            for i in range(3):  # warm up: first compiles, first SQLite pages, first DOM layout
                page.evaluate(ONE_ALERT, [card, f"bench-warm-{i}"])
                page.evaluate(ONE_PING, ping)
            for i in range(args.samples):
                results.append(page.evaluate(ONE_ALERT, [card, f"bench-{time.time_ns()}-{i}"]))
                floor.append(page.evaluate(ONE_PING, ping))
                page.wait_for_timeout(150)  # VIPs arrive one at a time, not in a burst
            browser.close()
    finally:
        agent.terminate()
        agent.wait(15)
        broker.stop()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(broker.directory.parent, ignore_errors=True)

    drawn = [r["drawn_ms"] for r in results]
    answered = [r["answered_ms"] for r in results]
    rows = [
        ("ticket request -> alert drawn on the tablet page", drawn),
        ("ticket request -> the kiosk's answer (same page)", answered),
        ("page publish -> receive, same WebSocket (floor)", floor),
    ]
    print(f"{args.samples} VIP tickets, times in ms, all taken in the page (performance.now)")
    print(f"{'':52}{'median':>8}{'p99':>8}{'max':>8}")
    for label, values in rows:
        print(f"{label:52}{statistics.median(values):>8.1f}{percentile(values, 0.99):>8.1f}{max(values):>8.1f}")
    print(json.dumps({label: {"median": round(statistics.median(v), 1), "p99": round(percentile(v, 0.99), 1)} for label, v in rows}))


if __name__ == "__main__":
    main()
