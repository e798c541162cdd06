"""`make demo`: a whole lobby on this machine, on a private broker and virtual devices.

It writes a demo branch into `demo-output/`, sets up and starts a private Mosquitto on free
ports with generated users, starts the real agent, imports a few demo customers and the
staff roster, drops in two promotions, and plays a short morning: tellers sign in at their
counters and open them, customers take tickets (one of them a VIP with a card), tellers
call, transfer and complete; the lobby manager refers the VIP to the RM pool, an RM accepts
and records a follow-up, a teller refers a customer at the counter; the day's follow-up
list and report are written. Then the real kiosk walks a scripted customer journey
(a ticket, a VIP swipe, a diversion, a paper-out) in a window where there is a display and
offscreen otherwise. What each role would see is printed and saved in `demo-output/`,
with a screenshot of every kiosk screen and the printed tickets in `demo-output/kiosk/`. With DEMO_KEEP=1 it keeps running until Ctrl-C so you can connect to it
(the credentials are in demo-output/broker/credentials.json).

One file because it is one script read top to bottom: the morning's steps in their order.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from edge_agent.bus.broker_setup import BrokerSetupError
from lobby.bus.client import BusClient
from lobby.bus.requester import Requester
from lobby.card_key import card_token, load_or_create_key, mask_pan
from lobby.config import load_config
from lobby.contract import CardIdentity
from tools.demo_customers import DEMO_CUSTOMERS, write_crm_export
from tools.demo_head_office import REGION, DemoHeadOffice
from tools.demo_history import write_demo_wait_model
from tools.demo_promotions import write_demo_promotions
from tools.demo_staff import DEMO_STAFF, sign_in_card, write_roster
from tools.private_broker import PrivateBroker, free_port, reachable_folder

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "demo-output"
ticket_links: list[str] = []  # the links the kiosk's tickets carry (their QR codes), for the phone's picture

def write_demo_config(home: Path, mqtt_port: int, ws_port: int) -> Path:
    text = (REPO / "config" / "branch.example.toml").read_text(encoding="utf-8")
    # A demo runs whenever someone tries it, weekends and evenings included.
    text = text.replace("tickets_outside_hours = false", "tickets_outside_hours = true")
    text = text.replace("/var/lib/lobby", str(home / "state"))
    text = text.replace("/etc/lobby/broker/credentials.json", str(home / "broker" / "credentials.json"))
    text = text.replace("port = 1883", f"port = {mqtt_port}").replace("ws_port = 9001", f"ws_port = {ws_port}")
    text = text.replace("port = 8080", f"port = {free_port()}")
    text = re.sub(r"(\[mqtt\]\n)", '\\1bind_address = "127.0.0.1"\nws_interface = "lo"\n', text, count=1)
    text = text.replace("# folder = ", "folder = ")  # the demo's promotions, as files a technician drops in
    write_demo_promotions(home / "state" / "promotions")
    path = home / "branch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    config_path = write_demo_config(OUT, free_port(), free_port())
    config = load_config(config_path)
    print(f"demo branch {config.branch.id} ({config.branch.name}); configuration: {config_path}")
    head_office = DemoHeadOffice(OUT / "head-office", config.branch.id, config.branch.name)
    try:
        head_office.start()
    except Exception:
        head_office.stop()
        raise
    # Each ticket's QR code links to head office's page for it; the branch broker bridges there.
    config_path.write_text(config_path.read_text(encoding="utf-8").replace('public_url = ""', f'public_url = "{head_office.url}"'), encoding="utf-8")
    config = load_config(config_path)
    bridged = config.model_copy(update={"bridge": config.bridge.model_copy(update=head_office.bridge(OUT / "hq-bridge-password"))})
    # The broker's files sit where user `mosquitto` can reach them whatever the checkout's
    # folder allows, behind demo-output/broker while the demo runs, and are moved there after.
    broker_folder = OUT / "broker"
    broker_folder.symlink_to(reachable_folder("lobby-demo-broker-"))
    try:
        return run_lobby(config, config_path, PrivateBroker(bridged, broker_folder), head_office)
    except BrokerSetupError as exc:
        print(f"the demo's broker cannot be set up: {exc}", file=sys.stderr)
        return 1
    finally:
        head_office.stop()
        keep_in_place(broker_folder)


def keep_in_place(link: Path) -> None:
    """Replace the link with the folder it points to, so the demo leaves everything in demo-output."""
    folder = link.resolve()
    link.unlink()
    shutil.move(folder, link)


def run_lobby(config, config_path: Path, broker: PrivateBroker, head_office: DemoHeadOffice) -> int:
    broker.start()
    print(f"head office: {head_office.url}/network (PostgreSQL, its broker, an ingester); sign in as ops or east "
          f"(regional, {REGION}), password {head_office.password}")
    print(f"private Mosquitto on 127.0.0.1:{config.mqtt.port} (websockets {config.mqtt.ws_port}); users in {OUT / 'broker' / 'credentials.json'}")
    print(f"pages: http://127.0.0.1:{config.web.port}/manager/  /teller/  /rm/  /display/")
    print(f"sign in on them with the role's user from credentials.json, then as one of the demo's staff:\n{sign_in_card()}")
    print(f"the branch's past (60 simulated weekdays) learned into its wait model: {write_demo_wait_model(config)}")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    agent_log = open(OUT / "agent.log", "wb")
    agent = subprocess.Popen([sys.executable, "-m", "edge_agent.cli", "--config", str(config_path), "run"], stdout=agent_log, stderr=agent_log, env=env)
    try:
        code = play_morning(config, config_path, broker)
        if code == 0:
            from tools.kiosk_journey.journey import run_journey

            print("\nhead office: three customers book visits; head-office sync sends them over the bridge")
            visits = head_office.book_visits(config.branch.zone)
            head_office.wait_for_sync()
            print(f"  the branch holds them: code {visits.typed_code} to type, two passes to scan")
            print("\nthe kiosk: a scripted customer journey on the real touchscreen app, then the bookings' check-in")
            code = run_journey(config_path, OUT / "kiosk", visits)
        if code == 0:
            code = show_head_office(head_office)
        return code
    finally:
        if os.environ.get("DEMO_KEEP") == "1":
            print("DEMO_KEEP=1: the lobby keeps running; Ctrl-C to stop")
            try:
                agent.wait()
            except KeyboardInterrupt:
                pass
        agent.terminate()
        try:
            agent.wait(30)
        except subprocess.TimeoutExpired:  # seen once (2026-12-05), not understood yet: said, not hidden
            print(f"the agent did not stop within 30 s of SIGTERM; killed it (see {OUT / 'agent.log'})", file=sys.stderr)
            agent.kill()
            agent.wait()
        broker.stop()
        agent_log.close()
        print(f"agent log: {OUT / 'agent.log'}; broker log: {broker.log_path}")


def show_head_office(head_office: DemoHeadOffice) -> int:
    print("\nhead office: the branch over its bridge, and a ticket's link on a phone")
    try:
        head_office.wait_for_branch()
    except AssertionError:
        print(f"  the branch never reached head office; see {head_office.out}")
        return 1
    print(f"  {len(ticket_links)} tickets carry a link, e.g. {ticket_links[-1] if ticket_links else 'none'}")
    for shot in head_office.photograph(ticket_links):
        print(f"  {shot}")
    return 0


def role_client(config, broker: PrivateBroker, role: str) -> BusClient:
    client = BusClient.for_role(config, role, f"demo-{uuid.uuid4().hex[:6]}")
    client.start()
    if not client.wait_connected(10):
        raise SystemExit(f"the demo's {role} could not reach the private broker; see {broker.log_path}")
    return client


def import_demo_customers(config, config_path: Path) -> dict[str, CardIdentity]:
    export = OUT / "crm-export.csv"
    write_crm_export(export)
    subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(config_path), "customers", "import", str(export)], check=True)
    export.unlink()  # the demo's stand-in for a CRM file: do not leave card numbers lying around
    key = load_or_create_key(config.security.key_file)
    # What the kiosk's card reader would produce for these cards.
    return {name: CardIdentity(token=card_token(key, pan), masked_pan=mask_pan(pan)) for pan, name, _, _ in DEMO_CUSTOMERS}


def import_demo_staff(config_path: Path) -> None:
    roster = write_roster(OUT / "staff.csv")
    subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(config_path), "staff", "import", str(roster)], check=True)
    roster.unlink()  # PINs are typed, not kept in files


def play_morning(config, config_path: Path, broker: PrivateBroker) -> int:
    cards = import_demo_customers(config, config_path)
    import_demo_staff(config_path)
    clients = [role_client(config, broker, role) for role in ("manager", "kiosk", "teller", "display", "rm", "rater")]
    try:
        return _play(config, config_path, cards, *clients)
    finally:
        for client in clients:
            client.stop()


def _play(config, config_path: Path, cards, manager: BusClient, kiosk_bus: BusClient, teller_bus: BusClient, watcher: BusClient,
          rm_bus: BusClient, rater_bus: BusClient) -> int:
    seen: list[tuple[str, dict]] = []
    manager.subscribe("alerts/vip", lambda t, p: seen.append((t, json.loads(p))))
    manager.subscribe("alerts/service", lambda t, p: seen.append((t, json.loads(p))))
    prompts: list[dict] = []
    rater_bus.subscribe("events/rating_prompt", lambda t, p: prompts.append(json.loads(p)))
    manager.subscribe("events/#", lambda t, p: seen.append((t, json.loads(p))))
    kiosk, tellers, lobby_manager, rm = Requester(kiosk_bus), Requester(teller_bus), Requester(manager), Requester(rm_bus)
    online = threading.Event()
    watcher.subscribe("agent/state", lambda t, p: online.set() if json.loads(p).get("state") == "online" else None)
    if not online.wait(15):
        print(f"the agent did not come online; see {OUT / 'agent.log'}")
        return 1

    def step(title: str, answer: dict) -> dict:
        if answer["status"] != "ok":
            print(f"  {title}: refused — {answer['error']}")
            return {}
        data = answer["data"]
        if data.get("link"):
            ticket_links.append(data["link"])
        detail = data.get("ticket") or ("open" if data.get("open") else "closed")
        extra = f", {data['ahead']} ahead, wait ~{(data['eta_s'] or 0) // 60} min" if "ahead" in data and data.get("eta_s") is not None else ""
        print(f"  {title}: {detail}{extra}")
        return data

    print("\n08:50 staff sign in (staff id + PIN; the agent records who does what)")
    sessions: dict[str, str] = {}
    for staff_id, name, role, pin, counter in DEMO_STAFF:
        page = {"teller": "teller", "head": "teller", "manager": "manager", "rm": "rm"}[role]
        who = rm if page == "rm" else lobby_manager if page == "manager" else tellers
        fields = {"staff_id": staff_id, "pin": pin, "page": page} | ({"counter": counter} if counter else {})
        answer = who.request("staff_sign_in", fields)
        if answer["status"] != "ok":
            print(f"  {name} could not sign in: {answer['error']}")
            return 1
        sessions[counter or staff_id] = answer["data"]["session"]
        print(f"  {name} ({staff_id}) signed in on the {page} page" + (f" at counter {counter}" if counter else ""))

    class Teller:
        """The tellers' consoles: each request signed by whoever sits at its counter."""

        @staticmethod
        def request(op: str, fields: dict) -> dict:
            return tellers.request(op, fields | {"session": sessions[fields.get("counter") or "3"]})

    teller = Teller()
    print("\n08:55 counters open")
    for counter in ("1", "3", "4", "6"):
        step(f"counter {counter} opens", teller.request("counter_open", {"counter": counter}))
    print("\n09:00 customers arrive at the kiosk")
    for service in ("cash", "cash", "noncash", "cash", "enquiry"):
        step(f"ticket for {service}", kiosk.request("ticket", {"service": service, "kiosk": "kiosk-1"}))
    vip = step("VIP swipes a card and chooses 理财贵宾", kiosk.request("ticket", {"service": "wealth", "card": cards["王先生"].model_dump(), "kiosk": "kiosk-1"}))
    if vip.get("customer"):
        print(f"    kiosk greets: {vip['customer']['display_name']}您好 ({vip['customer']['tier_name_zh']}); manager alerted: {vip['customer']['manager_alerted']}")
    print("\n09:05 tellers call")
    step("counter 1 calls next", teller.request("call_next", {"counter": "1"}))
    step("counter 6 calls next (VIP room)", teller.request("call_next", {"counter": "6"}))
    step("counter 3 calls next", teller.request("call_next", {"counter": "3"}))
    step("counter 3 transfers A002 to 个人非现金", teller.request("transfer", {"ticket": "A002", "to_service": "noncash"}))
    step("counter 4 calls next", teller.request("call_next", {"counter": "4"}))
    step("counter 1 completes", teller.request("complete", {"counter": "1"}))
    step("counter 1 closes while serving nobody", teller.request("counter_close", {"counter": "1"}))
    step("counter 1 calls next while closed (refused, as it should be)", teller.request("call_next", {"counter": "1"}))
    step("counter 1 opens again", teller.request("counter_open", {"counter": "1"}))

    time.sleep(1.0)
    alerts = [p for t, p in seen if t == "alerts/vip"]
    if alerts:
        alert = alerts[0]
        print(f"\nmanager's tablet: VIP alert — {alert['customer']['display_name']}, ticket {alert['ticket']}, RM {alert['customer']['rm']}, card {alert['customer']['masked_pan']}")
        if refer_the_vip(alert, lobby_manager, rm, sessions, config.branch.zone) != 0:
            return 1
    print("\n09:20 counter 3 serves a customer asking about wealth products, and refers them")
    served = step("counter 3 calls next", teller.request("call_next", {"counter": "3"}))
    if served:
        referred = tellers.request("refer", {"session": sessions["3"], "ticket": served["ticket"], "triggers": ["large_cash", "wealth_enquiry"],
                                             "customer_name": "李女士"})
        print(f"  counter 3 refers {served['ticket']} (大额存取现金; 咨询理财): {referred['status']}, to the RM pool")
        if hear_the_customer(teller, Requester(rater_bus), lobby_manager, sessions, prompts, seen) != 0:
            return 1
    written = subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(config_path), "followups", "--out", str(OUT)],
                             capture_output=True, text=True, check=True).stdout.strip()
    print(f"\nclose of day: {written}")
    report = subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(config_path), "report", "--out", str(OUT)],
                            capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    print(f"  the day's report: {report}")
    (OUT / "manager-saw.json").write_text(json.dumps(seen, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nevents the manager's tablet received: {len(seen)} (saved to {OUT / 'manager-saw.json'})")
    state = subprocess.run(
        [sys.executable, "-m", "edge_agent.cli", "--config", str(config_path), "status"], capture_output=True, text=True, check=True
    ).stdout
    (OUT / "queue-state.json").write_text(state, encoding="utf-8")
    waiting = {sid: s["waiting"] for sid, s in json.loads(state)["services"].items()}
    print(f"queue now: {waiting}")
    return 0


def hear_the_customer(teller, rater: Requester, manager: Requester, sessions: dict[str, str], prompts: list[dict], seen: list) -> int:
    """服务评价 to 投诉处理: the customer at counter 3 rates the service low; the manager turns the
    service alert into a complaint, acknowledges and resolves it."""
    print("\n09:25 counter 3 completes; the rating screen at counter 3 asks the customer")
    if not teller.request("complete", {"counter": "3"}).get("data"):
        return 1
    deadline = time.monotonic() + 5
    def asked() -> dict | None:
        return next((p for p in reversed(prompts) if p["state"] == "open" and p["counter"] == "3"), None)

    while asked() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    prompt = asked()
    if prompt is None:
        print("  the rating screen was never asked")
        return 1
    vote = rater.request("rate", {"counter": "3", "prompt_id": prompt["prompt_id"], "score": 1, "reasons": ["long_wait"]})
    print(f"  the customer taps 不满意 (等候时间太长) for {prompt['ticket']}, served by {prompt['staff_name']}: {vote['status']}")
    deadline = time.monotonic() + 5
    while not [p for t, p in seen if t == "alerts/service"] and time.monotonic() < deadline:
        time.sleep(0.05)
    alert = next((p for t, p in seen if t == "alerts/service"), None)
    if alert is None:
        print("  no service alert reached the manager's tablet")
        return 1
    print(f"  manager's tablet: service alert — {alert['ticket']} at counter {alert['counter']} ({alert['staff_name']}), score {alert['score']}")
    session = sessions["M101"]
    opened = manager.request("complaint_open", {"session": session, "service_alert_id": alert["event_id"], "category": "waiting",
                                                "said": "等了四十分钟，没人解释"})
    complaint_id = opened["data"]["complaint"]["complaint_id"]
    manager.request("complaint_update", {"session": session, "complaint_id": complaint_id, "to": "acknowledged", "note": "已向客户致歉"})
    resolved = manager.request("complaint_update", {"session": session, "complaint_id": complaint_id, "to": "resolved",
                                                    "note": "增开窗口，客户接受解释"})
    print(f"  the manager opens a complaint from it, acknowledges and resolves it: {resolved['data']['complaint']['state']}")
    return 0


def refer_the_vip(alert: dict, manager: Requester, rm: Requester, sessions: dict[str, str], zone: ZoneInfo) -> int:
    """转介 and 跟进: the manager refers the VIP to the RM pool; an RM accepts, meets them, and
    records that they are interested: follow up by phone in three days (with consent)."""
    referred = manager.request("refer", {"session": sessions["M101"], "alert_id": alert["event_id"], "destination": "vip_room",
                                          "note": "在贵宾区等候"})
    if referred["status"] != "ok":
        print(f"  the referral was refused: {referred['error']}")
        return 1
    referral_id = referred["data"]["referral"]["referral_id"]
    print("  manager refers the VIP to the RM pool (贵宾理财室); the alert counts as answered")
    accepted = rm.request("referral_accept", {"session": sessions["R201"], "referral_id": referral_id})
    print(f"  RM workbench: {accepted['data']['referral']['accepted_by_name']} accepts — the manager's tablet shows who is on the way")
    follow_up_on = (datetime.now(zone).date() + timedelta(days=3)).isoformat()
    outcome = rm.request("referral_outcome", {"session": sessions["R201"], "referral_id": referral_id, "outcome": "follow_up",
                                              "follow_up_on": follow_up_on, "channel": "phone", "phone": "13800138000", "consent": True,
                                              "meets_criteria": True, "note": "对大额存单有兴趣"})
    print(f"  RM records: interested, follow up by phone on {follow_up_on} ({outcome['status']}; phone kept with consent, "
          f"shown as {outcome.get('data', {}).get('referral', {}).get('phone_masked')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
