"""The branch's web pages (`/manager/`, `/teller/`, `/display/`, `/rm/`, `/rate/`), served by the agent.

A small strict static server on the stdlib's ThreadingHTTPServer. The pages are plain
HTML, CSS and JavaScript modules with no build step; the browser's MQTT client (mqtt.js,
pinned in package.json and installed from the npm registry) is served from node_modules.
`/config.json` tells a page where the broker's websockets listener is and what the branch
looks like: services, counters, tiers. It never carries a credential.

Why not Mosquitto's own `http_dir`: tried on Debian's Mosquitto 2.0.11, it serves files
without any Content-Type or cache header (so `nosniff` cannot be used and a page's charset
depends on its <meta>), it cannot answer /config.json from branch.toml, and the pages and
mqtt.js would have to be copied into the broker's folder on every change.

Strict by design: GET and HEAD only, a fixed set of file types, nothing outside the static
folder or through a symlink, no directory listings, `..` refused before any file is looked
at. Over TLS with the broker's certificate when `[mqtt] tls` is on, so a tablet trusts one
certificate for the page and its wss:// connection.

One file because the server's strictness (methods, types, paths, headers) is one policy to read at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from edge_agent import __version__
from edge_agent.rules.ratings import SCALES
from lobby.config import BranchConfig
from lobby.contract import topic_root

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
PAGES = ("manager", "teller", "display", "rm", "rate")
# mqtt.js: the repository's node_modules (development, `make`), or where scripts/install.sh copies it.
MQTT_JS_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "node_modules" / "mqtt" / "dist" / "mqtt.min.js",
    Path("/opt/lobby/node_modules/mqtt/dist/mqtt.min.js"),
)
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
}
# The pages talk to the broker's websockets port, which is another origin: ws:/wss: are allowed.
# mqtt.js runs its keep-alive timers in a blob: worker, so a tab in the background keeps its link.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; worker-src blob:; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


# On every response, errors and redirects included: a 404 page is a page too.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
)
# A branch has a few tablets, consoles and TVs, each loading a page's files 6 at a time.
MAX_CONNECTIONS = 64
# From accepting a connection to the end of its request's headers (TLS handshake included):
# a client that trickles its request a byte at a time cannot hold a thread past this.
HEADER_DEADLINE_S = 10.0
# Clients that leave mid-download: one line each, at most this often.
DEPARTURES_LOGGED_EVERY_S = 60.0


class WebServerError(Exception):
    """The pages cannot be served; the message says what a technician should do."""


def page_config(config: BranchConfig) -> dict:
    """What a page needs to know about the branch: never a password, never a token."""
    return {
        "version": __version__,
        "branch": {"id": config.branch.id, "name": config.branch.name, "name_en": config.branch.name_en or config.branch.name,
                   "timezone": config.branch.timezone},
        "root": topic_root(config.branch.id),
        "ws_port": config.mqtt.ws_port,
        "tls": config.mqtt.tls,
        "services": [
            {"id": s.id, "prefix": s.prefix, "name_zh": s.name_zh, "name_en": s.name_en, "target_wait_s": round(s.target_wait_min * 60)}
            for s in config.services
        ],
        "counters": [
            {"id": c.id, "name_zh": c.name_zh or f"{c.id}号窗口", "name_en": c.name_en or f"Counter {c.id}", "services": c.services}
            for c in config.counters
        ],
        "tiers": {tier.value: {"name_zh": rule.name_zh, "name_en": rule.name_en, "alert": rule.alert} for tier, rule in config.tiers.items()},
        # The manuals' recognition signs, for the teller's refer checklist and the RM's form.
        "triggers": [{"code": t.code, "name_zh": t.zh, "name_en": t.en} for t in config.referrals.triggers],
        "referral_accept_target_s": round(config.referrals.accept_target_min * 60),
        # The rating screen's scale and reasons, and the complaint categories.
        "ratings": {
            "enabled": config.ratings.enabled, "scale": config.ratings.scale, "low_score": config.ratings.low_score,
            "labels": {str(score): list(words) for score, words in SCALES[config.ratings.scale].items()},
            "reasons": [{"code": r.code, "name_zh": r.zh, "name_en": r.en} for r in config.ratings.reasons],
        },
        "complaint_categories": [{"code": c.code, "name_zh": c.zh, "name_en": c.en} for c in config.complaints.categories],
    }


def find_mqtt_js() -> Path | None:
    return next((path for path in MQTT_JS_CANDIDATES if path.is_file()), None)


@dataclass(frozen=True)
class _Asset:
    body: bytes
    content_type: str
    etag: str


class _AssetCache:
    """File bodies and their ETags, re-read when the file changes (pages update without a restart)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Path, tuple[tuple[int, int], _Asset]] = {}

    def get(self, path: Path) -> _Asset:
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._entries.get(path)
            if cached and cached[0] == key:
                return cached[1]
        body = path.read_bytes()
        asset = _Asset(body, CONTENT_TYPES[path.suffix], '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        with self._lock:
            self._entries[path] = (key, asset)
        return asset


def resolve_static(url_path: str) -> Path | None:
    """The file a URL path names inside STATIC, or None (apart from the handler, to be tested on its own)."""
    path = unquote(url_path)
    if "\x00" in path or "\\" in path or not path.startswith("/"):
        return None
    parts = path.split("/")[1:]
    if any(part.startswith(".") for part in parts):  # "..", "." and hidden files alike
        return None
    if path.endswith("/"):
        # Only the three pages have an index; /shared/ and the rest list nothing.
        if len(parts) != 2 or parts[0] not in PAGES:
            return None
        parts = [parts[0], "index.html"]
    target = STATIC.joinpath(*parts)
    if target.suffix not in CONTENT_TYPES or target.is_symlink() or not target.is_file():
        return None
    if not target.resolve().is_relative_to(STATIC):
        return None
    return target


class PageHandler(BaseHTTPRequestHandler):
    server_version = "LobbyKiosk/" + __version__
    sys_version = ""
    timeout = 20  # a client that opens a connection and says nothing does not hold a thread for ever
    # Set by WebServer through a subclass: the serialised /config.json and the shared cache.
    config_json: bytes = b"{}"
    assets: _AssetCache

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: object) -> None:
        log.info("web request from %s: %s", self.address_string(), format % args)

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS:
            self.send_header(name, value)
        super().end_headers()

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        self.server.deadlines.met(self.connection)  # type: ignore[attr-defined]
        return parsed

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            return self._redirect("/display/")
        if path.strip("/") in PAGES and not path.endswith("/"):
            return self._redirect(path.rstrip("/") + "/")
        if path == "/config.json":
            return self._send(self.config_json, CONTENT_TYPES[".json"], head, cache="no-store")
        if path == "/vendor/mqtt.min.js":
            found = find_mqtt_js()
            if found is None:
                log.error("mqtt.min.js is missing, so the pages cannot reach the broker: run `npm ci` in the source folder (make does it)")
                return self.send_error(HTTPStatus.NOT_FOUND, "The MQTT client for the pages is not installed")
            return self._send_asset(self.assets.get(found), head)
        target = resolve_static(path)
        if target is None:
            return self.send_error(HTTPStatus.NOT_FOUND, "No such page")
        self._send_asset(self.assets.get(target), head)

    def _send_asset(self, asset: _Asset, head: bool) -> None:
        # no-cache = revalidate every time (a cheap 304 on the LAN): an upgrade reaches every tablet at once.
        if self.headers.get("If-None-Match") == asset.etag:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", asset.etag)
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            return
        self._send(asset.body, asset.content_type, head, cache="no-cache", etag=asset.etag)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, body: bytes, content_type: str, head: bool, cache: str, etag: str | None = None) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        if not head:
            self.wfile.write(body)


