"""The branch's web pages (`/manager/`, `/teller/`, `/display/`), served by the agent.

A deliberately small static server (the stdlib's ThreadingHTTPServer): the pages are
plain HTML, CSS and JavaScript with no build step; the browser MQTT client (mqtt.js,
pinned in package.json, installed from the npm registry by `make`) is served from
node_modules. `/config.json` tells a page where the broker's websockets listener is and
what the branch looks like — never a credential. Over TLS when `[mqtt] tls` is on.
No directory listings, nothing outside the static folders, GET and HEAD only.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import ssl
import threading
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from edge_agent.config import BranchConfig
from edge_agent.contract import topic_root

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
REPO = Path(__file__).resolve().parents[2]
MQTT_JS_CANDIDATES = (REPO / "node_modules" / "mqtt" / "dist" / "mqtt.min.js", Path("/opt/lobby/node_modules/mqtt/dist/mqtt.min.js"))
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png", ".wav": "audio/wav"}


def page_config(config: BranchConfig) -> dict:
    return {
        "branch": {"id": config.branch.id, "name": config.branch.name, "name_en": config.branch.name_en},
        "root": topic_root(config.branch.id),
        "ws_port": config.mqtt.ws_port,
        "tls": config.mqtt.tls,
        "services": [
            {"id": s.id, "prefix": s.prefix, "name_zh": s.name_zh, "name_en": s.name_en, "target_wait_s": round(s.target_wait_min * 60)}
            for s in config.services
        ],
        "counters": [{"id": c.id, "name_zh": c.name_zh or f"{c.id}号窗口", "name_en": c.name_en or f"Counter {c.id}", "services": c.services} for c in config.counters],
        "tiers": {t.value: {"name_zh": r.name_zh, "name_en": r.name_en} for t, r in config.tiers.items()},
    }


class PageHandler(BaseHTTPRequestHandler):
    server_version = "LobbyKiosk"
    sys_version = ""

    def __init__(self, *args, config_json: bytes, **kwargs):
        self.config_json = config_json
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: object) -> None:  # requests are not news; errors are
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == "/":
            return self._redirect("/display/")
        if path in ("/manager", "/teller", "/display"):
            return self._redirect(path + "/")
        if path == "/config.json":
            return self._send(self.config_json, "application/json", head, cache=False)
        if path == "/vendor/mqtt.min.js":
            found = next((p for p in MQTT_JS_CANDIDATES if p.exists()), None)
            if found is None:
                log.error("mqtt.min.js is missing: run `make` (npm ci) so the pages can reach the broker")
                return self.send_error(HTTPStatus.NOT_FOUND, "mqtt.js is not installed")
            return self._send(found.read_bytes(), TYPES[".js"], head)
        target = (STATIC / path.lstrip("/")).resolve()
        if path.endswith("/"):
            target = target / "index.html"
        if not target.is_relative_to(STATIC) or not target.is_file() or target.suffix not in TYPES:
            return self.send_error(HTTPStatus.NOT_FOUND, "no such page")
        self._send(target.read_bytes(), TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0], head, cache=False)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, body: bytes, content_type: str, head: bool, cache: bool = True) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "public, max-age=86400" if cache else "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if not head:
            self.wfile.write(body)


class WebServer:
    def __init__(self, config: BranchConfig, port: int | None = None, bind: str = "0.0.0.0"):
        handler = partial(PageHandler, config_json=json.dumps(page_config(config), ensure_ascii=False).encode())
        self.httpd = ThreadingHTTPServer((bind, port if port is not None else config.web.port), handler)
        self.httpd.daemon_threads = True
        if config.mqtt.tls and config.mqtt.cert_file and config.mqtt.key_file:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(config.mqtt.cert_file, config.mqtt.key_file)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="web", daemon=True)

    def start(self) -> "WebServer":
        self._thread.start()
        log.info("pages at http://<this box>:%d/manager/, /teller/ and /display/", self.port)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
