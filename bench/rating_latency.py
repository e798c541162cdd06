"""The customer's voice, timed in Chromium: a teller's "complete" to the rating prompt on the
screen at that counter, and a low score to the service alert on the lobby manager's tablet.

A private Mosquitto with the generated users and ACLs, the real agent (which serves the
pages) with a staff roster, and two pages in headless Chromium (Debian's, driven by
Playwright): the rating screen of counter 3 (1024×600) and the manager's tablet, signed in.
Each time is taken inside one page with its own clock, performance.now():

  - complete → prompt: the teller is a second mqtt.js client in the rating screen's page,
    signed in at counter 3; a MutationObserver notes when the screen turns to the prompt;
  - low score → alert: the vote is sent by a rater client in the tablet's page (as the
    rating screen would send it); a MutationObserver notes the alert card drawn;
  - the floors: each page's own publish → receive on ping/<its user>, same WebSocket.

    .venv/bin/python bench/rating_latency.py --samples 40
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.web_alert_latency import CHROMIUM_ARGS, ONE_PING, branch, percentile  # noqa: E402
from lobby.config import load_config  # noqa: E402
from tests.bus_helpers import RawClient  # noqa: E402

ROSTER = "staff_id,name,role,pin\nT301,陈柜员,teller,480213\nM101,张敏,manager,552901\n"

# A second mqtt.js client in a page, with its own answers topic and a request helper.
CLIENT = """async ([url, root, user, name, topics]) => {
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

WATCH_PROMPT = """() => {
  bench.prompted = [];
  new MutationObserver(() => { if (document.body.dataset.screen === 'prompt') bench.prompted.push(performance.now()); })
    .observe(document.body, { attributes: true, attributeFilter: ['data-screen'] });
}"""

# In the rating screen's page: call and complete at counter 3; the time until the prompt shows.
ONE_PROMPT = """async (session) => {
  await bench.teller('call_next', { counter: '3', session });
  const before = bench.prompted.length;
  const done = await bench.teller('complete', { counter: '3', session });
  while (bench.prompted.length === before) {
    if (performance.now() - done.sent > 10000) throw new Error('no prompt within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return { ticket: done.answer.data.ticket, prompt_ms: bench.prompted[before] - done.sent };
}"""

WATCH_ALERTS = """() => {
  bench.drawn = {};
  new MutationObserver(() => {
    for (const card of document.querySelectorAll('article.service-alert')) {
      const ticket = card.querySelector('.sa-ticket').textContent;
      if (!(ticket in bench.drawn)) bench.drawn[ticket] = { at: performance.now(), alertId: card.dataset.alertId };
    }
  }).observe(document.getElementById('service-alerts'), { childList: true, subtree: true });
}"""

# In the tablet's page: the rater votes 1 on the latest prompt; the time until its alert card is drawn.
ONE_LOW_SCORE = """async ([ticket, manager]) => {
  let prompt = null;
  const start = performance.now();
  while (!prompt) {
    prompt = bench.events.find((e) => e.topic === 'events/rating_prompt' && e.data.state === 'open' && e.data.ticket === ticket);
    if (performance.now() - start > 10000) throw new Error('the rater never heard the prompt');
    if (!prompt) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const vote = await bench.rater('rate', { counter: '3', prompt_id: prompt.data.prompt_id, score: 1, reasons: ['long_wait'] });
  while (!(ticket in bench.drawn)) {
    if (performance.now() - vote.sent > 10000) throw new Error('no alert card within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const { at, alertId } = bench.drawn[ticket];
  await bench.manager('service_alert_ack', { session: manager, alert_id: alertId });  // handled, as a manager would
  return at - vote.sent;
}"""


def sign_in_page(page, url: str, user: dict, staff_id: str | None, pin: str | None) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lobby-rating-bench-"))
    broker, toml = branch(home)
    (home / "staff.csv").write_text(ROSTER, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "staff", "import", str(home / "staff.csv")],
                   check=True, capture_output=True, cwd=REPO)
    config = load_config(toml)
    broker.start()
    agent = subprocess.Popen([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "run"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    prompts: list[float] = []
    alerts: list[float] = []
    floors: dict[str, list[float]] = {"rating screen": [], "tablet": []}
    creds = broker.credentials
    try:
        kiosk = RawClient(config, creds["kiosk"])
        kiosk.subscribe("agent/state")
        kiosk.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=30)

        def ticket() -> None:
            transaction = uuid.uuid4().hex
            kiosk.publish("request/ticket", {"transaction": transaction, "service": "cash", "kiosk": "bench"})
            kiosk.response("ticket", transaction)

        web, ws = f"http://127.0.0.1:{config.web.port}", f"ws://127.0.0.1:{config.mqtt.ws_port}"
        root = f"lobby/v1/{config.branch.id}/"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            screen = browser.new_page(viewport={"width": 1024, "height": 600})
            sign_in_page(screen, f"{web}/rate/?counter=3", creds["rater"], None, None)
            tablet = browser.new_page(viewport={"width": 820, "height": 1180})
            sign_in_page(tablet, f"{web}/manager/", creds["manager"], "M101", "552901")
            screen.evaluate(CLIENT, [ws, root, creds["teller"], "teller", []])
            session = screen.evaluate("async () => (await bench.teller('staff_sign_in', { staff_id: 'T301', pin: '480213', page: 'teller', counter: '3' })).answer.data.session")
            screen.evaluate("async (session) => bench.teller('counter_open', { counter: '3', session })", session)
            screen.evaluate(WATCH_PROMPT)
            tablet.evaluate(CLIENT, [ws, root, creds["rater"], "rater", ["events/rating_prompt"]])
            tablet.evaluate(CLIENT, [ws, root, creds["manager"], "manager", []])
            manager = tablet.evaluate("async () => (await bench.manager('staff_sign_in', { staff_id: 'M101', pin: '552901', page: 'manager' })).answer.data.session")
            tablet.evaluate(WATCH_ALERTS)
            pings = {"rating screen": (screen, root + "ping/" + creds["rater"]["username"]), "tablet": (tablet, root + "ping/" + creds["manager"]["username"])}
            for page, topic in pings.values():
                page.evaluate("(topic) => new Promise((r) => window.lobby.bus.client.subscribe(topic, { qos: 1 }, r))", topic)
            for i in range(3 + args.samples):  # the first three warm up
                ticket()
                shown = screen.evaluate(ONE_PROMPT, session)
                drawn = tablet.evaluate(ONE_LOW_SCORE, [shown["ticket"], manager])
                if i >= 3:
                    prompts.append(shown["prompt_ms"])
                    alerts.append(drawn)
                    for name, (page, topic) in pings.items():
                        floors[name].append(page.evaluate(ONE_PING, topic))
                screen.wait_for_timeout(150)
            browser.close()
        kiosk.close()
    finally:
        agent.terminate()
        agent.wait(15)
        broker.stop()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(broker.directory.parent, ignore_errors=True)

    rows = [
        ("teller complete -> prompt on the rating screen", prompts),
        ("rating screen publish -> receive (floor)", floors["rating screen"]),
        ("low score -> service alert drawn on the tablet", alerts),
        ("tablet publish -> receive (floor)", floors["tablet"]),
    ]
    print(f"{args.samples} served customers, times in ms, each taken in one page (performance.now)")
    print(f"{'':52}{'median':>8}{'p99':>8}{'max':>8}")
    for label, values in rows:
        print(f"{label:52}{statistics.median(values):>8.1f}{percentile(values, 0.99):>8.1f}{max(values):>8.1f}")
    print(json.dumps({label: {"median": round(statistics.median(v), 1), "p99": round(percentile(v, 0.99), 1)} for label, v in rows}))


if __name__ == "__main__":
    main()
