"""From a teller's "refer" to the referral drawn on the relationship manager's workbench, in Chromium.

A private Mosquitto with the generated users and ACLs, the real agent (which serves the
pages) with a staff roster, and the RM page in headless Chromium (Debian's, driven by
Playwright), signed in as an RM. Every time is taken inside the RM page with one clock,
performance.now():

  - the teller is a second mqtt.js client in the same page, logged in as the teller user
    and signed in as a teller at counter 3 (its own WebSocket, as the teller console has);
    for each sample a ticket is issued, called at counter 3, and referred to the RM pool;
  - a MutationObserver notes when the referral card for that ticket enters the DOM;
  - the floor: the RM page's own connection publishes on ping/<its user> (QoS 1) and
    receives it back, on the same WebSocket that carries the referrals.

    .venv/bin/python bench/referral_latency.py --samples 60
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

ROSTER = "staff_id,name,role,pin\nT301,陈柜员,teller,480213\nR201,王理财,rm,774120\n"

# Runs in the RM page: a teller client beside the page's own, and the referral observer.
SET_UP = """async ([url, root, teller]) => {
  window.bench = { drawn: {}, root, answers: {} };
  new MutationObserver(() => {
    for (const ticket of document.querySelectorAll('article.referral .ticket')) {
      if (!(ticket.textContent in bench.drawn)) bench.drawn[ticket.textContent] = performance.now();
    }
  }).observe(document.getElementById('referrals'), { childList: true, subtree: true });
  const clientId = `${teller.username}.bench-${Math.random().toString(16).slice(2, 10)}`;
  bench.reply = `${root}response/${clientId}/`;
  bench.teller = mqtt.connect(url, { protocolVersion: 5, username: teller.username, password: teller.password, clean: true, clientId });
  bench.teller.on('message', (topic, payload) => {
    const answer = JSON.parse(new TextDecoder().decode(payload));
    bench.answers[answer.transaction] = { at: performance.now(), answer };
  });
  await new Promise((resolve) => bench.teller.on('connect', resolve));
  await new Promise((resolve) => bench.teller.subscribe(bench.reply + '+', { qos: 1 }, resolve));
  bench.ask = async (op, fields) => {
    const transaction = Math.random().toString(16).slice(2) + Date.now();
    const sent = performance.now();
    bench.teller.publish(bench.root + 'request/' + op, JSON.stringify({ transaction, ...fields }),
      { qos: 1, properties: { responseTopic: bench.reply + op } });
    while (!(transaction in bench.answers)) {
      if (performance.now() - sent > 10000) throw new Error(`no answer to ${op}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return { sent, ...bench.answers[transaction] };
  };
}"""

SIGN_IN = """async (pin) => {
  const { answer } = await bench.ask('staff_sign_in', { staff_id: 'T301', pin, page: 'teller', counter: '3' });
  bench.session = answer.data.session;
  await bench.ask('counter_open', { counter: '3', session: bench.session });
}"""

# One referral: call the waiting ticket at counter 3, refer it, and wait for its card on the page.
ONE_REFERRAL = """async () => {
  const called = await bench.ask('call_next', { counter: '3', session: bench.session });
  const ticket = called.answer.data.ticket;
  const referred = await bench.ask('refer', { session: bench.session, ticket, triggers: ['large_cash', 'wealth_enquiry'] });
  while (!(ticket in bench.drawn)) {
    if (performance.now() - referred.sent > 10000) throw new Error('no referral card within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await bench.ask('complete', { counter: '3', session: bench.session });
  return { answered_ms: referred.at - referred.sent, drawn_ms: bench.drawn[ticket] - referred.sent };
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lobby-referral-bench-"))
    broker, toml = branch(home)
    (home / "staff.csv").write_text(ROSTER, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "staff", "import", str(home / "staff.csv")],
                   check=True, capture_output=True, cwd=REPO)
    config = load_config(toml)
    broker.start()
    agent = subprocess.Popen([sys.executable, "-m", "edge_agent.cli", "--config", str(toml), "run"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    results: list[dict] = []
    floor: list[float] = []
    try:
        kiosk = RawClient(config, broker.credentials["kiosk"])
        kiosk.subscribe("agent/state")
        kiosk.wait_for(lambda m: any(t == "agent/state" and p.get("state") == "online" for t, p, _ in m), timeout=30)

        def ticket() -> None:
            transaction = uuid.uuid4().hex
            kiosk.publish("request/ticket", {"transaction": transaction, "service": "cash", "kiosk": "bench"})
            kiosk.response("ticket", transaction)

        rm = broker.credentials["rm"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(f"http://127.0.0.1:{config.web.port}/rm/")
            page.fill("#login-password", rm["password"])
            page.click("#login-submit")
            page.wait_for_selector("#staff:not(.hidden)")
            page.fill("#staff-id", "R201")
            page.fill("#staff-pin", "774120")
            page.click("#staff-submit")
            page.wait_for_selector("#main:not(.hidden)")
            root = f"lobby/v1/{config.branch.id}/"
            page.evaluate(SET_UP, [f"ws://127.0.0.1:{config.mqtt.ws_port}", root, broker.credentials["teller"]])
            page.evaluate(SIGN_IN, "480213")
            ping = root + "ping/" + rm["username"]
            page.evaluate("(topic) => new Promise((r) => window.lobby.bus.client.subscribe(topic, { qos: 1 }, r))", ping)
            for _ in range(3):  # warm up: first compiles, first SQLite pages, first DOM layout
                ticket()
                page.evaluate(ONE_REFERRAL)
                page.evaluate(ONE_PING, ping)
            for _ in range(args.samples):
                ticket()
                results.append(page.evaluate(ONE_REFERRAL))
                floor.append(page.evaluate(ONE_PING, ping))
                page.wait_for_timeout(150)  # referrals come one at a time, not in a burst
            browser.close()
        kiosk.close()
    finally:
        agent.terminate()
        agent.wait(15)
        broker.stop()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(broker.directory.parent, ignore_errors=True)

    rows = [
        ("teller refer -> referral drawn on the RM page", [r["drawn_ms"] for r in results]),
        ("teller refer -> the teller's answer (same page)", [r["answered_ms"] for r in results]),
        ("RM page publish -> receive, same WebSocket (floor)", floor),
    ]
    print(f"{args.samples} referrals, times in ms, all taken in the RM page (performance.now); "
          f"the page holds up to {args.samples + 3} referrals by the end, a busy day's worth")
    print(f"{'':52}{'median':>8}{'p99':>8}{'max':>8}")
    for label, values in rows:
        print(f"{label:52}{statistics.median(values):>8.1f}{percentile(values, 0.99):>8.1f}{max(values):>8.1f}")
    print(json.dumps({label: {"median": round(statistics.median(v), 1), "p99": round(percentile(v, 0.99), 1)} for label, v in rows}))


if __name__ == "__main__":
    main()
