"""`kiosk`: the customer touchscreen, and `kiosk card-test` for technicians.

    kiosk --config /etc/lobby/branch.toml          the touchscreen (fullscreen)
    kiosk card-test [--stdin] [--config PATH]      one JSON line per swipe
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from lobby.card_key import KeyFileError, load_or_create_key
from lobby.config import DEFAULT_CONFIG_PATH, ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    parser = argparse.ArgumentParser(prog="kiosk", description="Lobby Kiosk touchscreen")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH)
    parser.add_argument("--windowed", action="store_true", help="run in a window instead of fullscreen")
    commands = parser.add_subparsers(dest="command")
    card = commands.add_parser("card-test", help="read swipes and print one JSON line each")
    card.add_argument("--stdin", action="store_true", help="read raw swipe lines from standard input")
    card.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    if args.command == "card-test":
        from kiosk.devices.card_test import run_card_test

        try:
            key = load_or_create_key(config.security.key_file)
        except KeyFileError as exc:
            print(exc, file=sys.stderr)
            return 1
        return run_card_test(config.kiosk.card_reader, key, sys.stdin if args.stdin else None)
    from kiosk.app import run_kiosk

    return run_kiosk(config, fullscreen=False if args.windowed else None)


if __name__ == "__main__":
    sys.exit(main())
