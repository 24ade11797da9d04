"""``loyalty-service export-customer``, ``erase-customer``, ``withdraw-marketing`` and
``prune-sale-lines``: what a chain's IT runs on the service's host when a customer asks (privacy.py).

    loyalty-service export-customer --db FILE|URL (--account ID | --phone PHONE) [--out FILE]
    loyalty-service erase-customer --db FILE|URL (--account ID | --phone PHONE) --yes
    loyalty-service withdraw-marketing --db FILE|URL (--account ID | --phone PHONE)
    loyalty-service prune-sale-lines --db FILE|URL [--program FILE]   now, as the service does hourly

A phone number is read in the programme's region (``--program``, default the demo store's).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from loyalty_service import privacy
from loyalty_service.database import DatabaseError, database_target, open_database, write_transaction
from loyalty_service.errors import ApiError
from loyalty_service.program import ProgramError, load_program
from loyalty_service.sale_line_retention import prune

COMMANDS = ("export-customer", "erase-customer", "withdraw-marketing", "prune-sale-lines")


def _parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"loyalty-service {command}")
    parser.add_argument("--db", type=database_target, required=True, metavar="FILE|URL",
                        help="the service's SQLite file or postgresql:// URL")
    parser.add_argument("--program", type=Path, metavar="FILE", help="the loyalty programme (TOML)")
    if command != "prune-sale-lines":
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--account", help="the account id (acc_...)")
        who.add_argument("--phone", help="the phone number the customer enrolled with")
    if command == "export-customer":
        parser.add_argument("--out", type=Path, metavar="FILE",
                            help="write the JSON here (readable by its owner only); default: stdout")
    if command == "erase-customer":
        parser.add_argument("--yes", action="store_true", help="erase: it cannot be undone")
    return parser


def main(argv: list[str]) -> int:
    command = argv[0]
    args = _parser(command).parse_args(argv[1:])
    if command == "erase-customer" and not args.yes:
        print("loyalty-service: erasure cannot be undone; run again with --yes (export-customer first if the"
              " customer wants a copy)", file=sys.stderr)
        return 2
    try:
        program = load_program(args.program) if args.program else load_program()
    except ProgramError as error:
        print(f"loyalty-service: {error}", file=sys.stderr)
        return 2
    database = open_database(args.db)
    try:
        database.create_schema()
        with database.connection() as conn:
            if command == "prune-sale-lines":
                print(json.dumps({"sales_pruned": prune(conn, program.keep_sale_lines_months)}))
                return 0
            account_id = args.account.strip() if args.account else privacy.account_for_phone(conn, program, args.phone)
            if account_id is None:
                print("loyalty-service: no account has that phone number", file=sys.stderr)
                return 1
            if command == "export-customer":
                document = json.dumps(privacy.export(conn, program, account_id), indent=2, ensure_ascii=False)
                if args.out is None:
                    print(document)
                else:
                    descriptor = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                        handle.write(document + "\n")
                    print(f"loyalty-service: the export of {account_id} is in {args.out}", file=sys.stderr)
            elif command == "erase-customer":
                with write_transaction(conn):
                    erased = privacy.erase(conn, account_id)
                privacy.drop_old_copies(conn)
                print(erased.model_dump_json())
            else:
                with write_transaction(conn):
                    print(privacy.withdraw_marketing(conn, program, account_id, None, "cli").model_dump_json())
    except ApiError as error:
        print(f"loyalty-service: {error.message}", file=sys.stderr)
        return 1
    except DatabaseError as error:
        print(f"loyalty-service: {error}", file=sys.stderr)
        return 2
    finally:
        database.close()
    return 0
