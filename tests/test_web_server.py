"""The page server on its own: what it serves, how, and what it refuses (no browser needed)."""

from __future__ import annotations

import http.client
import json
import ssl
from pathlib import Path

import pytest

from edge_agent.bus.broker_setup import setup_broker
from edge_agent.web import server
from edge_agent.web.server import WebServerError, resolve_static, start_web_server


@pytest.fixture
def pages(branch_config):
    web = start_web_server(branch_config, port=0, bind="127.0.0.1")
    yield web
    web.stop()


def fetch(web, path: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict, bytes]:
    """The exact path on the wire: http.client does not tidy `..` away as a browser would."""
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    connection.request(method, path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


@pytest.mark.parametrize(("path", "content_type"), [
    ("/manager/", "text/html; charset=utf-8"),
    ("/teller/", "text/html; charset=utf-8"),
    ("/display/", "text/html; charset=utf-8"),
    ("/shared/lobby.css", "text/css; charset=utf-8"),
    ("/shared/bus.js", "text/javascript; charset=utf-8"),
    ("/vendor/mqtt.min.js", "text/javascript; charset=utf-8"),
])
def test_pages_are_served_with_their_type_and_safe_headers(pages, path, content_type):
    status, headers, body = fetch(pages, path)
    assert status == 200 and body
    assert headers["content-type"] == content_type
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-cache" and headers["etag"]
    if content_type.startswith("text/html"):
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"


def test_unchanged_files_are_revalidated_not_downloaded_again(pages):
    _, headers, body = fetch(pages, "/vendor/mqtt.min.js")
    assert len(body) > 100_000  # the real browser bundle from node_modules, not a placeholder
    status, again, body = fetch(pages, "/vendor/mqtt.min.js", headers={"If-None-Match": headers["etag"]})
    assert status == 304 and body == b"" and again["etag"] == headers["etag"]


def test_head_answers_headers_only(pages):
    status, headers, body = fetch(pages, "/manager/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


def test_page_folders_redirect_to_their_index(pages):
    status, headers, _ = fetch(pages, "/manager")
    assert status == 301 and headers["location"] == "/manager/"
    assert fetch(pages, "/")[1]["location"] == "/display/"


@pytest.mark.parametrize("path", [
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/manager/../../server.py",
    "/manager/%2e%2e/%2e%2e/server.py",
    "/manager/..%2f..%2fserver.py",
    "/manager/..%5c..%5cserver.py",
    "//etc/passwd",
    "/manager/index.html%00.js",
    "/shared/",
    "/static/manager/index.html",
    "/web/server.py",
    "/manager/.hidden.js",
    "/nothing.html",
])
def test_nothing_outside_the_pages_and_no_listings(pages, path):
    status, _, body = fetch(pages, path)
    assert status == 404, path
    assert b"root:" not in body and b"import" not in body


def test_only_get_and_head(pages):
    assert fetch(pages, "/manager/", method="POST")[0] == 501
    assert fetch(pages, "/manager/", method="PUT")[0] == 501


def test_a_symlink_in_the_static_folder_is_not_followed(tmp_path, monkeypatch):
    static = tmp_path / "static"
    (static / "manager").mkdir(parents=True)
    (static / "manager" / "index.html").write_text("<p>page</p>")
    secret = tmp_path / "secret.js"
    secret.write_text("the key")
    (static / "manager" / "leak.js").symlink_to(secret)
    monkeypatch.setattr(server, "STATIC", static)
    assert resolve_static("/manager/") == static / "manager" / "index.html"
    assert resolve_static("/manager/leak.js") is None


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


def test_tls_without_a_certificate_is_a_sentence_for_the_technician(branch_config, tmp_path):
    config = branch_config.model_copy(update={"mqtt": branch_config.mqtt.model_copy(
        update={"tls": True, "credentials_file": tmp_path / "nowhere" / "credentials.json"})})
    with pytest.raises(WebServerError, match="broker setup"):
        start_web_server(config, port=0, bind="127.0.0.1")


def test_a_port_in_use_is_a_sentence_for_the_technician(pages, branch_config):
    with pytest.raises(WebServerError, match=r"\[web\] port"):
        start_web_server(branch_config, port=pages.port, bind="127.0.0.1")


def test_every_page_file_has_a_served_type():
    served = set(server.CONTENT_TYPES)
    files = [p for p in server.STATIC.rglob("*") if p.is_file()]
    assert files and all(p.suffix in served for p in files), [p.name for p in files if p.suffix not in served]
    assert all(resolve_static("/" + str(p.relative_to(server.STATIC))) == p for p in files if p.name != "index.html")
    assert all(Path(resolve_static(f"/{page}/")).name == "index.html" for page in server.PAGES)
