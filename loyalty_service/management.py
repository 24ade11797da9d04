"""``loyalty-service add-key`` and ``add-manager``: what a chain's IT runs on the service's host.

    loyalty-service add-key --db FILE|URL --store S --terminal T      prints a new till key, once
    loyalty-service add-key --db FILE|URL --role hq                   prints a new head-office key, once
    loyalty-service list-keys --db FILE|URL                           the keys' ids, roles, stores and terminals
    loyalty-service revoke-key --db FILE|URL --key-id ID              the key stops working within seconds
    loyalty-service add-manager --db FILE|URL --name NAME --pin PIN   a manager who may adjust points

Only hashes are stored (terminal_keys.py, adjustments.py); the key cannot be shown again.
"""

from __future__ import annotations

import argparse
import json
import sys

from loyalty_service.adjustments import add_manager, valid_pin
from loyalty_service.database import DatabaseError, database_target, open_database, write_transaction
from loyalty_service.auth import CACHE_SECONDS
from loyalty_service.terminal_keys import ROLES, add_key, list_keys, revoke_key

COMMANDS = ("add-key", "list-keys", "revoke-key", "add-manager")


def main(argv: list[str]) -> int:
    command, rest = argv[0], argv[1:]
    parser = argparse.ArgumentParser(prog=f"loyalty-service {command}")
    parser.add_argument("--db", type=database_target, required=True, metavar="FILE|URL",
                        help="the service's SQLite file or postgresql:// URL")
    if command == "add-key":
        parser.add_argument("--role", choices=ROLES, default="till",
                            help="till (default): one till, bound to --store and --terminal; hq: head office")
        parser.add_argument("--store", help="a till key's store id")
        parser.add_argument("--terminal", help="a till key's terminal id")
    elif command == "revoke-key":
        parser.add_argument("--key-id", required=True, help="the key's id, as add-key or list-keys printed it")
    elif command == "add-manager":
        parser.add_argument("--name", required=True, help="the manager's name, for the audit")
        parser.add_argument("--pin", required=True, help="4 to 12 digits")
    args = parser.parse_args(rest)
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
                if args.role == "hq":
                    if store or terminal:
                        print("loyalty-service: an HQ key belongs to no store or terminal; leave out --store"
                              " and --terminal", file=sys.stderr)
                        return 2
                elif not store or not terminal or len(store) > 64 or len(terminal) > 64:
                    print("loyalty-service: a till key needs --store and --terminal, 1 to 64 characters each",
                          file=sys.stderr)
                    return 2
                key_id, key = add_key(conn, store, terminal, args.role)
                made = {"key_id": key_id, "key": key, "role": args.role}
                if args.role == "till":
                    made |= {"store_id": store, "terminal_id": terminal}
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
                print(f"loyalty-service: key {args.key_id.strip()} revoked; it stops working within"
                      f" {CACHE_SECONDS:.0f} s", file=sys.stderr)
            else:
                if not valid_pin(args.pin) or not args.name.strip():
                    print("loyalty-service: --name must not be empty and --pin must be 4 to 12 digits",
                          file=sys.stderr)
                    return 2
                manager_id = add_manager(conn, args.name, args.pin)
                print(json.dumps({"manager_id": manager_id, "name": " ".join(args.name.split())}))
    finally:
        database.close()
    return 0