class _HeaderDeadlines:
    """Connections still owing their request's headers, and until when. One thread looks
    twice a second and shuts the late ones, which ends their blocked read at once (a
    socket timeout would not: it restarts with every byte a trickling client sends)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._lock = threading.Lock()
        self._due: dict[socket.socket, float] = {}
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="web-header-deadlines", daemon=True)
        self._thread.start()

    def start(self, connection: socket.socket) -> None:
        with self._lock:
            self._due[connection] = time.monotonic() + self.seconds

    def met(self, connection: socket.socket) -> None:
        with self._lock:
            self._due.pop(connection, None)

    def moved(self, old: socket.socket, new: socket.socket) -> None:
        """The same connection, now behind TLS: the same deadline."""
        with self._lock:
            due = self._due.pop(old, None)
            if due is not None:
                self._due[new] = due

    def stop(self) -> None:
        self._stopped.set()

    def _watch(self) -> None:
        while not self._stopped.wait(0.5):
            now = time.monotonic()
            with self._lock:
                late = [conn for conn, due in self._due.items() if due <= now]
                for conn in late:
                    del self._due[conn]
            for conn in late:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already gone


class _PageServer(ThreadingHTTPServer):
    daemon_threads = True
    tls: ssl.SSLContext | None = None
    max_connections = MAX_CONNECTIONS
    request_queue_size = 128  # the stdlib's 5 makes a burst of tablets wait on SYN retries

    def __init__(self, address, handler) -> None:
        self.deadlines = _HeaderDeadlines(HEADER_DEADLINE_S)  # first: a failed bind closes the server
        super().__init__(address, handler)
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self._turned_away_logged_at = self._departures_logged_at = float("-inf")
        self.departures = self.turned_away = 0

    def process_request(self, request, client_address) -> None:
        # A thread per connection, but never more than max_connections of them.
        if not self._slots.acquire(blocking=False):
            self.turned_away += 1
            now = time.monotonic()
            if now - self._turned_away_logged_at >= DEPARTURES_LOGGED_EVERY_S:
                self._turned_away_logged_at = now
                log.warning("the pages' server already has %d connections open: turning new ones away (%d so far)",
                            self.max_connections, self.turned_away)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.deadlines.met(request)
            self._slots.release()

    def server_close(self) -> None:
        self.deadlines.stop()
        super().server_close()

    def finish_request(self, request, client_address) -> None:
        self.deadlines.start(request)
        # The TLS handshake happens here, in the request's own thread: a slow or hostile
        # client must not stall the loop that accepts everyone else.
        if self.tls is not None:
            request.settimeout(PageHandler.timeout)
            try:
                wrapped = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.debug("TLS handshake with %s failed: %s", client_address[0], exc)
                return
            self.deadlines.moved(request, wrapped)
            request = wrapped
        try:
            super().finish_request(request, client_address)
        finally:
            self.deadlines.met(request)

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError | ssl.SSLError):
            # A tablet that walked out of Wi-Fi mid-download: nothing to fix, so one quiet line.
            self.departures += 1
            now = time.monotonic()
            if now - self._departures_logged_at >= DEPARTURES_LOGGED_EVERY_S:
                self._departures_logged_at = now
                log.info("a page client at %s went away before its answer was sent (%s; %d so far)",
                         client_address[0], type(error).__name__, self.departures)
            return
        log.exception("web request from %s failed", client_address[0])


def tls_context(config: BranchConfig) -> ssl.SSLContext:
    """The broker's certificate: the one named in branch.toml, or the one `broker setup` made."""
    cert = config.mqtt.cert_file or config.mqtt.generated_tls_dir / "server.crt"
    key = config.mqtt.key_file or config.mqtt.generated_tls_dir / "server.key"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except FileNotFoundError:
        raise WebServerError(
            f"[mqtt] tls is on but the certificate {cert} or its key {key} does not exist: "
            "run `edge-agent broker setup` or set cert_file and key_file under [mqtt]"
        ) from None
    except PermissionError:
        raise WebServerError(
            f"[mqtt] tls is on but this user ({os.getuid()}) cannot read {key}: let the agent's user read the broker's key "
            "(for example group-readable by a group both services share)"
        ) from None
    except ssl.SSLError as exc:
        raise WebServerError(f"the certificate {cert} and key {key} do not make a usable pair: {exc.reason or exc}") from None
    return context


