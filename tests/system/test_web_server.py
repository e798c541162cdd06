"""The page server on its own: what it serves, how, and what it refuses (no browser needed)."""

from __future__ import annotations

import http.client
import json
import ssl

import pytest

from edge_agent.bus.broker_setup import setup_broker
from edge_agent.web import server
from edge_agent.web.server import start_web_server
from tests.edge_agent.web_client import fetch


def test_config_json_describes_the_branch_and_holds_no_secret(branch_config, tmp_path):
    credentials = setup_broker(branch_config, tmp_path / "broker")
    web = start_web_server(branch_config, port=0, bind="127.0.0.1")
    try:
        status, headers, body = fetch(web, "/config.json")
    finally:
        web.stop()
    assert status == 200 and headers["cache-control"] == "no-store"
    page = json.loads(body)
    assert page["branch"]["id"] == branch_config.branch.id and page["ws_port"] == branch_config.mqtt.ws_port
    assert page["tls"] is False and page["root"] == f"lobby/v1/{branch_config.branch.id}/"
    assert {s["id"]: s["target_wait_s"] for s in page["services"]}["cash"] == 15 * 60
    assert {c["id"]: c["name_en"] for c in page["counters"]}["6"] == "Premier room"
    text = body.decode()
    assert not any(c["password"] in text for c in credentials.values())
    assert "password" not in text and "token" not in text


def test_over_tls_with_the_certificate_broker_setup_made(branch_config, tmp_path):
    config = branch_config.model_copy(update={"mqtt": branch_config.mqtt.model_copy(
        update={"tls": True, "credentials_file": tmp_path / "broker" / "credentials.json"})})
    setup_broker(config, tmp_path / "broker")  # makes tls/ca.crt, server.crt, server.key
    web = start_web_server(config, port=0, bind="127.0.0.1")
    try:
        trust = ssl.create_default_context(cafile=str(tmp_path / "broker" / "tls" / "ca.crt"))
        connection = http.client.HTTPSConnection("localhost", web.port, context=trust, timeout=5)
        connection.request("GET", "/config.json")
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["tls"] is True
        connection.close()
        assert web.url("manager").startswith("https://")
        # A plain-http client gets nothing, and does not stop the server for the next one.
        plain = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
        with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
            plain.request("GET", "/manager/")
            plain.getresponse()
        connection = http.client.HTTPSConnection("localhost", web.port, context=trust, timeout=5)
        connection.request("GET", "/manager/")
        assert connection.getresponse().status == 200
    finally:
        web.stop()


def test_trickling_clients_cannot_hold_the_server(branch_config, monkeypatch, caplog):
    """250 sockets that send their request a byte at a time once held 250 threads for as
    long as they liked. Now: at most MAX_CONNECTIONS threads, each for HEADER_DEADLINE_S."""
    import logging
    import socket
    import threading
    import time

    monkeypatch.setattr(server._PageServer, "max_connections", 20)
    monkeypatch.setattr(server, "HEADER_DEADLINE_S", 1.5)
    web = start_web_server(branch_config, port=0, bind="127.0.0.1")
    threads_before = threading.active_count()
    tricklers = []
    try:
        with caplog.at_level(logging.INFO, logger="edge_agent.web.server"):
            for _ in range(250):
                sock = socket.create_connection(("127.0.0.1", web.port), timeout=5)
                sock.sendall(b"GET /manag")
                tricklers.append(sock)
            time.sleep(0.5)
            for sock in tricklers[:20]:
                try:
                    sock.sendall(b"e")  # still talking: a per-read timeout would never end them
                except OSError:
                    pass  # one the server had already turned away
            assert threading.active_count() <= threads_before + 20
            time.sleep(2.5)  # past the deadline: every held slot is free again
            assert fetch(web, "/manager/")[0] == 200
        for sock in tricklers:
            sock.settimeout(2)
            try:
                assert sock.recv(100) == b""  # closed by the server: the deadline, or turned away
            except ConnectionResetError:
                pass
        turned_away = [r.getMessage() for r in caplog.records if "turning new ones away" in r.getMessage()]
        assert len(turned_away) == 1, web._httpd.turned_away  # said once, not for each
        assert web._httpd.turned_away >= 200
    finally:
        for sock in tricklers:
            sock.close()
        web.stop()
