"""`edge-agent`: the branch daemon and the technician's commands.

Every command takes `--config PATH` (default /etc/lobby/branch.toml). Commands print
sentences for people and exit non-zero on failure; a traceback is a bug.

One file because it is the table of commands, each a few lines that call the module doing the work.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from lobby.config import DEFAULT_CONFIG_PATH, BranchConfig, ConfigError, config_summary, load_config
from lobby.contract import ROLES, Answer

Handler = Callable[[argparse.Namespace, BranchConfig], int]


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# ---- queue commands: a technician exercising the branch without the UI ------------------


def _open_branch(config: BranchConfig):
    from edge_agent.branch import Branch

    return Branch.open(config)


def _queue_op(op: str) -> Handler:
    def handler(args: argparse.Namespace, config: BranchConfig) -> int:
        from edge_agent.queue.engine import QueueError

        branch = _open_branch(config)
        commands: dict[str, Callable[[], Answer]] = {
            "ticket": lambda: branch.issue_ticket(args.service, tier=args.tier),
            "transfer": lambda: branch.transfer(args.ticket, args.to_service),
            "call_next": lambda: branch.call_next(args.counter),
            "recall": lambda: branch.recall(args.counter),
            "no_show": lambda: branch.no_show(args.counter),
            "complete": lambda: branch.complete(args.counter),
            "counter_open": lambda: branch.counter_open(args.counter),
            "counter_close": lambda: branch.counter_close(args.counter),
        }
        try:
            result = commands[op]()
        except QueueError as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 1
        finally:
            branch.close()
        _print_json(result.model_dump(mode="json"))
        return 0

    return handler


def _status(args: argparse.Namespace, config: BranchConfig) -> int:
    branch = _open_branch(config)
    try:
        _print_json(branch.queue_state().model_dump(mode="json"))
    finally:
        branch.close()
    return 0


def _config_check(args: argparse.Namespace, config: BranchConfig) -> int:
    print(f"OK: {args.path}: {config_summary(config)}")
    return 0


def _customers_import(args: argparse.Namespace, config: BranchConfig) -> int:
    from edge_agent.branch import tier_thresholds
    from edge_agent.store.db import Store
    from edge_agent.store.directory import import_customers
    from lobby.card_key import load_or_create_key

    store = Store(config.store.path)
    try:
        report = import_customers(
            store, args.file, load_or_create_key(config.security.key_file), tier_thresholds(config), datetime.now(config.branch.zone)
        )
    finally:
        store.close()
    if report.problems:
        print(f"{args.file}: nothing imported, {len(report.problems)} problem(s) to fix first:", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"imported {report.imported} customer(s) from {args.file} (card numbers stored as tokens only)")
    return 0


def _staff_import(args: argparse.Namespace, config: BranchConfig) -> int:
    from edge_agent.rules.staff_roster import read_roster
    from edge_agent.store.db import Store
    from edge_agent.store.staff import replace_roster

    members, problems = read_roster(args.file)
    if problems:
        print(f"{args.file}: nothing imported, {len(problems)} problem(s) to fix first:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    store = Store(config.store.path)
    try:
        with store.write() as conn:
            left = replace_roster(conn, members, datetime.now(config.branch.zone))
    finally:
        store.close()
    print(f"imported {len(members)} staff from {args.file} (PINs stored as scrypt hashes only)")
    if left:
        print(f"no longer on the roster, signed out and unable to sign in: {', '.join(left)}")
    return 0


def _followups(args: argparse.Namespace, config: BranchConfig) -> int:
    from edge_agent.reports.followups import make_followups
    from edge_agent.store.db import Store

    day = args.date or datetime.now(config.branch.zone).date()
    store = Store(config.store.path)
    try:
        html_path, csv_path, count = make_followups(config, store, day, args.out)
    finally:
        store.close()
    print(f"{count} open follow-up(s) on {day}; wrote {html_path} and {csv_path}")
    return 0


def _wait_model_show(args: argparse.Namespace, config: BranchConfig) -> int:
    from edge_agent.desks.waits import WaitDesk
    from edge_agent.store.db import Store

    store = Store(config.store.path)
    try:
        print(WaitDesk(config, store).described)
    finally:
        store.close()
    return 0


def _wait_model_train(args: argparse.Namespace, config: BranchConfig) -> int:
    """What the agent does after each daily close, now and in the foreground."""
    from edge_agent.desks.waits import training_arguments
    from edge_agent.wait_model import training

    return training.main(training_arguments(config, args.through or datetime.now(config.branch.zone).date()))


def _broker_setup(args: argparse.Namespace, config: BranchConfig) -> int:
    from edge_agent.bus.broker_setup import setup_broker

    credentials = setup_broker(config, args.out, rotate=tuple(args.rotate))
    print(f"wrote {args.out}/mosquitto.conf, passwd, acl and credentials.json ({len(credentials)} users)")
    for role in args.rotate:
        print(f"new password for {credentials[role]['username']}: give it to every {role} client, then restart or reload the broker")
    print(f"start the broker with: mosquitto -c {Path(args.out).resolve()}/mosquitto.conf")
    return 0


def _device_command(name: str) -> Handler:
    """`edge-agent devices ...`: the device functions take settings and return text to print."""

    def handler(args: argparse.Namespace, config: BranchConfig) -> int:
        from edge_agent.devices import commands
        from edge_agent.devices.virtual.printer import VirtualPrinterNotRunning, virtual_printer_control

        try:
            if name == "list":
                text, code = commands.list_ports([config.printer, *config.displays]), 0
            elif name == "check":
                ok, text = commands.check_devices(config.printer, config.displays)
                code = 0 if ok else 1
            elif name == "test-print":
                if args.printer not in (None, config.printer.id):
                    print(f"no printer '{args.printer}' is configured; this branch has '{config.printer.id}'", file=sys.stderr)
                    return 2
                text, code = commands.test_print(config.printer, config.branch.name), 0
            elif name == "display-test":
                text, code = commands.display_test(config.displays), 0
            else:  # virtual WORD
                text, code = virtual_printer_control(config.printer.virtual_dir, args.word), 0
        except ValueError as exc:  # an unknown control word
            print(exc, file=sys.stderr)
            return 2
        except (commands.DeviceCommandError, VirtualPrinterNotRunning) as exc:
            print(exc, file=sys.stderr)
            return 1
        print(text, file=sys.stdout if code == 0 else sys.stderr)
        return code

    return handler


def _voice_command(name: str) -> Handler:
    def handler(args: argparse.Namespace, config: BranchConfig) -> int:
        from edge_agent.devices.voice import commands as voice_commands

        if name == "say":
            code, text = voice_commands.voice_say(config.voice, args.text)
        else:
            code, text = voice_commands.voice_build_pack(config.voice)
        print(text, file=sys.stdout if code == 0 else sys.stderr)
        return code

    return handler


def _report(args: argparse.Namespace, config: BranchConfig) -> int:
    from edge_agent.reports.report import make_report
    from edge_agent.store.db import Store

    first = args.from_ or args.date or datetime.now(config.branch.zone).date()
    last = args.to or args.date or first
    if last < first:
        print(f"--to {last} is before --from {first}", file=sys.stderr)
        return 2
    store = Store(config.store.path)
    try:
        html_path, csv_path, figures = make_report(config, store, first, last, args.out)
    finally:
        store.close()
    print(f"{figures.tickets} tickets, mean wait {figures.wait.mean_min} min, {figures.within_target_pct}% within target")
    print(f"wrote {html_path} and {csv_path}")
    return 0


def _backup(args: argparse.Namespace, config: BranchConfig) -> int:
    from edge_agent.store.db import Store

    store = Store(config.store.path)
    try:
        store.backup_to(args.out)
    finally:
        store.close()
    copy = Store(args.out)
    ok = copy.integrity_ok()
    copy.close()
    if not ok:
        print(f"the copy at {args.out} failed its integrity check; keep the previous backup and try again", file=sys.stderr)
        return 1
    print(f"backed up {config.store.path} to {args.out} (consistent copy, integrity checked)")
    return 0


def _close_day(args: argparse.Namespace, config: BranchConfig) -> int:
    from edge_agent.store.db import Store
    from edge_agent.store.retention import close_day

    store = Store(config.store.path)
    try:
        report = close_day(store, args.date or datetime.now(config.branch.zone).date(), config.store.retention_days)
    finally:
        store.close()
    print(f"daily close: customer details erased from {report.erased_tickets} ticket(s) older than "
          f"{config.store.retention_days} days; {report.forgotten_answers} old request answer(s) forgotten")
    return 0


def _run(args: argparse.Namespace, config: BranchConfig) -> int:
    from edge_agent.agent import run_agent
    from edge_agent.store.db import StoreError
    from lobby.bus.client import BusError
    from lobby.signed_token import KeyFileError

    try:
        return run_agent(config)
    except (BusError, StoreError, KeyFileError) as exc:  # each is already a sentence naming the file and what to do
        logging.getLogger("edge_agent").critical("the agent cannot start: %s", exc)
        return 1


# ---- argument parsing --------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=f"branch configuration (default {DEFAULT_CONFIG_PATH})")
    parser = argparse.ArgumentParser(prog="edge-agent", description="Lobby Kiosk branch agent", parents=[common])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler, help: str, parent: argparse._SubParsersAction = commands) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=help, parents=[common])
        sub.set_defaults(handler=handler)
        return sub

    add("run", _run, "run the branch agent (the daemon)")

    config_cmd = commands.add_parser("config", help="check a configuration file").add_subparsers(dest="sub", required=True)
    check = add("check", _config_check, "validate a branch configuration and list every problem", config_cmd)
    check.add_argument("path", type=Path, nargs="?", help="the file to check (default: --config)")

    ticket = add("ticket", _queue_op("ticket"), "issue a ticket, as the kiosk would")
    ticket.add_argument("service")
    ticket.add_argument("--tier", default="mass", choices=["vip", "potential", "prospect", "mass"])
    for name, op, help in (
        ("call-next", "call_next", "call the next ticket to a counter"),
        ("recall", "recall", "call the counter's ticket again"),
        ("no-show", "no_show", "the called customer did not come"),
        ("complete", "complete", "the counter finished serving its customer"),
        ("counter-open", "counter_open", "open a counter"),
        ("counter-close", "counter_close", "close a counter"),
    ):
        add(name, _queue_op(op), help).add_argument("counter")
    transfer = add("transfer", _queue_op("transfer"), "send a called ticket to another service's queue")
    transfer.add_argument("ticket", help="the ticket label, e.g. A023")
    transfer.add_argument("to_service")
    add("status", _status, "print the queue state")

    customers = commands.add_parser("customers", help="the customer directory").add_subparsers(dest="sub", required=True)
    add("import", _customers_import, "import a CRM export (card_number,display_name,tier,rm,...)", customers).add_argument(
        "file", type=Path
    )

    staff = commands.add_parser("staff", help="the branch's staff roster").add_subparsers(dest="sub", required=True)
    add("import", _staff_import, "import the roster (staff_id,name,role,pin); whoever is not in it has left", staff).add_argument(
        "file", type=Path
    )
    followups = add("followups", _followups, "the day's follow-up list (待跟进客户名单), HTML and CSV")
    followups.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default today)")
    followups.add_argument("--out", type=Path, default=Path("."), help="directory to write into (default: here)")

    wait_model = commands.add_parser("wait-model", help="the learned wait predictor").add_subparsers(dest="sub", required=True)
    add("show", _wait_model_show, "say which predictor tells customers their wait, and its training figures", wait_model)
    add("train", _wait_model_train, "learn from the store's history now (the agent does it after each daily close)", wait_model).add_argument(
        "--through", type=date.fromisoformat, help="the last business day to learn from (default today)"
    )

    broker = commands.add_parser("broker", help="the branch's MQTT broker").add_subparsers(dest="sub", required=True)
    setup = add("setup", _broker_setup, "write the Mosquitto configuration, users and ACLs", broker)
    setup.add_argument("--out", type=Path, required=True, help="directory to write into")
    setup.add_argument(
        "--rotate", action="append", default=[], choices=ROLES, metavar="ROLE",
        help="give this role a new password (a hall TV stolen, a tablet lost); may be repeated",
    )

    report = add("report", _report, "write the daily report (HTML with charts, and CSV)")
    report.add_argument("--date", type=date.fromisoformat, help="the business day, YYYY-MM-DD (default today)")
    report.add_argument("--from", dest="from_", type=date.fromisoformat, help="first day of a range")
    report.add_argument("--to", type=date.fromisoformat, help="last day of a range")
    report.add_argument("--out", type=Path, default=Path("."), help="folder for the files (default: here)")
    add("close-day", _close_day, "erase customer details older than [store] retention_days").add_argument(
        "--date", type=date.fromisoformat, help="today's date (default: today)"
    )
    add("backup", _backup, "copy the store consistently while the agent runs").add_argument("--out", type=Path, required=True)

    devices = commands.add_parser("devices", help="check the printer and displays").add_subparsers(dest="sub", required=True)
    add("list", _device_command("list"), "serial ports with USB ids, and which configured device uses which", devices)
    add("check", _device_command("check"), "open each configured device and report its status in words", devices)
    test = add("test-print", _device_command("test-print"), "print a test ticket (stop the agent first)", devices)
    test.add_argument("--printer", default=None, help="printer id (default: the configured printer)")
    add("display-test", _device_command("display-test"), "show test text on every counter display", devices)
    add("virtual", _device_command("virtual"), "steer the running virtual printer (paper_out, ok, stall, unplug, ...)", devices).add_argument("word")

    voice = commands.add_parser("voice", help="announcements").add_subparsers(dest="sub", required=True)
    add("say", _voice_command("say"), "announce a call, e.g. 请A023号到3号窗口", voice).add_argument("text")
    add("build-pack", _voice_command("build-pack"), "generate the default voice pack with espeak-ng", voice)
    return parser


def main(argv: list[str] | None = None) -> int:
    # force: python-escpos configures the root logger when imported; ours must win.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    args = build_parser().parse_args(argv)
    config_path = getattr(args, "config", DEFAULT_CONFIG_PATH)
    if args.handler is _config_check:
        config_path = args.path or config_path
        args.path = config_path
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(exc.report(), file=sys.stdout if args.handler is _config_check else sys.stderr)
        return 1
    return args.handler(args, config)


if __name__ == "__main__":
    sys.exit(main())
