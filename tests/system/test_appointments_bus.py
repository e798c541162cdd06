"""预约 over the branch's real broker: only head office sends bookings, the kiosk checks in,
and a check-in that cannot be read is answered with a sentence."""

from __future__ import annotations

import time
from datetime import datetime

from lobby.config import load_config
from tests.bus_helpers import client, tx
from tools.demo_appointments import DemoBookings
from tools.kiosk_journey.journey import Lobby


def test_only_head_office_sends_bookings_and_the_kiosk_checks_them_in(broker, agent, agent_toml):
    bookings = DemoBookings(broker.config.branch.id, "cash", datetime.now(broker.config.branch.zone))
    on_time = bookings.add("on_time")
    kiosk, hq = client(broker, "kiosk"), client(broker, "hq")
    payload = {"transaction": tx(), "version": 1, "booking_key": bookings.signer.public_key, "bookings": []}
    kiosk.publish("request/appointments_sync", payload)  # refused by the broker's ACL: a kiosk cannot send bookings
    time.sleep(1.0)
    assert kiosk.on("response/appointments_sync") == []


    lobby = Lobby(load_config(agent_toml))  # head office's part, as the `hq` user
    try:
        lobby.hold_bookings(bookings)
    finally:
        lobby.close()
    kiosk.publish("request/check_in", {"transaction": (first := tx()), "code": on_time.code, "kiosk": "k1"})
    answer = kiosk.response("check_in", first)
    assert answer["status"] == "ok" and answer["data"]["appointment"]["on_time"] and answer["data"]["appointment"]["code"] == on_time.code

    for fields, words in (({"code": on_time.code, "scanned": "x"}, "either the scanned pass or the typed code"),
                          ({"code": "12345"}, "'code'"), ({}, "either the scanned pass or the typed code")):
        kiosk.publish("request/check_in", {"transaction": (t := tx()), **fields})
        refused = kiosk.response("check_in", t)
        assert refused["status"] == "error" and refused["code"] == "invalid" and words in refused["error"], refused
    kiosk.publish("request/check_in", {"transaction": (again := tx()), "scanned": bookings.pass_link(on_time)})
    assert kiosk.response("check_in", again)["code"] == "booking_used"
    kiosk.close()
    hq.close()
