"""TLS by one setting: with only `[mqtt] tls = true`, every client of the branch (agent, kiosk,
pages, tools) trusts the CA that `broker setup` generated, and a failed handshake is a
sentence in the log. Before, the agent and the kiosk spoke plain MQTT to the TLS port, stayed
offline, and said nothing."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import shutil
import ssl
import subprocess
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from edge_agent.bus.broker_setup import make_self_signed
from lobby.bus.client import BusClient, BusError
from lobby.bus.requester import Requester
from lobby.config import load_config
from tests.bus_helpers import AgentProcess, RawClient, import_customer, write_config_for
from tests.pages import CHROMIUM, CHROMIUM_ARGS, COUNTER_SCREEN, TABLET, PageErrors, sign_in, text

PAN = "6222021234567890128"


@pytest.fixture
def tls_broker(branch_config):
    from tools.private_broker import private_broker_for

    secured = branch_config.model_copy(update={"mqtt": branch_config.mqtt.model_copy(update={"tls": True})})
    running = private_broker_for(secured)
    running.start()
    yield running
    running.stop()
    shutil.rmtree(running.directory.parent, ignore_errors=True)


@pytest.fixture
def tls_toml(tls_broker, branch_toml) -> Path:
    """The branch's TOML as a technician leaves it: `tls = true`, and no CA named anywhere."""
    path = write_config_for(tls_broker, branch_toml)
    text, count = re.subn(r"^tls = false", "tls = true", path.read_text(encoding="utf-8"), flags=re.M)
    assert count == 1 and "ca_file" not in text
    path.write_text(text, encoding="utf-8")
    return path


def tls_client(broker, ca_file) -> tuple[mqtt.Client, list]:
    outcome: list = []
    display = broker.credentials["display"]
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{display['username']}.tls-{uuid.uuid4().hex[:6]}", protocol=mqtt.MQTTv5)
    c.username_pw_set(display["username"], display["password"])
    c.tls_set(ca_certs=str(ca_file) if ca_file else None)
    c.on_connect = lambda client, userdata, flags, reason, props: outcome.append(str(reason))
    try:
        c.connect("127.0.0.1", broker.config.mqtt.port)
        c.loop_start()
        time.sleep(1.0)
    except OSError as exc:  # ssl.SSLCertVerificationError is an OSError
        outcome.append(f"refused: {exc}")
    return c, outcome


def test_tls_requires_the_branch_ca(tls_broker):
    ca = tls_broker.directory / "tls" / "ca.crt"
    trusted, outcome = tls_client(tls_broker, ca)
    assert outcome == ["Success"]
    trusted.loop_stop()
    _, refused = tls_client(tls_broker, None)  # the system CAs do not know the branch's CA
    assert refused and refused[0].startswith("refused") and "certificate verify failed" in refused[0]
    plain = RawClient(tls_broker.config, tls_broker.credentials["display"])
    time.sleep(1.0)
    assert not plain.connected.is_set()  # no plaintext on a TLS listener
    plain.close()


def test_with_only_tls_true_every_client_trusts_the_generated_ca(tls_broker, tls_toml):
    config = load_config(tls_toml)
    assert config.mqtt.trusted_ca() == tls_broker.directory / "tls" / "ca.crt"
    for role in ("kiosk", "teller", "manager", "display", "hq"):
        bus = BusClient.for_role(config, role, "tls-check")
        assert bus.tls
        bus.start()
        assert bus.wait_connected(10), role
        bus.stop()


def _log_of(caplog, bus: BusClient, seconds: float = 3) -> str:
    with caplog.at_level(logging.WARNING, logger="lobby.bus.client"):
        bus.start()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not caplog.records:
            time.sleep(0.05)
        bus.stop()
    return "\n".join(r.getMessage() for r in caplog.records)


def test_a_failed_handshake_is_a_sentence_in_the_log(tls_broker, tls_toml, tmp_path, caplog):
    config = load_config(tls_toml)
    _, other_ca, _ = make_self_signed(tmp_path / "other", "127.0.0.1")  # a CA that did not sign the broker's certificate
    untrusting = BusClient.for_role(config.model_copy(update={"mqtt": config.mqtt.model_copy(update={"ca_file": other_ca})}), "kiosk")
    words = _log_of(caplog, untrusting)
    assert f"the broker at 127.0.0.1:{config.mqtt.port} refused TLS: its certificate is not trusted here" in words
    assert str(other_ca) in words and "Traceback" not in words
    caplog.clear()

    plain = BusClient.for_role(config.model_copy(update={"mqtt": config.mqtt.model_copy(update={"tls": False})}), "kiosk")
    words = _log_of(caplog, plain)
    assert "closed the connection before accepting it: if its listener uses TLS, set [mqtt] tls = true" in words
    caplog.clear()


