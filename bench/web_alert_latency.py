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
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.web_bench import CHROMIUM_ARGS, ONE_PING, cli, print_table, running_branch, sign_in_page, subscribe_ping  # noqa: E402
from lobby.card_key import card_token, load_or_create_key, mask_pan  # noqa: E402

PAN = "6222021234567890128"

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

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()

    def with_the_vip(toml: Path, home: Path) -> None:
        (home / "crm.csv").write_text(f"card_number,display_name,tier,rm\n{PAN},王先生,vip,李经理\n", encoding="utf-8")
        cli(toml, "customers", "import", str(home / "crm.csv"))

    results: list[dict] = []
    floor: list[float] = []
    with running_branch(with_the_vip) as (config, broker, _):
        card = {"token": card_token(load_or_create_key(config.security.key_file), PAN), "masked_pan": mask_pan(PAN)}
        manager = broker.credentials["manager"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1180, "height": 820})
            sign_in_page(page, f"http://127.0.0.1:{config.web.port}/manager/", manager)
            root = f"lobby/v1/{config.branch.id}/"
            page.evaluate(SET_UP, [f"ws://127.0.0.1:{config.mqtt.ws_port}", root, broker.credentials["kiosk"]])
            ping = root + "ping/" + manager["username"]
            subscribe_ping(page, ping)
            for i in range(3):  # warm up: first compiles, first SQLite pages, first DOM layout
                page.evaluate(ONE_ALERT, [card, f"bench-warm-{i}"])
                page.evaluate(ONE_PING, ping)
            for i in range(args.samples):
                results.append(page.evaluate(ONE_ALERT, [card, f"bench-{time.time_ns()}-{i}"]))
                floor.append(page.evaluate(ONE_PING, ping))
                page.wait_for_timeout(150)  # VIPs arrive one at a time, not in a burst
            browser.close()
    print_table(f"{args.samples} VIP tickets, times in ms, all taken in the page (performance.now)", [
        ("ticket request -> alert drawn on the tablet page", [r["drawn_ms"] for r in results]),
        ("ticket request -> the kiosk's answer (same page)", [r["answered_ms"] for r in results]),
        ("page publish -> receive, same WebSocket (floor)", floor),
    ])


if __name__ == "__main__":
    main()
