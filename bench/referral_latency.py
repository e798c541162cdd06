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
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.web_bench import CHROMIUM_ARGS, ONE_PING, PAGE_CLIENT, cli, print_table, running_branch, sign_in_page, subscribe_ping  # noqa: E402
from tests.bus_helpers import RawClient  # noqa: E402

ROSTER = "staff_id,name,role,pin\nT301,陈柜员,teller,480213\nR201,王理财,rm,774120\n"

WATCH_REFERRALS = """() => {
  bench.drawn = {};
  new MutationObserver(() => {
    for (const ticket of document.querySelectorAll('article.referral .ticket')) {
      if (!(ticket.textContent in bench.drawn)) bench.drawn[ticket.textContent] = performance.now();
    }
  }).observe(document.getElementById('referrals'), { childList: true, subtree: true });
}"""

# One referral: call the waiting ticket at counter 3, refer it, and wait for its card on the page.
ONE_REFERRAL = """async (session) => {
  const called = await bench.teller('call_next', { counter: '3', session });
  const ticket = called.answer.data.ticket;
  const referred = await bench.teller('refer', { session, ticket, triggers: ['large_cash', 'wealth_enquiry'] });
  while (!(ticket in bench.drawn)) {
    if (performance.now() - referred.sent > 10000) throw new Error('no referral card within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await bench.teller('complete', { counter: '3', session });
  return { answered_ms: referred.at - referred.sent, drawn_ms: bench.drawn[ticket] - referred.sent };
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()

    def with_the_roster(toml: Path, home: Path) -> None:
        (home / "staff.csv").write_text(ROSTER, encoding="utf-8")
        cli(toml, "staff", "import", str(home / "staff.csv"))

    results: list[dict] = []
    floor: list[float] = []
    with running_branch(with_the_roster) as (config, broker, _):
        kiosk = RawClient(config, broker.credentials["kiosk"])

        def ticket() -> None:
            transaction = uuid.uuid4().hex
            kiosk.publish("request/ticket", {"transaction": transaction, "service": "cash", "kiosk": "bench"})
            kiosk.response("ticket", transaction)

        rm = broker.credentials["rm"]
        root = f"lobby/v1/{config.branch.id}/"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            sign_in_page(page, f"http://127.0.0.1:{config.web.port}/rm/", rm, "R201", "774120")
            page.evaluate(PAGE_CLIENT, [f"ws://127.0.0.1:{config.mqtt.ws_port}", root, broker.credentials["teller"], "teller", []])
            page.evaluate(WATCH_REFERRALS)
            session = page.evaluate("async () => (await bench.teller('staff_sign_in', { staff_id: 'T301', pin: '480213', page: 'teller', counter: '3' })).answer.data.session")
            page.evaluate("async (session) => bench.teller('counter_open', { counter: '3', session })", session)
            ping = root + "ping/" + rm["username"]
            subscribe_ping(page, ping)
            for i in range(3 + args.samples):  # the first three warm up
                ticket()
                result = page.evaluate(ONE_REFERRAL, session)
                if i >= 3:
                    results.append(result)
                    floor.append(page.evaluate(ONE_PING, ping))
                page.wait_for_timeout(150)  # referrals come one at a time, not in a burst
            browser.close()
        kiosk.close()
    print_table(f"{args.samples} referrals, times in ms, all taken in the RM page (performance.now); "
                f"the page holds up to {args.samples + 3} referrals by the end, a busy day's worth", [
                    ("teller refer -> referral drawn on the RM page", [r["drawn_ms"] for r in results]),
                    ("teller refer -> the teller's answer (same page)", [r["answered_ms"] for r in results]),
                    ("RM page publish -> receive, same WebSocket (floor)", floor),
                ])


if __name__ == "__main__":
    main()
