"""The branch's one module that owns paho: connect, reconnect, resubscribe, last will, acknowledgements.

Everything at the branch (the agent, the kiosk, the tests' clients) talks to the bus through
`BusClient` with topics relative to the branch root, and never imports paho. Head office's
ingester and booking sync (head_office/ingest.py, booking_sync.py) use paho themselves: they
read every branch at once through shared subscriptions and acknowledge by hand only after
PostgreSQL committed, which a client bound to one branch's root does not do.
Reconnection is paho's own loop with exponential back-off (1 s doubling to 30 s); every
(re)connection resubscribes and runs the connection listeners (the agent republishes its
birth message there).

One file because paho lives here alone: splitting it would spread paho's threads over modules.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

if TYPE_CHECKING:
    from lobby.config import BranchConfig

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes], None]
AckHandler = Callable[[int, bool, str], None]


@dataclass(frozen=True)
class ReplyTo:
    """Where a request wants its answer (MQTT 5 response topic, relative to the branch root)
    and the correlation data to send back with it."""

    topic: str
    correlation: bytes | None


RequestHandler = Callable[[str, bytes, "ReplyTo | None"], None]
MAX_REPLY_TOPIC_CHARS = 200


def client_id_for(username: str, name: str | None = None) -> str:
    """A client id the branch broker accepts for this user (broker/client_ids.c): the user
    name, a dot and a name of the client's own (a random one if None)."""
    return f"{username}.{name or uuid.uuid4().hex[:12]}"


def answers_topic(client_id: str, op: str = "+") -> str:
    """The private topic where the agent answers this client's requests; only this client id
    may read it (the ACL's `response/%c/#`)."""
    return f"response/{client_id}/{op}"


class BusError(Exception):
    pass


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    @classmethod
    def for_role(cls, credentials_file: Path, role: str) -> Credentials:
        try:
            data = json.loads(Path(credentials_file).read_text())
            entry = data[role]
        except FileNotFoundError:
            raise BusError(
                f"no broker credentials at {credentials_file}: run `edge-agent broker setup --out DIR` "
                "and point [mqtt] credentials_file at DIR/credentials.json"
            ) from None
        except PermissionError:
            raise BusError(f"cannot read {credentials_file}: permission denied (it is readable by root only)") from None
        except OSError as exc:
            raise BusError(
                f"cannot read the broker credentials {credentials_file}: {exc.strerror}; "
                "point [mqtt] credentials_file at the credentials.json that `edge-agent broker setup` wrote"
            ) from None
        except (KeyError, TypeError, ValueError):
            raise BusError(f"{credentials_file} has no entry for role '{role}'; run `edge-agent broker setup` again") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("username"), str) or not isinstance(entry.get("password"), str):
            raise BusError(f"{credentials_file}: the entry for role '{role}' lacks a username or password; run `edge-agent broker setup` again")
        return cls(entry["username"], entry["password"])


@dataclass(frozen=True)
class _Subscription:
    handler: MessageHandler | RequestHandler
    qos: int
    retained: bool  # whether retained messages are wanted (state) or refused (requests)
    with_reply: bool = False  # the handler also gets where to answer (requests)

    def options(self) -> SubscribeOptions:
        return SubscribeOptions(qos=self.qos, retainHandling=0 if self.retained else 2)


def tls_words(error: OSError, ca_file: Path | None) -> str:
    """A failed TLS handshake, for the technician reading the log."""
    if isinstance(error, ConnectionResetError):  # Mosquitto's plain listener hangs up on a ClientHello
        return "it hung up on the TLS handshake, so that port does not speak TLS; " + _TURN_TLS_ON
    if isinstance(error, ssl.SSLCertVerificationError):
        return (f"its certificate is not trusted here ({error.verify_message}); this client trusts {ca_file}, "
                "which must be the CA that signed the broker's certificate (`edge-agent broker setup` makes both)")
    if getattr(error, "reason", None) == "WRONG_VERSION_NUMBER":
        return "that port does not speak TLS; " + _TURN_TLS_ON
    return str(getattr(error, "reason", None) or error)


_TURN_TLS_ON = "turn TLS on at the broker (re-run `edge-agent broker setup` with [mqtt] tls = true) or set tls = false here"


