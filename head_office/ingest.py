"""`head-office ingest`: the branches' stream into PostgreSQL, as one of any number of ingesters.

Every ingester subscribes with MQTT 5 shared subscriptions (`$share/<group>/lobby/v1/+/...`),
so the broker hands each message to one of them: adding a process adds capacity. A message
is acknowledged to the broker only after its transaction committed. Its session outlives it
(`clean_start` off, `session_expiry_s`): an ingester killed mid-stream comes back under the
same client id (systemd restarts it) and the broker sends it again whatever it had not
acknowledged; the event table drops what had in fact been committed (`event_ids`). When
PostgreSQL is unreachable the ingester stops taking messages (it disconnects, leaving them
unacknowledged at the broker), waits for the database, and takes them again.

Two threads: paho's network thread routes each message and queues it; the writer thread
takes everything queued (up to BATCH_MAX), commits it in one transaction and only then
acknowledges each message, in the order they came. An idle branch's event is written alone
at once; a busy morning's arrive in batches, one commit for hundreds of events.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from psycopg_pool import ConnectionPool, PoolTimeout

from head_office.config import HeadOfficeConfig, HeadOfficeConfigError
from head_office.db.events import Writer
from head_office.db.schema import migrate
from head_office.problems import first_line
from head_office.routing import EventRecord, Ignored, StateRecord, route
from lobby.contract import CONTRACT_ROOT

log = logging.getLogger(__name__)
# The pool reports every failed connection attempt, several lines each; the ingester says
# once, in a sentence, that the database went away and once that it is back.
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)

TOPICS = ("events/+", "alerts/+", "agent/state", "queue/state", "devices/+/state", "bridge/state")
DB_RETRY_S = 1.0
BATCH_MAX = 500


@dataclass(frozen=True)
class Received:
    """A routed message waiting for its commit (`record` None: ignored, to be acknowledged only);
    `connection`: which broker connection it came on."""

    mid: int
    qos: int
    topic: str
    record: EventRecord | StateRecord | None
    connection: int


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
        self._received: queue.Queue[Received] = queue.Queue()
        self._connection = 0  # a message is acknowledged only on the connection it came on
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
        writer = threading.Thread(target=self._write_forever, name="ingest-writer", daemon=True)
        writer.start()
        try:
            while not self.stopping.is_set():
                if not self._wait_for_database():
                    break
                self._db_down.clear()
                self._connect_and_serve()
        finally:
            writer.join(5)
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
                    log.warning("PostgreSQL is unreachable (%s); messages wait at the broker until it is back", first_line(problem))
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
        self._connection += 1  # what was queued from the last connection is sent again by the broker
        if reason_code.is_failure:
            log.error("the head-office broker refused ingester %s: %s", self.client_id, reason_code)
            return
        self._broker_said = False
        group = self.broker.share_group
        client.subscribe([(f"$share/{group}/{CONTRACT_ROOT}+/{topic}", 1) for topic in TOPICS])
        log.info("ingester %s connected (session %s)", self.client_id, "resumed" if flags.session_present else "new")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if not self.stopping.is_set() and not self._db_down.is_set():
            log.warning("ingester %s lost the broker (%s); reconnecting", self.client_id, reason_code)

    def _on_message(self, client, userdata, message) -> None:
        if self._db_down.is_set():
            return  # left unacknowledged: the broker sends it again after we reconnect
        routed = route(message.topic, message.payload, datetime.now(UTC))
        record = None if isinstance(routed, Ignored) else routed
        if isinstance(routed, Ignored):
            self.counts["ignored"] += 1
            if routed.reason not in self._ignored_reasons:  # once per kind of problem, not per message
                self._ignored_reasons.add(routed.reason)
                log.info("ignored: %s", routed.reason)
        self._received.put(Received(message.mid, message.qos, message.topic, record, self._connection))

    # ---- the writer thread ------------------------------------------------------------------

    def _write_forever(self) -> None:
        while not self.stopping.is_set():
            try:
                batch = [self._received.get(timeout=0.2)]
            except queue.Empty:
                continue
            while len(batch) < BATCH_MAX:
                try:
                    batch.append(self._received.get_nowait())
                except queue.Empty:
                    break
            batch = [r for r in batch if r.connection == self._connection]  # the rest will come again
            if batch and not self._db_down.is_set():
                self._write(batch)

    def _write(self, batch: list[Received]) -> None:
        records = [r.record for r in batch if r.record is not None]
        refused = 0
        try:
            with self.pool.connection(timeout=self.config.database.connect_timeout_s) as conn:
                try:
                    new = self.writer.write_batch(conn, records) if records else 0
                except psycopg.DataError:
                    new, refused = self._write_one_by_one(conn, batch)
        except (psycopg.OperationalError, PoolTimeout) as problem:
            log.warning("PostgreSQL went away while writing (%s); stopping intake until it is back", first_line(problem))
            self._db_down.set()
            self.client.disconnect()
            return
        self.counts.update(written=new, duplicate=len(records) - new - refused, refused=refused)
        for received in batch:  # in the order they came, as MQTT wants
            self.client.ack(received.mid, received.qos)

    def _write_one_by_one(self, conn: psycopg.Connection, batch: list[Received]) -> tuple[int, int]:
        """A payload PostgreSQL can never store (e.g. a NUL in a string) spoilt the batch: each
        record alone, and the one refused is said and let go. Kept back, it would come back for
        ever and hold up everything behind it."""
        new = refused = 0
        for received in batch:
            if received.record is None:
                continue
            try:
                new += self.writer.write(conn, received.record)
            except psycopg.DataError as problem:
                log.error("could not keep %s from %s (%s): dropped", received.topic, received.record.branch, first_line(problem))
                refused += 1
        return new, refused
