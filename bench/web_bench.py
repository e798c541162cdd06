"""What the Chromium benches share: a branch on a private broker with its agent running, a
browser page signed in, the in-page floor (a page's own publish → receive), and the table.

Every time is taken inside one page with one clock, performance.now(); each bench prints a
median, p99 and max beside that page's floor, measured in the same run.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lobby.config import BranchConfig, load_config  # noqa: E402
from tests.bus_helpers import RawClient  # noqa: E402
from tools.private_broker import PrivateBroker, free_port, private_broker_for  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]

# The floor: publish -> receive on the page's own connection, ping/<user>, QoS 1 both ways.
ONE_PING = """(topic) => new Promise((resolve) => {
  const client = window.lobby.bus.client;
  const onMessage = (t) => { if (t === topic) { client.removeListener('message', onMessage); resolve(performance.now() - start); } };
  client.on('message', onMessage);
  const start = performance.now();
  client.publish(topic, JSON.stringify({ ping: start }), { qos: 1 });
})"""

# A second mqtt.js client in a page, logged in as another role (its own WebSocket, as that
# role's page would have): bench[name](op, fields) sends a request and resolves with
# {sent, at, answer}; events on `topics` collect in bench.events.
PAGE_CLIENT = """async ([url, root, user, name, topics]) => {
  window.bench = window.bench || { root, answers: {}, events: [] };
  const clientId = `${user.username}.bench-${name}-${Math.random().toString(16).slice(2, 8)}`;
  const reply = `${root}response/${clientId}/`;
  const client = mqtt.connect(url, { protocolVersion: 5, username: user.username, password: user.password, clean: true, clientId });
  client.on('message', (topic, payload) => {
    const data = JSON.parse(new TextDecoder().decode(payload));
    if (topic.startsWith(reply)) bench.answers[data.transaction] = { at: performance.now(), answer: data };
    else bench.events.push({ at: performance.now(), topic: topic.slice(root.length), data });
  });
  await new Promise((resolve) => client.on('connect', resolve));
  await new Promise((resolve) => client.subscribe([reply + '+', ...topics.map((t) => root + t)], { qos: 1 }, resolve));
  bench[name] = async (op, fields) => {
    const transaction = Math.random().toString(16).slice(2) + Date.now();
    const sent = performance.now();
    client.publish(root + 'request/' + op, JSON.stringify({ transaction, ...fields }), { qos: 1, properties: { responseTopic: reply + op } });
    while (!(transaction in bench.answers)) {
      if (performance.now() - sent > 10000) throw new Error(`no answer to ${op}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return { sent, ...bench.answers[transaction] };
  };
}"""


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the samples at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def cli(toml: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), *args], check=True, capture_output=True, cwd=REPO)


def write_branch(home: Path) -> tuple[PrivateBroker, Path]:
    """The example branch with its broker on free ports, and the agent's configuration."""
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
    return broker, toml


@contextmanager
def running_branch(prepare=lambda toml, home: None) -> Iterator[tuple[BranchConfig, PrivateBroker, Path]]:
    """A branch, prepared (customers, a roster) before its broker and agent start; the agent
    online when this yields; everything stopped and removed after."""
    home = Path(tempfile.mkdtemp(prefix="lobby-web-bench-"))
    broker, toml = write_branch(home)
    prepare(toml, home)
    config = load_config(toml)
    broker.start()
    agent = subprocess.Popen([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "run"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        watcher = RawClient(config, broker.credentials["display"])
        watcher.subscribe("agent/state")
        watcher.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=30)
        watcher.close()
        yield config, broker, toml
    finally:
        agent.terminate()
        agent.wait(15)
        broker.stop()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(broker.directory.parent, ignore_errors=True)


def sign_in_page(page, url: str, user: dict, staff_id: str | None = None, pin: str | None = None) -> None:
    """Open a page, sign the device in with its role's user and, if given, a person with staff id + PIN."""
    page.goto(url)
    page.fill("#login-password", user["password"])
    page.click("#login-submit")
    page.wait_for_selector("#conn[data-state=connected]")
    if staff_id:
        page.wait_for_selector("#staff:not(.hidden)")
        page.fill("#staff-id", staff_id)
        page.fill("#staff-pin", pin or "")
        page.click("#staff-submit")
        page.wait_for_selector("#person:not(.hidden)")


def subscribe_ping(page, topic: str) -> None:
    page.evaluate("(topic) => new Promise((r) => window.lobby.bus.client.subscribe(topic, { qos: 1 }, r))", topic)


def print_table(title: str, rows: list[tuple[str, list[float]]]) -> None:
    print(title)
    print(f"{'':52}{'median':>8}{'p99':>8}{'max':>8}")
    for label, values in rows:
        print(f"{label:52}{statistics.median(values):>8.1f}{percentile(values, 0.99):>8.1f}{max(values):>8.1f}")
    print(json.dumps({label: {"median": round(statistics.median(v), 1), "p99": round(percentile(v, 0.99), 1)} for label, v in rows}))
