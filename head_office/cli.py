"""`head-office ingest --config PATH [--instance NAME]`: one ingester of the group."""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from pathlib import Path

from head_office.config import HeadOfficeConfigError, load_config

DEFAULT_CONFIG = Path("/etc/lobby-hq/head-office.toml")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    parser = argparse.ArgumentParser(prog="head-office", description="Lobby Kiosk head office")
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="write what the branches publish into PostgreSQL (one of a group)")
    ingest.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    ingest.add_argument(
        "--instance", default=socket.gethostname(),
        help="this ingester's name, stable across restarts (its broker session resumes under it); default: the host name",
    )
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except HeadOfficeConfigError as problem:
        logging.getLogger("head_office").critical("%s", problem)
        return 2
    from head_office.ingest import Ingester

    ingester = Ingester(config, args.instance)
    signal.signal(signal.SIGTERM, lambda *_: ingester.stop())
    signal.signal(signal.SIGINT, lambda *_: ingester.stop())
    ingester.run()
    logging.getLogger("head_office").info("ingester %s stopped: %s", ingester.client_id, dict(ingester.counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
