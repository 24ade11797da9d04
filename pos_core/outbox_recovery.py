"""``cashier-tui recover-outbox FILE``: send the sales and returns a damaged outbox still holds, exactly once.

A damaged sales file is moved aside at start (``outbox.open_outbox``); this reads what it can
of it, never writing to it, and delivers each sale it finds to the loyalty service the register
uses: customers' sales first, then sales without a customer, then returns (a return's sale is on
the service before it). Each one's id is its Idempotency-Key, so the service answers one it already
has without crediting, counting or refunding it again: running this twice, or on what the till had
already delivered, is safe. ``--no-returns`` lists the returns instead of sending them.

Reading a damaged file: first SQLite itself (the whole outbox table; then, if that fails, in
ranges of ``seq`` and one row at a time, skipping what cannot be read), then the raw bytes of
the file and its WAL, for sale rows on pages SQLite can no longer reach (a damaged first page
makes the whole file unreadable to SQLite while most sales are still there, byte for byte).
Returns and sales without a customer are found by SQLite only: their rows name no account at the
place the raw scan looks for one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import LoyaltyError, LoyaltyUnavailable, NotFound
from pos_core.outbox import ANONYMOUS, connect_read_only
from pos_core.outbox_sender import send_queued
from pos_core.settings import Settings
from pos_core.staff_models import AnonymousSaleResult

_CHUNK = 256
# An outbox row as SQLite lays it out: the sale id, the account id, then the body (JSON that
# starts with the account id), with nothing between them.
_RAW_ROW = re.compile(
    rb"(?P<sale>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    rb"(?P<account>[A-Za-z0-9_.:-]{1,100})"
    rb'(?=\{"account_id":")'
)


@dataclass(frozen=True, slots=True)
class SalvagedSale:
    sale_id: str  # a return's own id, for a return
    account_id: str
    body: dict[str, Any]
    kind: str = "sale"  # "sale", "anonymous" or "return"
    return_of: str | None = None  # a return's sale id

    @property
    def label(self) -> str:
        """What it is, for the supervisor: "sale …", "return … of sale …", "sale without a customer …"."""
        if self.kind == "return":
            return f"return {self.sale_id} of sale {self.return_of}"
        return f"sale without a customer {self.sale_id}" if self.kind == ANONYMOUS else f"sale {self.sale_id}"


@dataclass
class Salvage:
    sales: dict[str, SalvagedSale] = field(default_factory=dict)  # by sale id, in the order found
    unreadable: int = 0  # rows (seq values) SQLite could not read; the raw scan may still find them
    whole_file_unreadable: str | None = None  # SQLite could not read the outbox at all: why
    from_raw_bytes: int = 0  # sales found only by the raw scan
    # Sales the file says are settled: confirmed by the service, or set aside for a person to
    # check (sending one of those again might now credit it, behind that person's back).
    settled: set[str] = field(default_factory=set)


@dataclass
class Summary:
    delivered: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    # (what it is, as ``SalvagedSale.label`` says it; why)
    refused: list[tuple[str, str]] = field(default_factory=list)
    not_sent: list[tuple[str, str]] = field(default_factory=list)  # the service could not be reached
    held_back: list[str] = field(default_factory=list)  # returns not sent (``--no-returns``): labels
    unreadable: int = 0  # rows neither SQLite nor the raw scan could read (as near as can be told)
    from_raw_bytes: int = 0

    def lines(self) -> list[str]:
        out = [
            f"delivered {len(self.delivered)}, already there {len(self.already_there)},"
            f" refused {len(self.refused)}, not sent {len(self.not_sent)}, unreadable rows {self.unreadable}"
        ]
        if self.from_raw_bytes:
            out.append(f"{self.from_raw_bytes} of these sales were read from the file's bytes (SQLite could not reach them)")
        out += [f"refused: {label}: {reason}" for label, reason in self.refused]
        out += [f"not sent: {label}: {reason}" for label, reason in self.not_sent]
        out += [f"held back (--no-returns): {label}" for label in self.held_back]
        if self.not_sent:
            out.append("Some could not be sent now; run this again when the service can be reached.")
        return out


# -- reading ---------------------------------------------------------------------------------------


def salvage(path: Path) -> Salvage:
    """Every queued sale that can still be read from the damaged file (and its -wal)."""
    found = Salvage()
    try:
        with closing(_connect_read_only(path)) as conn:
            _read_with_sqlite(conn, found)
    except sqlite3.Error as error:
        found.whole_file_unreadable = str(error)
    for sale in _scan_raw(path):
        if sale.sale_id not in found.sales and sale.sale_id not in found.settled:
            found.sales[sale.sale_id] = sale
            found.from_raw_bytes += 1
    return found


def _connect_read_only(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise FileNotFoundError(path)
    return connect_read_only(path)


def _read_with_sqlite(conn: sqlite3.Connection, found: Salvage) -> None:
    for sql in (
        "SELECT sale_id FROM completed_sales NOT INDEXED WHERE loyalty_answer IS NOT NULL",
        "SELECT sale_id FROM outbox NOT INDEXED WHERE state = 'set_aside'",
    ):
        try:
            found.settled.update(row[0] for row in conn.execute(sql))
        except sqlite3.DatabaseError:
            pass  # not knowing only means more replays, which the service answers without crediting
    # A file from before returns and sales without a customer has neither column: all its rows are sales.
    kinds = "kind, return_of" if {"kind", "return_of"} <= _columns(conn) else "'sale', NULL"
    query = f"SELECT sale_id, account_id, body, {kinds} FROM outbox NOT INDEXED WHERE state = 'pending'"
    try:
        rows = conn.execute(query + " ORDER BY seq").fetchall()
    except sqlite3.DatabaseError as error:
        failure, rows = str(error), None
    if rows is not None:
        _keep(rows, found)
        return
    last = _last_seq(conn)
    if last == 0:
        found.whole_file_unreadable = failure
    for start in range(1, last + 1, _CHUNK):
        _read_range(conn, query, start, min(last, start + _CHUNK - 1), found)


def _read_range(conn: sqlite3.Connection, query: str, first: int, last: int, found: Salvage) -> None:
    try:
        rows = conn.execute(query + " AND seq BETWEEN ? AND ? ORDER BY seq", (first, last)).fetchall()
    except sqlite3.DatabaseError:
        if first == last:
            found.unreadable += 1
            return
        middle = (first + last) // 2
        _read_range(conn, query, first, middle, found)
        _read_range(conn, query, middle + 1, last, found)
        return
    _keep(rows, found)


def _columns(conn: sqlite3.Connection) -> set[str]:
    try:
        return {row[1] for row in conn.execute("PRAGMA table_info(outbox)")}
    except sqlite3.DatabaseError:
        return {"kind", "return_of"}  # the schema cannot be read: the queries will say what can be


def _last_seq(conn: sqlite3.Connection) -> int:
    """The highest seq ever given out, as far as anything in the file still says."""
    for sql in ("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'", "SELECT MAX(seq) FROM outbox"):
        try:
            row = conn.execute(sql).fetchone()
        except sqlite3.DatabaseError:
            continue
        if row and row[0]:
            return int(row[0])
    return 0


def _keep(rows: list[tuple[Any, ...]], found: Salvage) -> None:
    for sale_id, account_id, body, kind, return_of in rows:
        try:
            document = json.loads(body)
        except (TypeError, ValueError):
            found.unreadable += 1
            continue
        if not isinstance(document, dict):
            found.unreadable += 1
        elif kind == "return" and return_of:
            found.sales[sale_id] = SalvagedSale(sale_id, account_id, document, "return", str(return_of))
        elif kind == ANONYMOUS:
            found.sales[sale_id] = SalvagedSale(sale_id, account_id, document, ANONYMOUS)
        elif kind == "sale" and "account_id" in document:
            found.sales[sale_id] = SalvagedSale(sale_id, account_id, document)
        else:  # a kind this version does not know, or a sale that names no customer
            found.unreadable += 1


def _scan_raw(path: Path) -> Iterator[SalvagedSale]:
    """Sale rows read straight from the bytes: what SQLite cannot reach may still be there.

    Stale copies (a row since confirmed and deleted, an old WAL frame) may turn up too: the
    service answers those as replays, so sending them again changes nothing.
    """
    decoder = json.JSONDecoder()
    for part in (path, Path(f"{path}-wal")):
        try:
            data = part.read_bytes()
        except OSError:
            continue
        for match in _RAW_ROW.finditer(data):
            start = match.end()
            text = data[start:start + 65536].decode("utf-8", errors="replace")
            try:
                body, _ = decoder.raw_decode(text)
            except ValueError:
                continue  # cut by a page boundary or by the damage
            account_id = match["account"].decode()
            if isinstance(body, dict) and body.get("account_id") == account_id:
                yield SalvagedSale(match["sale"].decode(), account_id, body)


# -- sending ---------------------------------------------------------------------------------------


_ORDER = {"sale": 0, ANONYMOUS: 1, "return": 2}


async def deliver(found: Salvage, client: LoyaltyClient, *, returns: bool = True) -> Summary:
    """Each salvaged sale and return to the service once: looked up first, sent only if it is
    not there (a sale without a customer cannot be looked up: the service answers it as a replay).
    Without ``returns``, returns are listed, not sent."""
    summary = Summary(unreadable=max(0, found.unreadable - found.from_raw_bytes), from_raw_bytes=found.from_raw_bytes)
    for sale in sorted(found.sales.values(), key=lambda item: _ORDER.get(item.kind, 0)):  # stable: each kind in order
        if sale.kind == "return" and not returns:
            summary.held_back.append(sale.label)
            continue
        try:
            if await _is_there(client, sale):
                summary.already_there.append(sale.sale_id)
                continue
        except LoyaltyUnavailable as error:
            summary.not_sent.append((sale.label, error.message))
            continue
        except LoyaltyError as error:
            summary.refused.append((sale.label, error.message))
            continue
        try:
            replayed = await _send(client, sale)
        except LoyaltyUnavailable as error:
            summary.not_sent.append((sale.label, error.message))
        except LoyaltyError as error:
            summary.refused.append((sale.label, error.message))
        else:
            (summary.already_there if replayed else summary.delivered).append(sale.sale_id)
    return summary


async def _is_there(client: LoyaltyClient, sale: SalvagedSale) -> bool:
    if sale.kind == ANONYMOUS:
        return False
    try:
        if sale.kind == "return":
            made = (await client.sale_returns(sale.return_of or "")).get("returns") or []
            return any(isinstance(one, dict) and one.get("return_id") == sale.sale_id for one in made)
        await client.sale(sale.sale_id)
        return True
    except NotFound:
        return False


async def _send(client: LoyaltyClient, sale: SalvagedSale) -> bool:
    """As the till's sender sends it; True when the service said it had it already (only a sale
    without a customer, which cannot be looked up first, can say so)."""
    result = await send_queued(client, sale.kind, sale.sale_id, sale.body, sale.return_of)
    return isinstance(result, AnonymousSaleResult) and result.replayed


async def recover(path: Path, settings: Settings, *, returns: bool = True) -> Summary:
    found = await asyncio.to_thread(salvage, path)
    async with LoyaltyClient(settings.api_url or "", settings.api_key or "", deadlines=settings.deadlines) as client:
        return await deliver(found, client, returns=returns)


# -- the command -----------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    """0: every sale and return found is on the service (or was refused or held back, listed);
    1: some could not be sent."""
    from pos_core.launch import argument_parser, run

    parser = argument_parser(
        "cashier-tui recover-outbox",
        "Send the sales and returns a damaged sales file (outbox.damaged-….db) still holds to the loyalty"
        " service, with the register's settings. Safe to run again.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the damaged sales file")
    parser.add_argument("--no-returns", action="store_true",
                        help="list the returns the file holds instead of sending them (for a file whose returns"
                             " were entered again by hand, as versions before this one said to)")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"cashier-tui recover-outbox: no such file: {args.file}", file=sys.stderr)
        return 2
    outcome: list[int] = []

    def start(settings: Settings) -> None:
        outcome.append(_report(args, settings))

    status = run("cashier-tui recover-outbox", args, start)
    return outcome[0] if outcome else status


def _report(args: argparse.Namespace, settings: Settings) -> int:
    summary = asyncio.run(recover(args.file, settings, returns=not args.no_returns))
    for line in summary.lines():
        print(line)
    return 1 if summary.not_sent else 0