class BusClient:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        root: str,
        credentials: Credentials,
        client_id: str | None = None,
        transport: Literal["tcp", "websockets"] = "tcp",
        ca_file: Path | None = None,
        will: tuple[str, str] | None = None,
        clean_start: bool = True,
        session_expiry_s: int = 0,
    ):
        self.root = root
        self.host, self.port = host, port
        self._handlers: dict[str, _Subscription] = {}
        self._retained_refused: set[str] = set()
        self._connection_listeners: list[Callable[[bool], None]] = []
        self.on_ack: AckHandler | None = None
        self.connected = threading.Event()
        self._stopping = False
        self._clean_start = clean_start
        self._session_expiry_s = session_expiry_s
        self.client_id = client_id or client_id_for(credentials.username)
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            transport=transport,
        )
        self._client.username_pw_set(credentials.username, credentials.password)
        self.tls = ca_file is not None
        self.ca_file = ca_file
        if ca_file is not None:
            try:
                self._client.tls_set(ca_certs=str(ca_file), cert_reqs=ssl.CERT_REQUIRED)
            except (OSError, ssl.SSLError) as exc:
                raise BusError(
                    f"[mqtt] tls is on but the CA certificate {ca_file} cannot be used ({getattr(exc, 'strerror', None) or exc}): "
                    "run `edge-agent broker setup`, which makes the branch CA beside credentials.json, or set [mqtt] ca_file"
                ) from None
        if will is not None:
            self._client.will_set(self.topic(will[0]), will[1], qos=1, retain=True)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.max_inflight_messages_set(100)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish
        self._client.on_socket_open = self._on_socket_open
        self._client.on_connect_fail = self._on_connect_fail
        self._unreachable_logged = False

    @classmethod
    def for_role(cls, config: BranchConfig, role: str, name: str | None = None, **options: object) -> BusClient:
        """A client of this branch's broker as `role`, the way every part of the project
        connects: the role's generated user, a client id of that user's (`name` or random),
        and the branch CA whenever `[mqtt] tls` is on."""
        from lobby.contract import topic_root

        credentials = Credentials.for_role(config.mqtt.credentials_file, role)
        return cls(
            host=config.mqtt.host, port=config.mqtt.port, root=topic_root(config.branch.id), credentials=credentials,
            client_id=client_id_for(credentials.username, name), ca_file=config.mqtt.trusted_ca(), **options,  # type: ignore[arg-type]
        )

    def topic(self, relative: str) -> str:
        return self.root + relative

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; paho keeps reconnecting until stop()."""
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self._session_expiry_s
        self._client.connect_async(self.host, self.port, keepalive=15, clean_start=self._clean_start, properties=properties)
        self._client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        return self.connected.wait(timeout)

    def stop(self, last_words: tuple[str, str] | None = None, timeout: float = 3.0) -> None:
        """Publish `last_words` (retained, QoS 1) if connected, then disconnect cleanly."""
        self._stopping = True
        if last_words is not None and self.connected.is_set():
            info = self._client.publish(self.topic(last_words[0]), last_words[1], qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self._client.disconnect()
        self._client.loop_stop()

    def add_connection_listener(self, listener: Callable[[bool], None]) -> None:
        self._connection_listeners.append(listener)

    # ---- messages ----------------------------------------------------------------------

    def subscribe(self, relative: str, handler: MessageHandler, qos: int = 1, retained: bool = True) -> None:
        """`retained=False`: commands, not state. The broker is asked not to replay retained
        messages at subscribe time (MQTT 5 retain handling 2), and any that still arrive
        flagged retained are dropped with a log line, once per topic."""
        self._handlers[relative] = _Subscription(handler, qos, retained)
        if self.connected.is_set():
            self._client.subscribe(self.topic(relative), options=self._handlers[relative].options())

    def subscribe_requests(self, relative: str, handler: RequestHandler, qos: int = 1) -> None:
        """Requests: never retained, and the handler learns where the requester wants its
        answer (None when the request named no valid response topic under the branch root)."""
        self._handlers[relative] = _Subscription(handler, qos, retained=False, with_reply=True)
        if self.connected.is_set():
            self._client.subscribe(self.topic(relative), options=self._handlers[relative].options())

    def publish(
        self, relative: str, payload: str | bytes, qos: int = 1, retain: bool = False,
        reply_to: str | None = None, correlation: bytes | None = None, expiry_s: int | None = None,
    ) -> int:
        """Queue a message; returns paho's message id. Acknowledgements arrive at `on_ack`.
        `reply_to` (relative) and `correlation` go out as MQTT 5 request/response properties;
        `expiry_s`: the broker drops the message if it cannot deliver it within that time."""
        if "+" in relative or "#" in relative:
            raise ValueError(f"refusing to publish to a wildcard topic: {relative}")
        properties = None
        if reply_to is not None or correlation is not None or expiry_s is not None:
            properties = Properties(PacketTypes.PUBLISH)
            if expiry_s is not None:
                properties.MessageExpiryInterval = expiry_s
            if reply_to is not None:
                properties.ResponseTopic = self.topic(reply_to)
            if correlation is not None:
                properties.CorrelationData = correlation
        info = self._client.publish(self.topic(relative), payload, qos=qos, retain=retain, properties=properties)
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            raise BusError(f"could not queue a message for {relative}: {mqtt.error_string(info.rc)}")
        # NO_CONN: paho keeps QoS 1 messages and sends them after reconnecting.
        return info.mid

    # ---- paho callbacks (network thread) -------------------------------------------------

    def _on_socket_open(self, client: mqtt.Client, userdata: object, sock: object) -> None:
        # Small messages, latency matters: do not let Nagle hold them back.
        if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        # paho calls this from inside its `except OSError:` around the connection attempt,
        # and keeps the exception to itself: this is the one place it can still be read.
        error = sys.exc_info()[1]
        if self._unreachable_logged:  # once per outage, not every back-off step
            return
        self._unreachable_logged = True
        if isinstance(error, ssl.SSLError) or (self.tls and isinstance(error, ConnectionResetError)):
            log.error("the broker at %s:%s refused TLS: %s; retrying in the background", self.host, self.port, tls_words(error, self.ca_file))
        else:
            reason = f" ({error.strerror or error})" if isinstance(error, OSError) else ""
            log.warning("cannot reach the broker at %s:%s%s; retrying in the background (is mosquitto running?)", self.host, self.port, reason)

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object, reason: object, properties: object) -> None:
        self._unreachable_logged = False
        if getattr(reason, "is_failure", False):
            log.error("broker %s:%s refused the connection: %s (check the credentials file)", self.host, self.port, reason)
            self._unreachable_logged = True  # the disconnect that follows needs no second sentence
            return
        log.info("connected to broker %s:%s", self.host, self.port)
        for relative, subscription in list(self._handlers.items()):
            client.subscribe(self.topic(relative), options=subscription.options())
        self.connected.set()
        for listener in self._connection_listeners:
            listener(True)

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: object, reason: object, properties: object) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        if self._stopping:
            log.info("disconnected from broker %s:%s", self.host, self.port)
        elif not was_connected and not self._unreachable_logged:
            # The socket opened but the broker hung up before accepting us: most often plain
            # MQTT sent to a TLS listener (or the other way round).
            self._unreachable_logged = True
            log.error(
                "the broker at %s:%s closed the connection before accepting it: if its listener uses TLS, set [mqtt] tls = true "
                "here (this client is using %s); retrying in the background", self.host, self.port, "TLS" if self.tls else "plain MQTT",
            )
        elif was_connected:
            log.warning("lost the broker %s:%s (%s); reconnecting with back-off", self.host, self.port, reason)
            for listener in self._connection_listeners:
                listener(False)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        relative = message.topic.removeprefix(self.root)
        # A copy: another thread (a requester's first request on an op) or a handler itself
        # may subscribe meanwhile, and a dict that changes size under its iterator raises,
        # which here would end paho's network thread and with it every answer.
        for pattern, subscription in list(self._handlers.items()):
            if not mqtt.topic_matches_sub(pattern, relative):
                continue
            if message.retain and not subscription.retained:
                if relative not in self._retained_refused:
                    self._retained_refused.add(relative)
                    log.warning(
                        "ignoring a retained message on %s: requests must not be retained (a client published one "
                        "with the retain flag; clear it with an empty retained message)", relative,
                    )
                continue
            try:
                if subscription.with_reply:
                    subscription.handler(relative, message.payload, self._reply_to(message))  # type: ignore[call-arg]
                else:
                    subscription.handler(relative, message.payload)  # type: ignore[call-arg]
            except Exception:  # a handler bug must not kill paho's network thread
                log.exception("handler for %s failed", relative)

    def _reply_to(self, message: mqtt.MQTTMessage) -> ReplyTo | None:
        """The request's response topic, if it is one the agent may answer on: under this
        branch's `response/`, no wildcards, of a sane length."""
        properties = getattr(message, "properties", None)
        topic = getattr(properties, "ResponseTopic", None)
        if not isinstance(topic, str) or len(topic) > MAX_REPLY_TOPIC_CHARS or not topic.startswith(self.root + "response/"):
            return None
        if "+" in topic or "#" in topic or "\x00" in topic:
            return None
        correlation = getattr(properties, "CorrelationData", None)
        return ReplyTo(topic.removeprefix(self.root), bytes(correlation) if isinstance(correlation, bytes | bytearray) else None)

    def _on_publish(self, client: mqtt.Client, userdata: object, mid: int, reason: object, properties: object) -> None:
        if self.on_ack is None:
            return
        failed = getattr(reason, "is_failure", False)
        self.on_ack(mid, not failed, str(reason))