def test_tls_to_a_plain_broker_and_a_missing_ca_are_sentences(broker, branch_toml, tmp_path, caplog):
    config = load_config(write_config_for(broker, branch_toml))
    secured = config.model_copy(update={"mqtt": config.mqtt.model_copy(update={"tls": True, "ca_file": broker.directory / "none.crt"})})
    with pytest.raises(BusError, match=r"tls is on but the CA certificate .*none.crt cannot be used.*broker setup"):
        BusClient.for_role(secured, "kiosk")
    _, ca, _ = make_self_signed(tmp_path / "ca", "127.0.0.1")
    speaking_tls = BusClient.for_role(config.model_copy(update={"mqtt": config.mqtt.model_copy(update={"tls": True, "ca_file": ca})}), "kiosk")
    assert "refused TLS: it hung up on the TLS handshake, so that port does not speak TLS" in _log_of(caplog, speaking_tls)


def spki_pin(certificate: Path) -> str:
    """What Chromium's --ignore-certificate-errors-spki-list takes: base64 SHA-256 of the key.

    It trusts exactly the branch's key, as a tablet that installed the branch CA would
    trust exactly the certificates that CA signed; nothing else is let through."""
    der = subprocess.run(
        ["openssl", "x509", "-in", str(certificate), "-pubkey", "-noout"], capture_output=True, text=True, check=True
    ).stdout
    key = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=der.encode(), capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(key).digest()).decode()


def test_the_journey_over_tls_ticket_vip_alert_and_call(tls_broker, tls_toml, tmp_path, branch_config, artifacts_root):
    """Only `tls = true` set: the agent, a kiosk, the manager's tablet and the teller's
    console in Chromium over https and wss, end to end."""
    from playwright.sync_api import expect, sync_playwright

    config = load_config(tls_toml)
    agent = AgentProcess(tls_toml)
    agent.start()
    kiosk_bus = BusClient.for_role(config, "kiosk", "kiosk-1")  # how the kiosk connects (kiosk/agent_link.py)
    kiosk_bus.start()
    try:
        assert kiosk_bus.wait_connected(15)
        kiosk = Requester(kiosk_bus)
        card = import_customer(tls_toml, tmp_path, branch_config, PAN, "王先生,vip,李经理")
        pin = spki_pin(tls_broker.directory / "tls" / "server.crt")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={pin}"]
            )
            base = f"https://127.0.0.1:{config.web.port}"
            tablet = chromium.new_page(viewport=TABLET)
            tablet_errors = PageErrors(tablet)
            deadline = time.monotonic() + 20
            while True:  # the agent serves the pages once it has started
                try:
                    tablet.goto(f"{base}/manager/")
                    break
                except Exception:
                    assert time.monotonic() < deadline, agent.log()
                    time.sleep(0.3)
            sign_in(tablet, tls_broker.credentials["manager"])
            tablet.wait_for_selector("#conn[data-state=connected]", timeout=15000)

            answer = kiosk.request("ticket", {"service": "wealth", "card": card, "kiosk": "kiosk-1", "lang": "zh"}, timeout=10)
            assert answer["status"] == "ok" and answer["data"]["customer"]["manager_alerted"] is True
            tablet.wait_for_selector("article.alert", timeout=5000)
            assert text(tablet, "article.alert .alert-name") == "王先生"
            tablet.click("article.alert [data-outcome=greeted]")
            tablet.wait_for_selector("article.alert .result-ok", timeout=5000)

            console = chromium.new_page(viewport=COUNTER_SCREEN)
            console_errors = PageErrors(console)
            console.goto(f"{base}/teller/")
            sign_in(console, tls_broker.credentials["teller"])
            console.wait_for_selector("#conn[data-state=connected]", timeout=15000)
            console.select_option("#counter", "6")  # the Premier room serves wealth
            console.keyboard.press("o")
            console.wait_for_selector("#counter-state.is-open", timeout=5000)
            console.keyboard.press("n")
            expect(console.locator("#number")).to_contain_text("V001", timeout=5000)
            console.screenshot(path=str(artifacts_root / "teller-over-tls.png"))
            tablet.screenshot(path=str(artifacts_root / "manager-over-tls.png"))
            assert tablet.url.startswith("https://")
            assert tablet_errors.errors == [] and console_errors.errors == []
            chromium.close()
        assert "refused TLS" not in agent.log() and "closed the connection before accepting it" not in agent.log()
        assert agent.alive()
    finally:
        kiosk_bus.stop()
        agent.stop()


def test_the_generated_ca_and_certificate_verify_with_the_standard_library(tls_broker):
    """The pair `broker setup` makes is a real chain: Python's own verifier accepts it for 127.0.0.1."""
    context = ssl.create_default_context(cafile=str(tls_broker.directory / "tls" / "ca.crt"))
    import socket

    with socket.create_connection(("127.0.0.1", tls_broker.config.mqtt.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as secured:
            assert secured.version() in ("TLSv1.2", "TLSv1.3")
