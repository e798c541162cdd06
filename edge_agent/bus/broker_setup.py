"""`edge-agent broker setup`: the branch's Mosquitto configuration, generated from branch.toml.

Writes into one directory:
  mosquitto.conf     run as `mosquitto -c DIR/mosquitto.conf`
  passwd             one user per role, hashed by mosquitto_passwd (no default passwords)
  acl                each role publishes only its own requests and reads only what it needs
  credentials.json   role -> {username, password}, mode 0600, for the agent and the set-up
  lobby_client_ids.so  the plugin that ties each client id to its user (built by `make`)
  tls/               a private CA and server certificate when TLS is on and none was given
  data/              persistence (queued QoS 1 messages for offline tablets survive restarts)
Running it again keeps existing passwords, so clients configured earlier keep working.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from lobby.config import BranchConfig
from lobby.contract import ROLES, ops_of, topic_root

STATE_TOPICS = ("agent/state", "queue/state", "devices/+/state")
QUEUE_EVENTS = ("arrival", "called", "served", "no_show", "transferred", "expired")
# Answers to head office's requests: its clients name response topics under here, the one
# kind of answer that crosses the bridge (everyone else's stay in the branch).
HQ_ANSWERS = "response/hq/#"
# What head office sees of a branch, locally and over the bridge. Never requests: they carry
# staff PINs and customers' phone numbers on their way to the agent.
HQ_READS = (*STATE_TOPICS, "staff/state", "promotions", "events/#", "alerts/#", "bridge/state", HQ_ANSWERS)


# The client-id plugin (broker/client_ids.c): next to the venv on a branch box
# (/opt/lobby/lib, scripts/install.sh), or in the checkout's build/ (make).
CLIENT_ID_PLUGIN = "lobby_client_ids.so"
CLIENT_ID_PLUGIN_CANDIDATES = (
    Path(sys.prefix).parent / "lib" / CLIENT_ID_PLUGIN,
    Path(__file__).resolve().parents[2] / "build" / CLIENT_ID_PLUGIN,
)


class BrokerSetupError(Exception):
    pass


@dataclass(frozen=True)
class RoleAccess:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


def _requests(role: str) -> tuple[str, ...]:
    """The request topics a role may publish: the contract's operations name their roles."""
    return tuple(f"request/{op}" for op in ops_of(role))


def role_access() -> dict[str, RoleAccess]:
    """Topics relative to the branch root. The single place that says who may do what.

    Answers are not here: each client reads its own `response/<client id>/#` and nobody
    else's (the `pattern` lines of acl_text), and a client id belongs to one user.
    """
    return {
        "agent": RoleAccess(
            publish=("agent/state", "queue/state", "devices/+/state", "staff/state", "promotions", "events/#", "alerts/#", "response/#"),
            subscribe=("request/#", "agent/state"),
        ),
        "kiosk": RoleAccess(publish=_requests("kiosk"), subscribe=(*STATE_TOPICS, "promotions")),
        # The queue's events and referrals; not complaints or rating prompts (what customers
        # say about the service is the lobby manager's to handle).
        "teller": RoleAccess(
            publish=_requests("teller"),
            subscribe=(*STATE_TOPICS, "staff/state", *(f"events/{name}" for name in QUEUE_EVENTS), "events/referral"),
        ),
        "manager": RoleAccess(
            publish=_requests("manager"),
            subscribe=(*STATE_TOPICS, "staff/state", "promotions", "events/#", "alerts/#"),
        ),
        # Relationship managers' workbench: referrals, and nothing of the queue's controls.
        "rm": RoleAccess(
            publish=_requests("rm"),
            subscribe=("agent/state", "staff/state", "events/referral"),
        ),
        # The rating screens at the counters: votes, and what the counter they face is doing.
        "rater": RoleAccess(
            publish=_requests("rater"),
            subscribe=("agent/state", "queue/state", "staff/state", "events/called", "events/rating_prompt"),
        ),
        "display": RoleAccess(publish=(), subscribe=(*STATE_TOPICS, "promotions", "events/called")),
        # Head office sees what the branch publishes (not what clients send it) and may send requests in.
        "hq": RoleAccess(publish=_requests("hq"), subscribe=HQ_READS),
    }


def username(config: BranchConfig, role: str) -> str:
    return f"{config.branch.id}-{role}"


