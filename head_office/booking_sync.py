"""`head-office sync`: each branch gets its bookings over the bridge, and says what it holds.

Every `[bookings] sync_interval_s`, for every branch holding less than its bookings' newest
version, head office publishes `lobby/v1/<branch>/request/appointments_sync` with every
booking from today on, asking for the answer on `response/hq/sync/appointments_sync` (the
branch's bridge carries `response/hq/#` back). The branch's answer says which version it
holds; until it does, the request is sent again at the next round. The request expires at
the broker after a few rounds, so a branch cut off for a day finds a few copies waiting,
not thousands, and applies the first (the sync is idempotent).
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import ValidationError

from head_office.bookings import BookingDesk
from head_office.config import HeadOfficeConfig, HeadOfficeConfigError
from head_office.db.schema import migrate
from head_office.problems import first_line
from lobby.contract import CONTRACT_ROOT, AppointmentsSyncAnswer, AppointmentsSyncRequest, Response, topic_root

log = logging.getLogger(__name__)

ANSWERS = "response/hq/sync/"
EXPIRY_ROUNDS = 6  # a request waits at the broker for this many rounds, at least a minute


class BookingSync:
    def __init__(self, config: HeadOfficeConfig, instance: str):
        if config.broker is None:
            raise HeadOfficeConfigError("head-office sync needs a [broker] section: where the branches' bridges are")
        self.config = config
        self.broker = broker = config.broker
        self.desk = BookingDesk(config.bookings, config.web.zone)
        self.stopping = threading.Event()
        self.client_id = f"{broker.username}.sync-{instance}"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(broker.username, broker.password_file.read_text(encoding="utf-8").strip())
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 30)
        self._answers: list[tuple[str, Response]] = []
        self._lock = threading.Lock()
        self.sent = 0

    def run(self) -> None:
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=self.broker.keepalive_s)
        self.client.loop_start()
        conn: psycopg.Connection | None = None
        try:
            while not self.stopping.is_set():
                try:
                    if conn is None or conn.closed:
                        conn = psycopg.connect(self.config.database.conninfo, autocommit=True,
                                               connect_timeout=int(self.config.database.connect_timeout_s))
                        migrate(conn)
                    self.round(conn)
                except psycopg.OperationalError as problem:
                    log.warning("PostgreSQL is unreachable (%s); bookings wait for the next round", first_line(problem))
                    conn = None
                self.stopping.wait(self.config.bookings.sync_interval_s)
        finally:
            if conn is not None:
                conn.close()
            self.client.loop_stop()
            self.client.disconnect()

    def stop(self) -> None:
        self.stopping.set()

    def round(self, conn: psycopg.Connection) -> None:
        """Record the answers that came in, then send each branch that is behind its bookings."""
        with self._lock:
            answers, self._answers = self._answers, []
        now = datetime.now(UTC)
        for branch, answer in answers:
            if answer.status == "ok" and answer.data is not None:
                self.desk.held(conn, branch, AppointmentsSyncAnswer.model_validate(answer.data).version, now)
            else:
                log.error("branch %s refused its bookings: %s (%s)", branch, answer.error, answer.code)
        if not self.client.is_connected():
            return
        for branch, _ in self.desk.behind(conn):
            version, bookings = self.desk.for_branch(conn, branch, now)
            request = AppointmentsSyncRequest(
                transaction=f"sync-{version}-{uuid.uuid4().hex[:8]}", version=version, booking_key=self.desk.signer.public_key,
                bookings=bookings,
            )
            properties = Properties(PacketTypes.PUBLISH)
            properties.ResponseTopic = f"{topic_root(branch)}{ANSWERS}appointments_sync"
            properties.MessageExpiryInterval = max(60, int(EXPIRY_ROUNDS * self.config.bookings.sync_interval_s))
            self.client.publish(f"{topic_root(branch)}request/appointments_sync", request.model_dump_json(), qos=1, properties=properties)
            self.sent += 1
            log.info("sent branch %s its %d bookings (version %d)", branch, len(bookings), version)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("the head-office broker refused %s: %s", self.client_id, reason_code)
            return
        client.subscribe(f"{CONTRACT_ROOT}+/{ANSWERS}appointments_sync", qos=1)
        log.info("booking sync %s connected", self.client_id)

    def _on_message(self, client, userdata, message) -> None:
        branch = message.topic.split("/")[2]
        try:
            answer = Response.model_validate_json(message.payload)
            if answer.status == "ok" and answer.data is not None:
                AppointmentsSyncAnswer.model_validate(answer.data)
        except ValidationError as exc:
            log.error("branch %s answered its bookings with something that is not the contract's answer: %s", branch, first_line(exc))
            return
        with self._lock:
            self._answers.append((branch, answer))
