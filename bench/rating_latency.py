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
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.web_bench import CHROMIUM_ARGS, ONE_PING, PAGE_CLIENT, cli, print_table, running_branch, sign_in_page, subscribe_ping  # noqa: E402
from tests.bus_helpers import RawClient  # noqa: E402

ROSTER = "staff_id,name,role,pin\nT301,陈柜员,teller,480213\nM101,张敏,manager,552901\n"

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()

    def with_the_roster(toml: Path, home: Path) -> None:
        (home / "staff.csv").write_text(ROSTER, encoding="utf-8")
        cli(toml, "staff", "import", str(home / "staff.csv"))

    prompts: list[float] = []
    alerts: list[float] = []
    floors: dict[str, list[float]] = {"rating screen": [], "tablet": []}
    with running_branch(with_the_roster) as (config, broker, _):
        creds = broker.credentials
        kiosk = RawClient(config, creds["kiosk"])

        def ticket() -> None:
            transaction = uuid.uuid4().hex
            kiosk.publish("request/ticket", {"transaction": transaction, "service": "cash", "kiosk": "bench"})
            kiosk.response("ticket", transaction)

        web, ws = f"http://127.0.0.1:{config.web.port}", f"ws://127.0.0.1:{config.mqtt.ws_port}"
        root = f"lobby/v1/{config.branch.id}/"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            screen = browser.new_page(viewport={"width": 1024, "height": 600})
            sign_in_page(screen, f"{web}/rate/?counter=3", creds["rater"])
            tablet = browser.new_page(viewport={"width": 820, "height": 1180})
            sign_in_page(tablet, f"{web}/manager/", creds["manager"], "M101", "552901")
            screen.evaluate(PAGE_CLIENT, [ws, root, creds["teller"], "teller", []])
            session = screen.evaluate("async () => (await bench.teller('staff_sign_in', { staff_id: 'T301', pin: '480213', page: 'teller', counter: '3' })).answer.data.session")
            screen.evaluate("async (session) => bench.teller('counter_open', { counter: '3', session })", session)
            screen.evaluate(WATCH_PROMPT)
            tablet.evaluate(PAGE_CLIENT, [ws, root, creds["rater"], "rater", ["events/rating_prompt"]])
            tablet.evaluate(PAGE_CLIENT, [ws, root, creds["manager"], "manager", []])
            manager = tablet.evaluate("async () => (await bench.manager('staff_sign_in', { staff_id: 'M101', pin: '552901', page: 'manager' })).answer.data.session")
            tablet.evaluate(WATCH_ALERTS)
            pings = {"rating screen": (screen, root + "ping/" + creds["rater"]["username"]), "tablet": (tablet, root + "ping/" + creds["manager"]["username"])}
            for page, topic in pings.values():
                subscribe_ping(page, topic)
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
    print_table(f"{args.samples} served customers, times in ms, each taken in one page (performance.now)", [
        ("teller complete -> prompt on the rating screen", prompts),
        ("rating screen publish -> receive (floor)", floors["rating screen"]),
        ("low score -> service alert drawn on the tablet", alerts),
        ("tablet publish -> receive (floor)", floors["tablet"]),
    ])


if __name__ == "__main__":
    main()