def _load_or_make_credentials(path: Path, config: BranchConfig, rotate: tuple[str, ...] = ()) -> dict[str, dict[str, str]]:
    existing: dict[str, dict[str, str]] = {}
    if path.exists():
        existing = json.loads(path.read_text())
    credentials = {}
    for role in ROLES:
        old = existing.get(role)
        keep = old and old.get("username") == username(config, role) and role not in rotate
        password = old["password"] if keep and old else secrets.token_urlsafe(24)
        credentials[role] = {"username": username(config, role), "password": password}
    return credentials


def _write_private(path: Path, text: str, mode: int = 0o600) -> None:
    path.write_text(text)
    os.chmod(path, mode)


def acl_text(config: BranchConfig) -> str:
    root = topic_root(config.branch.id)
    lines = ["# Generated by `edge-agent broker setup`. Anonymous clients get nothing.", ""]
    for role, access in role_access().items():
        lines.append(f"user {username(config, role)}")
        for topic in access.publish:
            lines.append(f"topic write {root}{topic}")
        for topic in access.subscribe:
            lines.append(f"topic read {root}{topic}")
        if role != "display":
            # A user may talk to itself on ping/<user>: a client can prove its connection is
            # alive (and the bench measures the broker's bare round trip there). Not the hall
            # TV's: its password sits in the TV's browser, so it may publish nothing at all.
            lines.append(f"topic readwrite {root}ping/{username(config, role)}")
        lines.append("")
    # Every client reads the answers to its own requests, and only those: client ids are tied
    # to their users by the broker plugin, so no one can read another's by borrowing its id.
    lines.append(f"pattern read {root}response/%c/#")
    lines.append("")
    return "\n".join(lines)


def _tls_lines(config: BranchConfig, out: Path) -> list[str]:
    if not config.mqtt.tls:
        return []
    if config.mqtt.cert_file and config.mqtt.key_file and config.mqtt.ca_file:
        ca, cert, key = config.mqtt.ca_file, config.mqtt.cert_file, config.mqtt.key_file
    else:
        ca, cert, key = make_self_signed(out / "tls", config.mqtt.host)
    return [f"cafile {ca}", f"certfile {cert}", f"keyfile {key}", "tls_version tlsv1.2"]


