"""``loyalty-service``: run the reference loyalty service.

Prints one line on stdout once it accepts connections, for whoever started it:
    {"event": "listening", "url": "http://127.0.0.1:8080"}
Everything else goes to stderr. ``--workers N`` runs N processes on the one socket
(worker_processes.py); the line comes once all of them serve.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

import uvicorn

from loyalty_service import configured_keys, management, managers, privacy_commands, rate_limit, staff
from loyalty_service import receipt_mail, sale_line_retention, worker_processes
from loyalty_service.activity_flags import DEFAULT_TRANSACTIONS_PER_DAY
from loyalty_service.app import create_app
from loyalty_service.database import Database, DatabaseError, database_target, open_database, write_transaction
from loyalty_service.demo_store import seed
from loyalty_service.event_retention import DEFAULT_KEEP_DAYS, keep_pruning
from loyalty_service.pin_hashes import PinHasher, PinSecretError, read_secret, secret_problem
from loyalty_service.program import Program, ProgramError, load_program
from loyalty_service.stream_slots import DEFAULT_STREAMS_PER_KEY

DEMO_KEY = "demo-key"
DEMO_MANAGER_PIN = "135790"  # id mgr_demo (managers.py)
MAX_WORKERS = 64


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="loyalty-service", description="The reference loyalty service (Loyalty API v1)."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--db", type=database_target, required=True, metavar="FILE|URL",
                        help="a SQLite file (made if missing) or a postgresql://user:password@host/dbname URL")
    parser.add_argument("--db-pool-size", type=int, default=20, metavar="N",
                        help="PostgreSQL: connections each service process keeps at most (default 20): with"
                             " --workers N the service holds up to N times this, plus one listening"
                             " connection a process")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="service processes accepting on the one socket, about one per core (default 1:"
                             " one process); a worker that dies is replaced")
    parser.add_argument("--demo", action="store_true", help="seed the demo store into the database, once")
    parser.add_argument(
        "--api-key", action="append", default=[],
        help="a configured key (repeatable); ps and shell history keep it: prefer --api-key-file or LOYALTY_API_KEYS",
    )
    parser.add_argument("--api-key-file", type=Path, metavar="FILE",
                        help="configured keys, one a line (# comments); each at least 24 characters outside --demo")
    parser.add_argument("--pin-secret-file", type=Path, metavar="FILE",
                        help="the secret managers' PIN hashes are keyed with (or LOYALTY_PIN_SECRET)")
    parser.add_argument("--program", type=Path, metavar="FILE",
                        help="the loyalty programme (TOML); default: the demo store's programme")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    parser.add_argument("--access-log", action="store_true", help="log every request line to stderr")
    parser.add_argument("--unknown-lookups-per-minute", type=int, default=30, metavar="N",
                        help="identifies that find nobody and enrolments of a member, per key, before 429"
                             " (0: no limit; default 30)")
    parser.add_argument("--enrolments-per-minute", type=int, default=20, metavar="N",
                        help="enrolments per key in a minute before 429 (0: no limit; default 20)")
    parser.add_argument("--identify-min-ms", type=float, default=25.0, metavar="MS",
                        help="every identify takes at least this long, found or not (default 25)")
    parser.add_argument("--flag-transactions-per-day", type=int, default=DEFAULT_TRANSACTIONS_PER_DAY, metavar="N",
                        help=f"flag accounts with more loyalty transactions in a day (0: never; default"
                             f" {DEFAULT_TRANSACTIONS_PER_DAY})")
    parser.add_argument("--manager-pin", action="append", default=[], metavar="[NAME=]PIN",
                        help="a manager PIN for points adjustments, kept in memory only (repeatable; for demos:"
                             " use the add-manager command for real ones)")
    parser.add_argument("--events-keep-days", type=int, default=DEFAULT_KEEP_DAYS, metavar="DAYS",
                        help=f"delete events older than this, hourly, keeping each account's latest (0: keep all;"
                             f" default {DEFAULT_KEEP_DAYS})")
    parser.add_argument("--events-keepalive", type=float, default=15.0, metavar="SECONDS",
                        help="a comment on idle event streams this often (default 15)")
    parser.add_argument("--events-streams-per-key", type=int, default=DEFAULT_STREAMS_PER_KEY, metavar="N",
                        help=f"event streams one key may have open at once; then 429 (0: no limit; default"
                             f" {DEFAULT_STREAMS_PER_KEY})")
    parser.add_argument("--no-sale-batches", action="store_true",
                        help="serve no POST /v1/sales/batch, as a service from before it (to try tills' fallback)")
    parser.add_argument("--public-url", metavar="URL",
                        help="the service's address as customers reach it (https://…): digital receipts' pages"
                             " are URL/r/TOKEN, linked from e-mails and printed as a QR (default: no links)")
    receipt_mail.add_arguments(parser)
    return parser.parse_args(argv)


def manager_pins(args: argparse.Namespace) -> tuple[tuple[str, str], ...] | None:
    """(name, PIN) pairs from --manager-pin; the demo's when --demo gave none; None if one is bad."""
    pins = []
    for given in args.manager_pin:
        name, _, pin = given.rpartition("=")
        if not managers.valid_new_pin(pin):
            return None
        pins.append((name.strip() or "Manager", pin))
    if not pins and args.demo:
        pins.append(("Demo manager", DEMO_MANAGER_PIN))
    return tuple(pins)


