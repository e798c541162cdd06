"""Staff, referrals and promotions over the real broker with the generated ACL: each role
keeps to its own, PINs and phone numbers never travel where they should not."""

from __future__ import annotations

import base64
import io
import json
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image

from tests.bus_helpers import RawClient, ask, client, import_customer, publish_reason
from tests.staff_helpers import PINS

PHONE = "13812345678"


def branch_today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the example branch's zone
PAN = "6222021234567890128"






def sign_in(who: RawClient, staff_id: str, page: str, counter: str | None = None) -> str:
    fields = {"staff_id": staff_id, "pin": PINS[staff_id], "page": page} | ({"counter": counter} if counter else {})
    answer = ask(who, "staff_sign_in", **fields)
    assert answer["status"] == "ok", answer
    return answer["data"]["session"]


def test_each_role_keeps_to_its_own_against_the_generated_acl(broker, staffed_agent):
    kiosk, teller, rm, display = (client(broker, role) for role in ("kiosk", "teller", "manager", "display"))
    rm = client(broker, "rm")
    # The broker itself refuses what a role may not publish (MQTT 5 says so).
    assert publish_reason(kiosk, "request/refer") == "Not authorized"
    assert publish_reason(kiosk, "request/staff_sign_in") == "Not authorized"
    assert publish_reason(teller, "request/referral_outcome") == "Not authorized"
    assert publish_reason(teller, "request/promotion_publish") == "Not authorized"
    assert publish_reason(rm, "request/call_next") == "Not authorized"
    assert publish_reason(rm, "request/refer") == "Not authorized"
    assert publish_reason(display, "request/referral_list") == "Not authorized"
    # And the agent refuses a person signed in on the wrong page, even where the ACL lets the
    # request through (head office may send every request).
    hq = client(broker, "hq")
    teller_session = sign_in(hq, "T301", "teller", "3")
    wrong = ask(hq, "referral_outcome", session=teller_session, referral_id="a" * 32, outcome="declined")
    assert wrong["code"] == "wrong_role"
    rm_session = sign_in(hq, "R201", "rm")
    assert ask(hq, "call_next", counter="3", session=rm_session)["code"] == "wrong_role"
    # A wrong PIN, then a locked id, also for the right PIN.
    for _ in range(4):
        assert ask(teller, "staff_sign_in", staff_id="T302", pin="000000", page="teller", counter="2")["code"] == "sign_in_refused"
    assert ask(teller, "staff_sign_in", staff_id="T302", pin="000000", page="teller", counter="2")["code"] == "staff_locked"
    assert ask(teller, "staff_sign_in", staff_id="T302", pin=PINS["T302"], page="teller", counter="2")["code"] == "staff_locked"
    # Without a sign-in, a roster branch refuses counter work.
    assert ask(teller, "counter_open", counter="3")["code"] == "sign_in_required"
    for c in (kiosk, teller, rm, display, hq):
        c.close()


def test_the_sop_over_the_broker_keeps_pins_and_phones_to_themselves(broker, staffed_agent, agent_toml, tmp_path, branch_config):
    card = import_customer(agent_toml, tmp_path, branch_config, PAN, "王先生,vip,李经理")
    everything = client(broker, "hq")
    everything.subscribe("#")
    manager, rm, kiosk, teller = client(broker, "manager"), client(broker, "rm"), client(broker, "kiosk"), client(broker, "teller")
    manager.subscribe("alerts/vip", "events/referral", "staff/state")
    rm.subscribe("events/referral", "staff/state")
    ticket = ask(kiosk, "ticket", service="wealth", card=card, kiosk="k1")
    assert ticket["status"] == "ok"
    alert = manager.wait_for(lambda m: any(t == "alerts/vip" for t, _, _ in m)) and manager.on("alerts/vip")[0]
    manager_session = sign_in(manager, "M101", "manager")
    rm_session = sign_in(rm, "R201", "rm")
    referred = ask(manager, "refer", session=manager_session, alert_id=alert["event_id"], destination="vip_room")
    assert referred["status"] == "ok" and referred["data"]["referral"]["state"] == "open"
    referral_id = referred["data"]["referral"]["referral_id"]
    rm.wait_for(lambda m: any(t == "events/referral" for t, _, _ in m), timeout=3)
    assert ask(rm, "referral_accept", session=rm_session, referral_id=referral_id)["data"]["referral"]["accepted_by_name"] == "王理财"
    manager.wait_for(lambda m: any(t == "events/referral" and p["referral"]["state"] == "accepted" for t, p, _ in m), timeout=3)
    due = (branch_today() + timedelta(days=3)).isoformat()
    outcome = ask(rm, "referral_outcome", session=rm_session, referral_id=referral_id, outcome="follow_up", follow_up_on=due,
                  channel="phone", phone=PHONE, consent=True, meets_criteria=True, note="下周回电")
    assert outcome["status"] == "ok" and outcome["data"]["referral"]["phone_masked"] == "138****5678"
    again = ask(rm, "referral_outcome", session=rm_session, referral_id=referral_id, outcome="follow_up", follow_up_on=due, channel="phone")
    assert again["code"] == "outcome_already_recorded"
    own = ask(rm, "referral_list", session=rm_session)
    assert [r["phone"] for r in own["data"]["follow_ups"]] == [PHONE]  # the RM's own view
    assert all(r["phone"] is None for r in ask(manager, "referral_list", session=manager_session)["data"]["referrals"])
    # Promotions: an image that is not one, then a real one, reach the retained topic.
    fake = ask(manager, "promotion_publish", session=manager_session, title="假", image=base64.b64encode(b"MZ\x90\x00").decode(),
               starts_on=branch_today().isoformat(), ends_on=branch_today().isoformat())
    assert fake["code"] == "bad_image"
    picture = io.BytesIO()
    Image.new("RGB", (600, 300), (200, 16, 46)).save(picture, "PNG")
    image = base64.b64encode(picture.getvalue()).decode()
    published = ask(manager, "promotion_publish", session=manager_session, title="大额存单", text="20万起存", image=image,
                    starts_on=branch_today().isoformat(), ends_on=due)
    assert published["status"] == "ok"
    everything.wait_for(lambda m: any(t == "promotions" and p["promotions"] for t, p, _ in m), timeout=70)
    time.sleep(0.5)
    # Nothing anyone else can read carries a PIN or the phone number: not the events, not
    # head office's view of everything, not the answers of others.
    seen = json.dumps([[t, p] for t, p, _ in everything.messages if not t.startswith("response/")], ensure_ascii=False)
    assert PHONE not in seen and PAN not in seen and not any(pin in seen for pin in PINS.values())
    log = staffed_agent.log()
    assert PHONE not in log and not any(pin in log for pin in PINS.values())
    for c in (everything, manager, rm, kiosk, teller):
        c.close()
