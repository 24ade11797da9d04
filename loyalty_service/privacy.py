"""A customer's rights over their data (GDPR): a copy of everything held about them, erasure, and
withdrawing marketing consent. The HQ routes (app.py) and the CLI (privacy_commands.py) call these.

Erasure keeps the account's row and its ledger, anonymous: the name is emptied, the phone becomes
``erased:<account_id>`` (so the number is free to enrol again, as a new account), the card, QR and
NFC identifiers are deleted, every sale's and return's lines go (``"lines_removed": "erased"``),
the lines of their click & collect orders too, the account's events are deleted, held reservations
released and adjustment reasons (free text a manager typed) emptied; the e-mail address goes, with
the addresses of receipts still queued and the receipts' pages (digital_receipts.py). Balances, totals, points and the sales' request hashes stay, so the books
add up and a till replaying one of the customer's sales from its outbox gets the recorded answer
(without lines) and credits nothing twice. Consents stay: they hold no personal data and are the
record of what was agreed and when. An erased account is found by nothing (accounts.summary,
sales), and takes no new sale (404).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field

from loyalty_service import digital_receipts, orders
from loyalty_service.accounts import points
from loyalty_service.clock import utc_now
from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.phone_numbers import normalise_phone
from loyalty_service.program import Program
from loyalty_service.sale_line_retention import strip_lines
from loyalty_service.schemas import RequestBody

EXPORT_FORMAT = "loyalty-customer-export/1"


class WhereRequest(RequestBody):
    """Where a customer asked: a till key's own store and terminal are filled in."""

    store_id: str | None = Field(default=None, max_length=64)
    terminal_id: str | None = Field(default=None, max_length=64)


class Consent(BaseModel):
    account_id: str
    terms_version: str
    marketing: bool
    recorded_at: str
    store_id: str | None
    terminal_id: str | None
    recorded: bool = Field(description="false when marketing consent was already withdrawn: nothing new recorded")


class Erasure(BaseModel):
    account_id: str
    erased_at: str
    already_erased: bool
    identifiers_removed: int
    sales_stripped: int = Field(description="sales whose lines were removed now")
    events_removed: int
    balance: int = Field(description="the account's points, kept anonymously")


def _account(conn: Connection, account_id: str) -> Any:
    row = conn.execute("SELECT account_id, name, phone, created_at, erased_at, email, email_receipts FROM accounts"
                       " WHERE account_id = ?",
                       (account_id,)).fetchone()
    if row is None:
        raise ApiError(404, "not_found", "There is no such account.")
    return row


def account_for_phone(conn: Connection, program: Program, phone: str) -> str | None:
    """The account enrolled with this phone number, if any (an erased account has none)."""
    number = normalise_phone(phone.strip(), program.region)
    if number is None:
        return None
    row = conn.execute("SELECT account_id FROM accounts WHERE phone = ?", (number,)).fetchone()
    return None if row is None else str(row["account_id"])


# -- payment card numbers never leave in an export ------------------------------------------------

