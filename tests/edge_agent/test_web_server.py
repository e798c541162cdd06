"""The page server on its own: what it serves, how, and what it refuses (no browser needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.web import server
from edge_agent.web.server import WebServerError, resolve_static, start_web_server
from tests.edge_agent.web_client import fetch


@pytest.fixture
def pages(branch_config):
    web = start_web_server(branch_config, port=0, bind="127.0.0.1")
    yield web
    web.stop()




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


@pytest.mark.parametrize(("method", "path", "headers", "status"), [
    ("GET", "/no-such-page", {}, 404),
    ("GET", "/manager", {}, 301),
    ("DELETE", "/manager/", {}, 501),
    ("GET", "/shared/lobby.css", None, 304),  # None: revalidate with the file's ETag
])
def test_every_answer_carries_the_security_headers(pages, method, path, headers, status):
    if headers is None:
        headers = {"If-None-Match": fetch(pages, path)[1]["etag"]}
    got, answer, _ = fetch(pages, path, method=method, headers=headers)
    assert got == status
    assert answer["x-content-type-options"] == "nosniff" and answer["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer["content-security-policy"] and answer["referrer-policy"] == "no-referrer"


def _leave_mid_download(port: int) -> None:
    """Ask for the largest file, read almost nothing, and hang up hard (RST), as a tablet
    walking out of Wi-Fi does; a tiny receive window makes the server's send block first."""
    import socket
    import struct

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /vendor/mqtt.min.js HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.recv(512)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_a_client_that_leaves_mid_download_is_one_quiet_line(pages, caplog):
    import logging
    import time

    with caplog.at_level(logging.DEBUG, logger="edge_agent.web.server"):
        # Most sends fail; some fit into the kernel's buffers before the reset and count as sent
        # (more of them on a loaded machine): clients keep leaving until five departures are
        # seen, or 200 have left.
        for _ in range(10):
            for _ in range(20):
                _leave_mid_download(pages.port)
            time.sleep(1.5)  # the handlers notice as their writes fail
            if pages._httpd.departures >= 5:
                break
    assert pages._httpd.departures >= 5, pages._httpd.departures
    lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) == 1 and "went away before its answer was sent" in lines[0].getMessage(), [r.getMessage() for r in lines]
    assert not any(r.exc_info for r in caplog.records)  # no traceback, at any level
    assert fetch(pages, "/manager/")[0] == 200