class WebServer:
    """The page server: binds (and loads the TLS certificate) when made, serves from start()."""

    def __init__(self, config: BranchConfig, port: int | None = None, bind: str = "0.0.0.0"):
        port = config.web.port if port is None else port
        handler = type("BranchPageHandler", (PageHandler,), {
            "config_json": json.dumps(page_config(config), ensure_ascii=False).encode(),
            "assets": _AssetCache(),
        })
        try:
            self._httpd = _PageServer((bind, port), handler)
        except OSError as exc:
            raise WebServerError(f"cannot serve the pages on port {port}: {exc.strerror}; change [web] port in branch.toml") from None
        if config.mqtt.tls:
            try:
                self._httpd.tls = tls_context(config)
            except WebServerError:
                self._httpd.server_close()
                raise
        self.port: int = self._httpd.server_address[1]
        self.scheme = "https" if config.mqtt.tls else "http"
        # A short poll keeps stop() quick when the agent shuts down.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="web-pages", daemon=True)

    def start(self) -> WebServer:
        self._thread.start()
        if find_mqtt_js() is None:
            log.error("mqtt.min.js is not installed: the pages will load but cannot reach the broker (run `npm ci`)")
        log.info("pages at %s://%s:%d/manager/, /teller/ and /display/", self.scheme, socket.gethostname(), self.port)
        return self

    def url(self, page: str = "", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}/{page + '/' if page else ''}"

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(5)
        self._httpd.server_close()


def start_web_server(config: BranchConfig, *, port: int | None = None, bind: str = "0.0.0.0") -> WebServer:
    """Serve the pages on `[web] port` (or `port`; 0 = any free one) in a daemon thread.

    Raises WebServerError, with a sentence for the technician, when the port is taken or the
    TLS certificate cannot be read. The caller keeps the handle and calls stop() at exit.
    """
    return WebServer(config, port, bind).start()
