"""`head-office` commands:

    head-office ingest --config PATH [--instance NAME]    one ingester of the group
    head-office serve --config PATH [--port N]            the network view, the ticket and booking pages
    head-office sync --config PATH                        each branch's bookings, over its bridge
    head-office bookings plan FILE.csv                    what each branch offers for booking
    head-office users add NAME --role ROLE [--region R]   password from standard input
    head-office branches import FILE.csv                  branch_id,name,region
"""

from __future__ import annotations

import argparse
import csv
import getpass
import logging
import signal
import socket
import sys
from pathlib import Path

import psycopg

from head_office.config import HeadOfficeConfig, HeadOfficeConfigError, load_config
from head_office.problems import first_line
from lobby.signed_token import KeyFileError

DEFAULT_CONFIG = Path("/etc/lobby-hq/head-office.toml")
log = logging.getLogger("head_office")


def _ingest(args: argparse.Namespace, config: HeadOfficeConfig) -> int:
    from head_office.ingest import Ingester

    ingester = Ingester(config, args.instance)
    signal.signal(signal.SIGTERM, lambda *_: ingester.stop())
    signal.signal(signal.SIGINT, lambda *_: ingester.stop())
    ingester.run()
    log.info("ingester %s stopped: %s", ingester.client_id, dict(ingester.counts))
    return 0


def _serve(args: argparse.Namespace, config: HeadOfficeConfig) -> int:
    import uvicorn

    from head_office.web.app import create_app

    web = config.web
    # Access lines carry the ticket page's path, which is the ticket's key: uvicorn's access log is off.
    uvicorn.run(create_app(config), host=web.host, port=args.port or web.port, access_log=False, log_level="info",
                proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    return 0


def _sync(args: argparse.Namespace, config: HeadOfficeConfig) -> int:
    from head_office.booking_sync import BookingSync

    sync = BookingSync(config, args.instance)
    signal.signal(signal.SIGTERM, lambda *_: sync.stop())
    signal.signal(signal.SIGINT, lambda *_: sync.stop())
    sync.run()
    log.info("booking sync stopped after %d requests", sync.sent)
    return 0


def _bookings_plan(args: argparse.Namespace, config: HeadOfficeConfig) -> int:
    from head_office.booking_rules import parse_plan_row
    from head_office.bookings import BookingDesk

    try:
        with open(args.file, encoding="utf-8-sig", newline="") as handle:
            plans = []
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    plans.append(parse_plan_row(row))
                except ValueError as problem:
                    raise ValueError(f"line {line}: {problem}") from None
        with _database(config) as conn:
            count = BookingDesk(config.bookings, config.web.zone).import_plans(conn, plans)
    except (OSError, ValueError) as problem:
        print(f"{args.file}: nothing imported: {problem}", file=sys.stderr)
        return 1
    print(f"{count} booking plans imported from {args.file}")
    return 0


def _database(config: HeadOfficeConfig) -> psycopg.Connection:
    from head_office.db.schema import migrate

    conn = psycopg.connect(config.database.conninfo, autocommit=True, connect_timeout=int(config.database.connect_timeout_s))
    migrate(conn)
    return conn


def _users_add(args: argparse.Namespace, config: HeadOfficeConfig) -> int:
    from head_office.accounts import AccountError, add_user

    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass(f"password for {args.name}: ")
    try:
        with _database(config) as conn:
            add_user(conn, args.name, password, args.role, args.region)
    except AccountError as problem:
        print(f"not added: {problem}", file=sys.stderr)
        return 1
    print(f"{args.name} can sign in as {args.role.replace('_', ' ')}" + (f" of {args.region}" if args.region else ""))
    return 0


def _branches_import(args: argparse.Namespace, config: HeadOfficeConfig) -> int:
    from head_office.network import import_branches

    try:
        with open(args.file, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        with _database(config) as conn:
            count = import_branches(conn, rows)
    except (OSError, ValueError) as problem:
        print(f"{args.file}: nothing imported: {problem}", file=sys.stderr)
        return 1
    print(f"{count} branches imported from {args.file}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help=f"head office's TOML (default {DEFAULT_CONFIG})")
    parser = argparse.ArgumentParser(prog="head-office", description="Lobby Kiosk head office")
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", parents=[common], help="write what the branches publish into PostgreSQL (one of a group)")
    ingest.add_argument(
        "--instance", default=socket.gethostname(),
        help="this ingester's name, stable across restarts (its broker session resumes under it); default: the host name",
    )
    ingest.set_defaults(handler=_ingest)
    serve = commands.add_parser("serve", parents=[common], help="the network view, the fleet page, the report and the ticket page")
    serve.add_argument("--port", type=int, default=None, help="instead of [web] port")
    serve.set_defaults(handler=_serve)
    sync = commands.add_parser("sync", parents=[common], help="send each branch its bookings over its bridge")
    sync.add_argument("--instance", default=socket.gethostname(), help="this process's name (default: the host name)")
    sync.set_defaults(handler=_sync)
    bookings = commands.add_parser("bookings", help="what branches offer for booking").add_subparsers(dest="bookings_command", required=True)
    plan = bookings.add_parser("plan", parents=[common], help=(
        "branch_id,service,name_zh,name_en,weekdays,opens,closes,slot_minutes,per_slot,counters,service_minutes rows from a CSV file"
    ))
    plan.add_argument("file", type=Path)
    plan.set_defaults(handler=_bookings_plan)
    users = commands.add_parser("users", help="who may sign in").add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", parents=[common], help="add a user or change one (the password is read from standard input)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("head_office", "regional", "technician"))
    add.add_argument("--region", default=None, help="a regional manager's region (required for regional)")
    add.set_defaults(handler=_users_add)
    branches = commands.add_parser("branches", help="the branch registry").add_subparsers(dest="branches_command", required=True)
    imp = branches.add_parser("import", parents=[common], help="branch_id,name,region rows from a CSV file")
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=_branches_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
        return args.handler(args, config)
    except (HeadOfficeConfigError, KeyFileError) as problem:
        log.critical("%s", problem)
        return 2
    except psycopg.OperationalError as problem:
        log.critical("PostgreSQL is unreachable: %s", first_line(problem))
        return 1


if __name__ == "__main__":
    sys.exit(main())
