"""``loyalty-service report``: the managers' reports (reports.py) on the service's host, as a table
or CSV.

    loyalty-service report --db FILE|URL sales|enrolments|rewards|survey [--by store|till|cashier|hour|day]
                           [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--store S] [--format table|csv] [--program FILE]

The figures are those of ``GET /v1/reports/...`` for head office (every store, or ``--store``).
CSV gives money in minor units, as the API does, with the sales report's total as a last row whose
first column is ``total``; the table shows money in the currency's units (``12.34``) for reading.
Names from the data (cashiers') are printed as text: a control character becomes ``?``.
``survey`` is the survey answers' report (survey_report.py), per question and answer.
"""

from __future__ import annotations

import argparse
import csv
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from loyalty_service.database import DatabaseError, database_target, open_database
from loyalty_service.errors import ApiError
from loyalty_service.program import Program, ProgramError, load_program
from loyalty_service.reports import BYS, enrolments_report, period, rewards_report, sales_report
from loyalty_service.survey_report import survey_report

COMMANDS = ("report",)
REPORTS = ("sales", "enrolments", "rewards", "survey")
# Money columns (minor units), shown in the currency's units in a table.
MONEY = frozenset({"rewards_cost", "average_basket_member", "average_basket_non_member", "cost"})
# The sales report's key columns for each ``by``; the other keys are null there.
SALES_KEYS = {"store": ("store_id",), "till": ("store_id", "terminal_id"), "cashier": ("cashier_id", "cashier_name"),
              "hour": ("hour",), "day": ("day",)}
SALES_FIGURES = ("sales", "member_sales", "participation", "enrolments", "rewards_redeemed", "rewards_cost",
                 "average_basket_member", "average_basket_non_member", "referrals", "orders_placed",
                 "orders_collected")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loyalty-service report")
    parser.add_argument("--db", type=database_target, required=True, metavar="FILE|URL",
                        help="the service's SQLite file or postgresql:// URL")
    parser.add_argument("report", choices=REPORTS, help="which report")
    parser.add_argument("--by", choices=BYS, default="store", help="the sales report's rows (default: store)")
    parser.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="the first day (default: today)")
    parser.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="the last day, inclusive (default: today)")
    parser.add_argument("--store", help="one store (default: every store)")
    parser.add_argument("--format", choices=("table", "csv"), default="table", help="table (default) or csv")
    parser.add_argument("--program", type=Path, metavar="FILE",
                        help="the loyalty programme (TOML): its timezone and currency (default: the demo store's)")
    return parser


def main(argv: list[str], out: TextIO | None = None) -> int:
    args = _parser().parse_args(argv[1:])
    out = out or sys.stdout
    try:
        program = load_program(args.program) if args.program else load_program()
        span = period(program, args.first, args.last)
    except ProgramError as error:
        print(f"loyalty-service: {error}", file=sys.stderr)
        return 2
    except ApiError as error:
        print(f"loyalty-service: {error.message}", file=sys.stderr)
        return 2
    try:
        database = open_database(args.db)
    except DatabaseError as error:
        print(f"loyalty-service: {error}", file=sys.stderr)
        return 2
    try:
        database.create_schema()  # an older database gets the reports' indexes
        with database.connection() as conn:
            if args.report == "sales":
                answer = sales_report(conn, program, args.by, span, args.store).contract()
                columns = [*SALES_KEYS[args.by], *SALES_FIGURES]
                rows = [*answer["rows"], {**answer["total"], columns[0]: "total"}]
            elif args.report == "enrolments":
                answer = enrolments_report(conn, span, args.store).contract()
                columns, rows = ["store_id", "cashier_id", "cashier_name", "enrolments"], answer["rows"]
            elif args.report == "rewards":
                answer = rewards_report(conn, program, span, args.store).contract()
                columns, rows = ["reward_id", "name", "redeemed", "cost"], answer["rows"]
            else:
                answer = survey_report(conn, program, span, args.store).contract()
                columns, rows = ["question_id", "question", "answer", "count"], answer["rows"]
    except DatabaseError as error:
        print(f"loyalty-service: {error}", file=sys.stderr)
        return 2
    finally:
        database.close()
    if args.format == "csv":
        write_csv(out, columns, rows)
    else:
        print(f"{args.report} {answer['from']} to {answer['to']} ({program.timezone}), "
              f"{'store ' + args.store if args.store else 'every store'}", file=out)
        write_table(out, columns, rows, program)
    return 0


def write_csv(out: TextIO, columns: list[str], rows: list[dict[str, Any]]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in columns])


def write_table(out: TextIO, columns: list[str], rows: list[dict[str, Any]], program: Program) -> None:
    cells = [[_cell(row.get(c), c, program) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    numeric = [c not in ("store_id", "terminal_id", "cashier_id", "cashier_name", "hour", "day", "reward_id",
                         "name", "question_id", "question", "answer") for c in columns]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if right else v.ljust(w) for v, w, right in zip(values, widths, numeric)).rstrip()

    print(line(columns), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print(line(row), file=out)
    if not cells:
        print("(nothing in this period)", file=out)


def _cell(value: Any, column: str, program: Program) -> str:
    if value is None:
        return "-"
    if column in MONEY and isinstance(value, int):
        return str(Decimal(value).scaleb(-program.exponent))
    return "".join("?" if unicodedata.category(ch).startswith("C") else ch for ch in str(value))