def log_config() -> dict[str, Any]:
    """uvicorn's logging, all of it on stderr (its default sends the access log to stdout,
    which belongs to the one "listening" line)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "loyalty_service": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }


class _Server(uvicorn.Server):
    """Calls ``serving`` once it really accepts connections."""

    def __init__(self, config: uvicorn.Config, serving: Callable[[], None]) -> None:
        super().__init__(config)
        self.serving = serving

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.serving()


def announce(url: str) -> None:
    """The one line on stdout: where the service listens."""
    print(json.dumps({"event": "listening", "url": url}), flush=True)


def parent_alive(parent_pid: int, was_our_parent: bool) -> bool:
    if was_our_parent:
        # Being re-parented is the sure sign: a dead parent's pid may be reused by another process.
        return os.getppid() == parent_pid
    try:
        os.kill(parent_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, and belongs to someone else
        return True
    return True


def watch_parent(server: uvicorn.Server, parent_pid: int) -> None:
    """Stop the server when the process that started it has gone (killed, crashed)."""
    was_our_parent = os.getppid() == parent_pid

    def loop() -> None:
        while not server.should_exit:
            if not parent_alive(parent_pid, was_our_parent):
                print(f"loyalty-service: parent {parent_pid} is gone; stopping", file=sys.stderr, flush=True)
                server.should_exit = True
                return
            time.sleep(0.5)

    threading.Thread(target=loop, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    if given and given[0] in management.COMMANDS:
        return management.main(given)
    if given and given[0] in privacy_commands.COMMANDS:
        return privacy_commands.main(given)
    args = parse_args(argv)
    pins = manager_pins(args)
    if pins is None:
        print("loyalty-service: --manager-pin takes NAME=PIN or PIN, a PIN being 6 to 12 digits", file=sys.stderr)
        return 2
    if not 1 <= args.workers <= MAX_WORKERS:
        print(f"loyalty-service: --workers takes 1 to {MAX_WORKERS}", file=sys.stderr)
        return 2
    try:
        keys = configured_keys.read_keys(args.api_key, args.api_key_file)
        configured_keys.check_lengths(keys, args.demo)
        pin_secret = read_secret(args.pin_secret_file)
    except (configured_keys.KeyProblem, PinSecretError) as error:
        print(f"loyalty-service: {error}", file=sys.stderr)
        return 2
    if args.api_key:
        print("loyalty-service: warning: --api-key puts the key where ps and shell history keep it;"
              " use --api-key-file or LOYALTY_API_KEYS", file=sys.stderr)
    if not keys:
        if not args.demo:
            print("loyalty-service: no API key: give --api-key-file FILE or set LOYALTY_API_KEYS", file=sys.stderr)
            return 2
        print(f"loyalty-service: no API key given; the demo store accepts '{DEMO_KEY}'", file=sys.stderr)
        keys = [DEMO_KEY]
    try:
        program = load_program(args.program) if args.program else load_program()
    except ProgramError as error:
        print(f"loyalty-service: {error}", file=sys.stderr)
        return 2
    try:
        args.mail = receipt_mail.settings_from(args)
    except ValueError as error:
        print(f"loyalty-service: {error}", file=sys.stderr)
        return 2
    database = open_database(args.db, pool_size=max(2, args.db_pool_size))
    try:
        database.create_schema()
        with database.connection() as conn:
            problem = secret_problem(conn, pin_secret)
    except DatabaseError as error:
        print(f"loyalty-service: {error}", file=sys.stderr)
        return 2
    if problem:
        print(f"loyalty-service: {problem}", file=sys.stderr)
        return 2
    for manager_id, (name, _) in zip(managers.demo_ids(len(pins)), pins):
        print(f"loyalty-service: manager {name!r} (in memory) has id {manager_id}", file=sys.stderr)
    if args.demo:
        with database.connection() as conn, write_transaction(conn):
            if seed(conn, program):
                print(f"loyalty-service: seeded the demo store into {database.name}", file=sys.stderr)
            if staff.seed_demo(conn, PinHasher(pin_secret)):
                print("loyalty-service: seeded the demo store's cashiers (README)", file=sys.stderr)

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it a kept-alive request waits ~40 ms for the
    # client's delayed ACK between the response head and body (measured: identify 48 ms -> 7 ms).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as error:
        print(f"loyalty-service: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    url = f"http://{host}:{port}"
    if args.workers == 1:
        return serve(args, database, program, keys, pins, pin_secret, sock, serving=lambda: announce(url),
                     housekeeping=True, parent_pid=args.parent_pid)
    database.close()  # each worker opens its own: no pool, connection or thread crosses the fork
    sock.listen(2048)  # connections wait in the backlog until a worker takes them

    def worker(index: int, ready: Callable[[], None]) -> int:
        own = open_database(args.db, pool_size=max(2, args.db_pool_size))
        return serve(args, own, program, keys, pins, pin_secret, sock, serving=ready, housekeeping=index == 0,
                     parent_pid=os.getppid())

    parent_given = args.parent_pid
    was_our_parent = parent_given is not None and os.getppid() == parent_given
    return worker_processes.run(
        args.workers, worker, announce=lambda: announce(url),
        parent_gone=lambda: parent_given is not None and not parent_alive(parent_given, was_our_parent),
    )


def serve(
    args: argparse.Namespace, database: Database, program: Program, keys: list[str],
    pins: tuple[tuple[str, str], ...], pin_secret: bytes | None, sock: socket.socket, *,
    serving: Callable[[], None], housekeeping: bool, parent_pid: int | None,
) -> int:
    """One service process on ``sock`` until it is stopped. ``housekeeping``: this one runs the
    hourly jobs (one process of a host's workers does)."""
    server: _Server | None = None

    def stopping() -> bool:
        return server is not None and server.should_exit

    app = create_app(
        database, keys, program,
        unknown_lookups_per_minute=args.unknown_lookups_per_minute,
        identify_min_seconds=max(0.0, args.identify_min_ms) / 1000,
        flag_transactions_per_day=args.flag_transactions_per_day,
        manager_pins=pins,
        pin_secret=pin_secret,
        enrolments_per_minute=args.enrolments_per_minute,
        events_keepalive_seconds=max(0.5, args.events_keepalive),
        events_streams_per_key=max(0, args.events_streams_per_key),
        stopping=stopping,  # event streams end as soon as shutdown starts, so it never waits on them
        sale_batches_route=not args.no_sale_batches,
        public_url=args.public_url,
        mail_relay=args.mail.relay.shown() if args.mail.relay else None,
    )
    config = uvicorn.Config(
        app, log_config=log_config(), log_level="info" if args.access_log else "warning",
        access_log=args.access_log, lifespan="off", timeout_graceful_shutdown=5,
    )
    server = _Server(config, serving)
    if parent_pid:
        watch_parent(server, parent_pid)
    if housekeeping:
        if args.events_keep_days > 0:
            keep_pruning(database, args.events_keep_days, stopping=stopping)
        if program.keep_sale_lines_months > 0:
            sale_line_retention.keep_pruning(database, program.keep_sale_lines_months, stopping=stopping)
        rate_limit.keep_pruning(database, stopping=stopping)
        receipt_mail.run_sender(database, program, args.mail, stopping)  # leases keep it one sender a row
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