# A run of 12 or more digits, maybe grouped by spaces or dashes: where a card number could be.
_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d){11,}")
CARD_LENGTHS = range(19, 11, -1)


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def mask_card_numbers(text: str) -> str:
    """``text`` with every run of 12 or more digits that holds a Luhn-valid 12-19 digit stretch
    replaced by ``•••• 1234`` (that stretch's last four): the till's rule (devices/payload.py)."""

    def mask(run: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", run[0])
        for length in CARD_LENGTHS:
            for start in range(len(digits) - length + 1):
                window = digits[start:start + length]
                if luhn_ok(window):
                    return "•••• " + window[-4:]
        return run[0]

    return _DIGIT_RUN.sub(mask, text)


# -- export ---------------------------------------------------------------------------------------


def _rows(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{key: row[key] for key in row.keys()} for row in conn.execute(sql, params).fetchall()]


def export(conn: Connection, program: Program, account_id: str) -> dict[str, Any]:
    """Everything held about the account, as one JSON document."""
    account = _account(conn, account_id)
    balance, lifetime = points(conn, account_id)
    consents = _rows(conn, "SELECT terms_version, marketing, recorded_at, store_id, terminal_id, given_at"
                           " FROM consents WHERE account_id = ? ORDER BY id", (account_id,))
    for consent in consents:
        consent["marketing"] = bool(consent["marketing"])
    identifiers = _rows(conn, "SELECT method, value FROM identifiers WHERE account_id = ? ORDER BY method, value",
                        (account_id,))
    for identifier in identifiers:
        if identifier["method"] in ("card", "qr"):
            identifier["value"] = mask_card_numbers(identifier["value"])
    sales = [json.loads(row["answer"]) for row in conn.execute(
        "SELECT answer FROM sales WHERE account_id = ? ORDER BY created_at, sale_id", (account_id,)).fetchall()]
    returns = [json.loads(row["answer"]) for row in conn.execute(
        "SELECT r.answer FROM sale_returns r JOIN sales s ON s.sale_id = r.sale_id WHERE s.account_id = ?"
        " ORDER BY r.created_at, r.return_id", (account_id,)).fetchall()]
    reservations = _rows(conn, "SELECT reservation_id, rewards, points, store_id, terminal_id, status, created_at,"
                               " expires_at, sale_id FROM reservations WHERE account_id = ? ORDER BY created_at",
                         (account_id,))
    for reservation in reservations:
        reservation["rewards"] = json.loads(reservation["rewards"])
    events = _rows(conn, "SELECT seq, type, data, created_at FROM events WHERE account_id = ? ORDER BY seq",
                   (account_id,))
    for event in events:
        event["data"] = json.loads(event["data"])
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utc_now(),
        "currency": program.currency,
        "account": {key: account[key] for key in ("account_id", "name", "phone", "created_at", "erased_at", "email")}
        | {"email_receipts": bool(account["email_receipts"])},
        "digital_receipts": digital_receipts.exported(conn, account_id),
        "points": {"balance": balance, "lifetime_earned": lifetime},
        "consents": consents,
        "identifiers": identifiers,
        "ledger": _rows(conn, "SELECT delta, kind, sale_id, reward_id, created_at FROM ledger WHERE account_id = ?"
                              " ORDER BY id", (account_id,)),
        "sales": sales,
        "returns": returns,
        "adjustments": _rows(conn, "SELECT adjustment_id, points, reason, manager, store_id, terminal_id, created_at"
                                   " FROM adjustments WHERE account_id = ? ORDER BY created_at, adjustment_id",
                             (account_id,)),
        "reservations": reservations,
        "flags": _rows(conn, "SELECT day, transactions, flagged_at FROM account_flags WHERE account_id = ?"
                             " ORDER BY day", (account_id,)),
        "events": events,
        "orders": _orders(conn, account_id),
        "referral_code": referral_code["code"] if (referral_code := conn.execute(
            "SELECT code FROM referral_codes WHERE account_id = ?", (account_id,)).fetchone()) else None,
        "referrals": _referrals(conn, account_id),
    }


