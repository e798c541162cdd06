"""`head-office ingest`: the branches' stream into PostgreSQL, as one of any number of ingesters.

Every ingester subscribes with MQTT 5 shared subscriptions (`$share/<group>/lobby/v1/+/...`),
so the broker hands each message to one of them: adding a process adds capacity. A message
is acknowledged to the broker only after its transaction committed. Its session outlives it
(`clean_start` off, `session_expiry_s`): an ingester killed mid-stream comes back under the
same client id (systemd restarts it) and the broker sends it again whatever it had not
acknowledged; the event table drops what had in fact been committed (`event_ids`). When
PostgreSQL is unreachable the ingester stops taking messages (it disconnects, leaving them
unacknowledged at the broker), waits for the database, and takes them again.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from psycopg_pool import ConnectionPool, PoolTimeout

from head_office.config import HeadOfficeConfig, HeadOfficeConfigError
from head_office.routing import Ignored, route
from head_office.schema import migrate
from head_office.store import Writer

log = logging.getLogger(__name__)
# The pool reports every failed connection attempt, several lines each; the ingester says
# once, in a sentence, that the database went away and once that it is back.
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)

TOPICS = ("events/+", "alerts/+", "agent/state", "queue/state", "devices/+/state", "bridge/state")
DB_RETRY_S = 1.0


class Ingester:
    def __init__(self, config: HeadOfficeConfig, instance: str):
        self.config = config
        if config.broker is None:
            raise HeadOfficeConfigError("head-office ingest needs a [broker] section: where the branches' stream comes from")
        self.broker = broker = config.broker
        self.client_id = f"{broker.username}.{instance}"
        self.writer = Writer(self.client_id)
        self.pool = ConnectionPool(
            config.database.conninfo, min_size=1, max_size=config.database.pool_max, open=False,
            kwargs={"autocommit": True, "connect_timeout": int(config.database.connect_timeout_s)},
            check=ConnectionPool.check_connection, name=self.client_id,
        )
        self.stopping = threading.Event()
        self.counts: Counter[str] = Counter()  # written, duplicate, ignored
        self._db_down = threading.Event()
        self._ignored_reasons: set[str] = set()
        self._broker_said = False
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5, manual_ack=True,
        )
        self.client.username_pw_set(broker.username, broker.password_file.read_text(encoding="utf-8").strip())
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    # ---- running -------------------------------------------------------------------------

    def run(self) -> None:
        """Until stop(): the database first, then the broker; again after either goes away."""
        self.pool.open(wait=False)
        try:
            while not self.stopping.is_set():
                if not self._wait_for_database():
                    break
                self._db_down.clear()
                self._connect_and_serve()
        finally:
            self.pool.close()

    def stop(self) -> None:
        self.stopping.set()
        self.client.disconnect()

    def _wait_for_database(self) -> bool:
        said = False
        while not self.stopping.is_set():
            try:
                with self.pool.connection(timeout=self.config.database.connect_timeout_s) as conn:
                    migrate(conn)
                if said:
                    log.info("PostgreSQL is reachable again; taking messages")
                return True
            except (psycopg.OperationalError, PoolTimeout) as problem:
                if not said:
                    log.warning("PostgreSQL is unreachable (%s); messages wait at the broker until it is back", _first_line(problem))
                    said = True
                self.stopping.wait(DB_RETRY_S)
        return False

    def _connect_and_serve(self) -> None:
        broker = self.broker
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = broker.session_expiry_s
        try:
            self.client.connect(broker.host, broker.port, keepalive=broker.keepalive_s, clean_start=False, properties=properties)
        except OSError as problem:
            if not self._broker_said:  # once per outage, not once a second
                log.warning("the head-office broker %s:%d is unreachable (%s); trying again", broker.host, broker.port, problem)
                self._broker_said = True
            self.stopping.wait(DB_RETRY_S)
            return
        # Returns on disconnect(): ours (stop, or the database went away); paho reconnects by itself otherwise.
        self.client.loop_forever(retry_first_connection=True)

    # ---- the broker's callbacks -------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("the head-office broker refused ingester %s: %s", self.client_id, reason_code)
            return
        self._broker_said = False
        group = self.broker.share_group
        client.subscribe([(f"$share/{group}/lobby/v1/+/{topic}", 1) for topic in TOPICS])
        log.info("ingester %s connected (session %s)", self.client_id, "resumed" if flags.session_present else "new")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if not self.stopping.is_set() and not self._db_down.is_set():
            log.warning("ingester %s lost the broker (%s); reconnecting", self.client_id, reason_code)

    def _on_message(self, client, userdata, message) -> None:
        if self._db_down.is_set():
            return  # left unacknowledged: the broker sends it again after we reconnect
        record = route(message.topic, message.payload, datetime.now(UTC))
        if isinstance(record, Ignored):
            self.counts["ignored"] += 1
            if record.reason not in self._ignored_reasons:  # once per kind of problem, not per message
                self._ignored_reasons.add(record.reason)
                log.info("ignored: %s", record.reason)
            client.ack(message.mid, message.qos)
            return
        try:
            with self.pool.connection(timeout=self.config.database.connect_timeout_s) as conn:
                new = self.writer.write(conn, record)
        except (psycopg.OperationalError, PoolTimeout) as problem:
            log.warning("PostgreSQL went away while writing (%s); stopping intake until it is back", _first_line(problem))
            self._db_down.set()
            client.disconnect()
            return
        except psycopg.DataError as problem:
            # A payload PostgreSQL can never store (e.g. a NUL in a string): kept back it would
            # come back for ever and hold up everything behind it. Said, then let go.
            log.error("could not keep %s from %s (%s): dropped", message.topic, record.branch, _first_line(problem))
            self.counts["refused"] += 1
            client.ack(message.mid, message.qos)
            return
        self.counts["written" if new else "duplicate"] += 1
        client.ack(message.mid, message.qos)


def _first_line(problem: BaseException) -> str:
    return (str(problem).strip().splitlines() or [type(problem).__name__])[0]
