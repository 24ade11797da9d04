"""``loyalty-service add-key``, ``add-manager`` and ``add-staff``: what a chain's IT runs on the service's host.

    loyalty-service add-key --db FILE|URL --store S --terminal T      prints a new till key, once
    loyalty-service add-key --db FILE|URL --role hq                   prints a new head-office key, once
    loyalty-service add-key --db FILE|URL --role web                  prints a new web shop's key (orders only), once
    loyalty-service add-key --db FILE|URL --role manager --store S    prints a new store manager's key (its reports only), once
    loyalty-service list-keys --db FILE|URL                           the keys' ids, roles, stores and terminals
    loyalty-service revoke-key --db FILE|URL --key-id ID              the key stops working within seconds
    loyalty-service add-manager --db FILE|URL --name NAME [--pin-file FILE|-]
                                                                      a manager who may adjust points
    loyalty-service list-managers --db FILE|URL                       ids, names, whether locked out
    loyalty-service unlock-manager --db FILE|URL --manager-id ID      frees a manager locked by wrong PINs
    loyalty-service remove-manager --db FILE|URL --manager-id ID      they may adjust points no more
    loyalty-service add-staff --db FILE|URL --staff-id ID --name NAME [--pin-file FILE|-]
                                                                      a cashier who signs on at registers
    loyalty-service list-staff --db FILE|URL                          ids, names, locked out, disabled
    loyalty-service unlock-staff --db FILE|URL --staff-id ID          frees a cashier locked by wrong PINs
    loyalty-service disable-staff --db FILE|URL --staff-id ID         they sign on no more

Only hashes are stored (terminal_keys.py, pin_hashes.py); the key cannot be shown again. A PIN is
read from a file, stdin (``--pin-file -``) or a prompt; ``--pin PIN`` still works but warns, since
``ps`` and shell history keep it. add-manager and add-staff need the PIN secret (``LOYALTY_PIN_SECRET`` or
``--pin-secret-file``), the same one the service is started with.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from loyalty_service import managers, staff
from loyalty_service.pin_hashes import PinHasher, PinSecretError, read_secret, remember_secret, secret_problem
from loyalty_service.database import DatabaseError, database_target, open_database, write_transaction
from loyalty_service.key_cache import CACHE_SECONDS
from loyalty_service.terminal_keys import ROLES, add_key, list_keys, revoke_key

COMMANDS = ("add-key", "list-keys", "revoke-key", "add-manager", "list-managers", "unlock-manager", "remove-manager",
            "add-staff", "list-staff", "disable-staff", "unlock-staff")


class NoPin(Exception):
    """add-manager could not read a PIN; the message says why."""


_PIN_RULE = f"{managers.NEW_PIN_DIGITS[0]} to {managers.NEW_PIN_DIGITS[1]} digits"


def main(argv: list[str]) -> int:
    command, rest = argv[0], argv[1:]
    parser = argparse.ArgumentParser(prog=f"loyalty-service {command}")
    parser.add_argument("--db", type=database_target, required=True, metavar="FILE|URL",
                        help="the service's SQLite file or postgresql:// URL")
    if command == "add-key":
        parser.add_argument("--role", choices=ROLES, default="till",
                            help="till (default): one till, bound to --store and --terminal; hq: head office;"
                            " web: an online shop, which may only post click & collect orders;"
                            " manager: a store manager, bound to --store, who may only read its reports")
        parser.add_argument("--store", help="a till or store manager's key's store id")
        parser.add_argument("--terminal", help="a till key's terminal id")
    elif command == "revoke-key":
        parser.add_argument("--key-id", required=True, help="the key's id, as add-key or list-keys printed it")
    elif command in ("add-manager", "add-staff"):
        if command == "add-staff":
            parser.add_argument("--staff-id", required=True, help="the cashier's id, typed at sign-on (the chain's own)")
        parser.add_argument("--name", required=True, help="the manager's or cashier's name")
        parser.add_argument("--pin-file", type=Path, metavar="FILE|-",
                            help=f"the PIN ({_PIN_RULE}) on the file's first line; -: stdin (default: a prompt)")
        parser.add_argument("--pin", help="the PIN on the command line, where ps and shell history keep it: avoid")
        parser.add_argument("--pin-secret-file", type=Path, metavar="FILE",
                            help="the secret PIN hashes are keyed with (or LOYALTY_PIN_SECRET)")
    elif command in ("unlock-manager", "remove-manager"):
        parser.add_argument("--manager-id", required=True, help="the manager's id, as add-manager or list-managers printed it")
    elif command in ("disable-staff", "unlock-staff"):
        parser.add_argument("--staff-id", required=True, help="the cashier's id")
    args = parser.parse_args(rest)
    if command in ("add-manager", "add-staff"):
        return _add_manager(args)
    database = open_database(args.db)
    try:
        database.create_schema()
    except DatabaseError as error:
        print(f"loyalty-service: {error}", file=sys.stderr)
        return 2
    try:
        with database.connection() as conn, write_transaction(conn):
            if command == "add-key":
                store, terminal = (args.store or "").strip(), (args.terminal or "").strip()
                if args.role in ("hq", "web"):
                    if store or terminal:
                        print(f"loyalty-service: an {args.role.upper()} key belongs to no store or terminal; leave out --store"
                              " and --terminal", file=sys.stderr)
                        return 2
                elif args.role == "manager":
                    if terminal or not store or len(store) > 64:
                        print("loyalty-service: a store manager's key needs --store (1 to 64 characters) and no"
                              " --terminal", file=sys.stderr)
                        return 2
                elif not store or not terminal or len(store) > 64 or len(terminal) > 64:
                    print("loyalty-service: a till key needs --store and --terminal, 1 to 64 characters each",
                          file=sys.stderr)
                    return 2
                key_id, key = add_key(conn, store, terminal, args.role)
                made = {"key_id": key_id, "key": key, "role": args.role}
                if args.role == "till":
                    made |= {"store_id": store, "terminal_id": terminal}
                elif args.role == "manager":
                    made |= {"store_id": store}
                print(json.dumps(made))
                print("loyalty-service: the key is shown only now; give it to the terminal", file=sys.stderr)
            elif command == "list-keys":
                for holder in list_keys(conn):
                    print(json.dumps(holder))
            elif command == "revoke-key":
                if not revoke_key(conn, args.key_id.strip()):
                    print(f"loyalty-service: there is no key {args.key_id.strip()!r} (list-keys shows them)",
                          file=sys.stderr)
                    return 1
                print(f"loyalty-service: key {args.key_id.strip()} revoked; every service on the database"
                      f" refuses it at once (within {CACHE_SECONDS:.0f} s at most)", file=sys.stderr)
            elif command == "list-managers":
                for manager in managers.list_managers(conn):
                    print(json.dumps(manager))
            elif command == "list-staff":
                for cashier in staff.listed(conn).staff:
                    print(cashier.model_dump_json())
            elif command in ("disable-staff", "unlock-staff"):
                staff_id = args.staff_id.strip()
                if not (staff.disable if command == "disable-staff" else staff.unlock)(conn, staff_id):
                    print(f"loyalty-service: there is no cashier {staff_id!r} (list-staff shows them)", file=sys.stderr)
                    return 1
                print(f"loyalty-service: cashier {staff_id} " + ("disabled" if command == "disable-staff" else "unlocked"),
                      file=sys.stderr)
            else:
                manager_id = args.manager_id.strip()
                done = (managers.unlock_stored(conn, manager_id) if command == "unlock-manager"
                        else managers.remove_manager(conn, manager_id))
                if not done:
                    print(f"loyalty-service: there is no manager {manager_id!r} (list-managers shows them)",
                          file=sys.stderr)
                    return 1
                print(f"loyalty-service: manager {manager_id} "
                      + ("unlocked" if command == "unlock-manager" else "removed"), file=sys.stderr)
    finally:
        database.close()
    return 0


def _add_manager(args: argparse.Namespace) -> int:
    name = " ".join(args.name.split())
    try:
        secret = read_secret(args.pin_secret_file)
        if secret is None:
            raise PinSecretError("add-manager needs the PIN secret the service uses: set LOYALTY_PIN_SECRET or"
                                 " give --pin-secret-file FILE (make one with: openssl rand -hex 32)")
        pin = _pin(args)
    except (PinSecretError, NoPin, OSError) as error:
        print(f"loyalty-service: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
        return 2
    if pin is None or not managers.valid_new_pin(pin) or not name:
        print(f"loyalty-service: --name must not be empty and the PIN must be {_PIN_RULE}", file=sys.stderr)
        return 2
    staff_id = getattr(args, "staff_id", None)
    if staff_id is not None and (problem := staff.problem_with(staff_id, name, pin)):
        print(f"loyalty-service: {problem}", file=sys.stderr)
        return 2
    database = open_database(args.db)
    try:
        database.create_schema()
        with database.connection() as conn, write_transaction(conn):
            problem = secret_problem(conn, secret)
            if problem is None:
                remember_secret(conn, secret)
                if staff_id is None:
                    made = {"manager_id": managers.add_manager(conn, PinHasher(secret), name, pin), "name": name}
                elif staff.add(conn, PinHasher(secret), staff_id, name, pin):
                    made = {"staff_id": staff_id, "name": name}
                else:
                    problem = f"there is a cashier {staff_id!r} already (list-staff shows them)"
    except DatabaseError as error:
        print(f"loyalty-service: {error}", file=sys.stderr)
        return 2
    finally:
        database.close()
    if problem:
        print(f"loyalty-service: {problem}", file=sys.stderr)
        return 2
    print(json.dumps(made))
    print("loyalty-service: the register asks for this id with the PIN", file=sys.stderr)
    return 0


def _pin(args: argparse.Namespace) -> str | None:
    """From --pin-file (- for stdin), --pin (with a warning) or a prompt typed twice."""
    if args.pin_file is not None:
        text = sys.stdin.readline() if str(args.pin_file) == "-" else args.pin_file.read_text()
        return (text.splitlines() or [""])[0].strip()
    if args.pin is not None:
        print("loyalty-service: warning: --pin puts the PIN where ps and shell history keep it; use --pin-file"
              " or the prompt", file=sys.stderr)
        return args.pin.strip()
    if not sys.stdin.isatty():
        raise NoPin("no PIN: give --pin-file FILE, or --pin-file - to read it from stdin")
    pin = getpass.getpass(f"PIN for {args.name.strip()} ({_PIN_RULE}): ")
    if getpass.getpass("The same PIN again: ") != pin:
        raise NoPin("the two PINs differ; nothing was added")
    return pin.strip()