def make_self_signed(directory: Path, host: str) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate for `host`, with openssl; kept if present."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (directory / n for n in ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt"))
    if cert.exists() and ca.exists() and key.exists():
        return ca, cert, key
    san = f"subjectAltName=DNS:localhost,IP:127.0.0.1,{'IP' if host.replace('.', '').isdigit() else 'DNS'}:{host}"

    def openssl(*args: str) -> None:
        result = subprocess.run(["openssl", *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise BrokerSetupError(f"openssl failed while making the branch certificate: {result.stderr.strip()}")

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=Lobby Kiosk branch CA",
            "-keyout", str(ca_key), "-out", str(ca))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={host}", "-keyout", str(key), "-out", str(csr))
    ext = directory / "san.ext"
    ext.write_text(san + "\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
            "-days", "825", "-extfile", str(ext), "-out", str(cert))
    for private in (ca_key, key):
        os.chmod(private, 0o600)
    return ca, cert, key


def bridge_lines(config: BranchConfig) -> list[str]:
    bridge = config.bridge
    if not bridge.enabled:
        return []
    root = topic_root(config.branch.id)
    password = Path(bridge.password_file).read_text().strip() if bridge.password_file else ""
    lines = [
        "",
        "# Head office. Everything under the branch root goes out; requests come in.",
        "# cleansession false + local queueing: the branch keeps working while the link is down",
        "# and head office receives what it missed when it returns.",
        f"connection hq-{config.branch.id}",
        f"address {bridge.address}:{bridge.port}",
        # The user's own name first: a head-office broker that ties client ids to users
        # (as the branch's does) accepts it.
        f"remote_clientid {bridge.username}.bridge-{config.branch.id}",
        f"remote_username {bridge.username}",
        f"remote_password {password}",
        "cleansession false",
        # MQTT 5: a request from head office keeps its response topic across the bridge, so
        # the agent can answer it (it answers nothing that has no response topic).
        "bridge_protocol_version mqttv50",
        "start_type automatic",
        "restart_timeout 5 60",
        "notifications true",
        f"notification_topic {root}bridge/state",
        *(f"topic {root}{topic} out 1" for topic in HQ_READS if topic != "bridge/state"),
        f"topic {root}request/# in 1",
    ]
    if bridge.tls:
        lines.append(f"bridge_cafile {bridge.ca_file}" if bridge.ca_file else "bridge_capath /etc/ssl/certs")
    return lines


def mosquitto_conf(config: BranchConfig, out: Path) -> str:
    tls = _tls_lines(config, out)
    ws_bind = f" {config.mqtt.ws_interface}" if config.mqtt.ws_interface else ""
    lines = [
        "# Generated by `edge-agent broker setup` from the branch configuration. Re-run it after",
        "# editing branch.toml rather than editing this file.",
        "per_listener_settings false",
        "allow_anonymous false",
        # A client id belongs to one user: nobody can take over the agent's or a tablet's session.
        f"plugin {out / CLIENT_ID_PLUGIN}",
        f"password_file {out / 'passwd'}",
        f"acl_file {out / 'acl'}",
        "persistence true",
        f"persistence_location {out / 'data'}/",
        # Saved after every change (a retained state, a message queued for an offline tablet,
        # a subscription), not every 30 s: a branch's traffic is a few messages a second at
        # most, and a broker killed between saves lost every alert queued meanwhile.
        # bench/idle_ticket.py --broker-autosave-30s measures what this costs.
        "autosave_on_changes true",
        "autosave_interval 1",
        # Offline tablets keep their session: QoS 1 alerts wait for them.
        "persistent_client_expiration 14d",
        "max_queued_messages 10000",
        # Every answer is a small packet: without this, Nagle holds each one until the
        # client's delayed ACK (~40 ms), which an idle branch feels on every ticket.
        "set_tcp_nodelay true",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "connection_messages true",
        "",
        f"listener {config.mqtt.port} {config.mqtt.bind_address}",
        "protocol mqtt",
        *tls,
        "",
        f"listener {config.mqtt.ws_port}{ws_bind}",
        "protocol websockets",
        *tls,
        *bridge_lines(config),
    ]
    return "\n".join(lines) + "\n"


def _hash_passwords(passwd: Path, credentials: dict[str, dict[str, str]]) -> None:
    """Let mosquitto_passwd hash them: its format is the broker's, not ours to re-implement."""
    _write_private(passwd, "".join(f"{c['username']}:{c['password']}\n" for c in credentials.values()))
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        raise BrokerSetupError("mosquitto_passwd is not installed; install the Debian package 'mosquitto'")
    result = subprocess.run([tool, "-U", str(passwd)], capture_output=True, text=True)
    if result.returncode != 0:
        passwd.unlink()
        raise BrokerSetupError(f"mosquitto_passwd could not hash the passwords: {result.stderr.strip()}")


def _copy_client_id_plugin(out: Path) -> None:
    """Into the broker's folder: Mosquitto loads plugins after dropping to user `mosquitto`,
    which may not reach the checkout or /opt."""
    found = next((path for path in CLIENT_ID_PLUGIN_CANDIDATES if path.is_file()), None)
    if found is None:
        raise BrokerSetupError(
            f"the broker plugin {CLIENT_ID_PLUGIN} is not built: run `make` in the source folder "
            "(it needs the Debian packages gcc and libmosquitto-dev)"
        )
    target = out / CLIENT_ID_PLUGIN
    shutil.copyfile(found, target)
    os.chmod(target, 0o644)


def _let_broker_read(out: Path) -> None:
    """Mosquitto started as root drops to user `mosquitto`, which must read its files."""
    if os.geteuid() != 0:
        return
    try:
        broker = pwd.getpwnam("mosquitto")
    except KeyError:
        return
    for path in [out, *out.rglob("*")]:
        if path.name in ("credentials.json", "ca.key"):
            continue
        os.chown(path, broker.pw_uid, broker.pw_gid)


def setup_broker(config: BranchConfig, out: Path, rotate: tuple[str, ...] = ()) -> dict[str, dict[str, str]]:
    """`rotate`: roles that get a new password (the others keep theirs)."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    os.chmod(out, 0o750)
    credentials = _load_or_make_credentials(out / "credentials.json", config, rotate)
    _write_private(out / "credentials.json", json.dumps(credentials, indent=2) + "\n")
    _hash_passwords(out / "passwd", credentials)
    _write_private(out / "acl", acl_text(config), 0o640)
    _copy_client_id_plugin(out)
    _write_private(out / "mosquitto.conf", mosquitto_conf(config, out), 0o640)
    _let_broker_read(out)
    return credentials