def _orders(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    """Their click & collect orders: as posted (lines gone once erased or pruned), and what became of them."""
    found = _rows(conn, "SELECT order_id, store_id, status, points_at, created_at, collected_at, sale_id, body"
                        " FROM orders WHERE account_id = ? ORDER BY created_at, order_id", (account_id,))
    for order in found:
        order["body"] = json.loads(order["body"])
    return found


def _referrals(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    """The referrals they were in, as referrer or as the friend referred, with the bonus each paid
    them. The other member is not named: their account is their own data, not this customer's."""
    return _rows(conn, "SELECT 'referrer' AS role, code, status, created_at, paid_at, reversed_at,"
                       " referrer_points AS points FROM referrals WHERE referrer_id = ?"
                       " UNION ALL SELECT 'referred' AS role, code, status, created_at, paid_at, reversed_at,"
                       " referee_points AS points FROM referrals WHERE referee_id = ? ORDER BY created_at",
                 (account_id, account_id))


# -- erasure --------------------------------------------------------------------------------------


def erase(conn: Connection, account_id: str) -> Erasure:
    """Erase the customer's data (see the module's text). Call inside a write transaction;
    erasing an erased account again changes nothing and says so."""
    account = _account(conn, account_id)
    balance, _ = points(conn, account_id)
    if account["erased_at"] is not None:
        return Erasure(account_id=account_id, erased_at=account["erased_at"], already_erased=True,
                       identifiers_removed=0, sales_stripped=0, events_removed=0, balance=balance)
    stamp = utc_now()
    conn.execute("UPDATE accounts SET name = '', phone = ?, erased_at = ? WHERE account_id = ?",
                 (f"erased:{account_id}", stamp, account_id))
    identifiers = conn.execute("DELETE FROM identifiers WHERE account_id = ?", (account_id,)).rowcount
    sales = conn.execute("SELECT sale_id, answer FROM sales WHERE account_id = ?", (account_id,)).fetchall()
    for sale in sales:
        strip_lines(conn, sale["sale_id"], sale["answer"], "erased")
    events = conn.execute("DELETE FROM events WHERE account_id = ?", (account_id,)).rowcount
    orders.erase_lines(conn, account_id)  # click & collect: what they ordered, like what they bought
    conn.execute("UPDATE reservations SET status = 'released' WHERE account_id = ? AND status = 'held'",
                 (account_id,))
    conn.execute("UPDATE adjustments SET reason = '' WHERE account_id = ?", (account_id,))
    digital_receipts.erase(conn, account_id)  # the address, queued e-mails, the receipts' pages
    return Erasure(account_id=account_id, erased_at=stamp, already_erased=False, identifiers_removed=identifiers,
                   sales_stripped=len(sales), events_removed=events, balance=balance)


def drop_old_copies(conn: Connection) -> None:
    """After an erasure has committed: on SQLite, move the write-ahead log into the file (where
    ``secure_delete`` zeroed the old rows) and empty it, so neither file still holds them. On
    PostgreSQL the old row versions go when autovacuum reclaims them (README, "A customer's data")."""
    if conn.dialect == "sqlite":
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# -- marketing consent ----------------------------------------------------------------------------


def withdraw_marketing(
    conn: Connection, program: Program, account_id: str, store_id: str | None, terminal_id: str | None
) -> Consent:
    """Record that the customer no longer wants marketing: a new consent row to the same terms,
    marketing false, now, here. Call inside a write transaction; a second call records nothing."""
    account = _account(conn, account_id)
    if account["erased_at"] is not None:
        raise ApiError(404, "not_found", "There is no such account.")
    latest = conn.execute(
        "SELECT terms_version, marketing, recorded_at, store_id, terminal_id FROM consents WHERE account_id = ?"
        " ORDER BY id DESC LIMIT 1", (account_id,)).fetchone()
    if latest is not None and not latest["marketing"]:
        return Consent(account_id=account_id, terms_version=latest["terms_version"], marketing=False,
                       recorded_at=latest["recorded_at"], store_id=latest["store_id"],
                       terminal_id=latest["terminal_id"], recorded=False)
    terms = latest["terms_version"] if latest is not None else program.terms_version
    stamp = utc_now()
    conn.execute(
        "INSERT INTO consents (account_id, terms_version, marketing, recorded_at, store_id, terminal_id)"
        " VALUES (?, ?, 0, ?, ?, ?)", (account_id, terms, stamp, store_id, terminal_id))
    return Consent(account_id=account_id, terms_version=terms, marketing=False, recorded_at=stamp,
                   store_id=store_id, terminal_id=terminal_id, recorded=True)
