"""Quotes and sales. A sale is recorded once per Idempotency-Key, whatever the retries."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from loyalty_service import points_review, referrals, reservations, sale_limits
from loyalty_service.accounts import member_points, next_reward, tier_status
from loyalty_service.clock import service_now, utc_now
from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.events import account_changed
from loyalty_service.pricing import Line, Priced, PricingError, price
from loyalty_service.program import Program
from loyalty_service.tier_qualification import after_sale, qualifying
from loyalty_service.schemas import (
    AccountSales,
    BreakdownEntry,
    Discount,
    DiscountLine,
    ErrorDetail,
    Quote,
    QuoteRequest,
    Sale,
    SaleEntry,
    SaleRequest,
)

# The canonical text form only: the key is also the sale's id, so it must read back as sent.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def sale_id_from_key(key: str | None) -> str:
    """The sale id an Idempotency-Key names (lower case), or 422 invalid_request."""
    if not key:
        raise ApiError(422, "invalid_request", "An Idempotency-Key header (a UUID, the sale's id) is needed.",
                       [ErrorDetail(field="Idempotency-Key", problem="missing")])
    sale_id = canonical_sale_id(key)
    if sale_id is None:
        raise ApiError(422, "invalid_request", "The Idempotency-Key must be a UUID.",
                       [ErrorDetail(field="Idempotency-Key", problem="not a UUID")])
    return sale_id


def canonical_sale_id(text: str) -> str | None:
    """The sale id ``text`` names (a UUID, lower case), or None when it names none."""
    sale_id = text.strip().lower()
    return sale_id if _UUID.fullmatch(sale_id) else None


def _account_points(conn: Connection, account_id: str) -> tuple[int, int]:
    # An erased account (privacy.py) takes no new sale; a replay of one it had is answered before this.
    member = member_points(conn, account_id)
    if member is None:
        raise ApiError(404, "not_found", "There is no such account.")
    return member[1], member[2]


def _price(program: Program, body: QuoteRequest | SaleRequest, balance: int, lifetime: int) -> Priced:
    # ``lifetime``: the figure the tiers are measured on (tier_qualification.qualifying).
    if body.currency is not None and body.currency != program.currency:
        raise ApiError(422, "currency_mismatch", f"This programme runs in {program.currency}.",
                       [ErrorDetail(field="currency", problem=f"must be {program.currency}")])
    sale_limits.check_amount(program, body.lines)
    tier, _ = program.tier_for(lifetime)
    lines = [Line(line.sku, line.name, line.category, line.quantity, line.unit_price) for line in body.lines]
    try:
        priced = price(program, lines, list(body.rewards), tier.multiplier, at=service_now(),
                       points_to_spend=body.points_to_spend, tier_name=tier.name)
    except PricingError as error:
        raise ApiError(422, error.code, error.message, [ErrorDetail(field="rewards", problem=error.message)]) from None
    # A balance below zero is a points debt (returns.py): it refuses rewards, never a sale without them.
    if priced.points_redeemed and priced.points_redeemed > balance:
        raise ApiError(422, "insufficient_points",
                       f"The rewards cost {priced.points_redeemed} points; the balance is {balance}.")
    return priced


def _priced_fields(priced: Priced) -> dict[str, Any]:
    """What a quote and a sale's answer both say about the price."""
    return {
        "subtotal": priced.subtotal,
        "discounts": [
            Discount(reward_id=d.reward_id, name=d.name, amount=d.amount,
                     lines=[DiscountLine(line=i, amount=a) for i, a in d.lines] if d.lines else None)
            for d in priced.discounts
        ],
        "discount_total": priced.discount_total,
        "total": priced.total,
        "points_earned": priced.points_earned,
        "points_redeemed": priced.points_redeemed,
        "breakdown": [_explained(entry) for entry in priced.breakdown],
    }


def _explained(entry: Any) -> BreakdownEntry:
    """A pricing.Explanation as the contract writes it: decimals as strings, without exponents."""
    return BreakdownEntry(
        rule=entry.rule, sku=entry.sku, name=entry.name, quantity=entry.quantity, amount=entry.amount,
        discount=entry.discount, eligible_amount=entry.eligible_amount,
        multiplier=None if entry.multiplier is None else _decimal_text(entry.multiplier),
        points=_decimal_text(entry.points), rule_id=entry.rule_id, note=entry.note,
    )


def _decimal_text(value: Any) -> str:
    return format(value.normalize(), "f") if value else "0"


def quote(conn: Connection, program: Program, body: QuoteRequest) -> Quote:
    balance, lifetime = _account_points(conn, body.account_id)
    priced = _price(program, body, balance, qualifying(conn, program, body.account_id, lifetime))
    return Quote(
        account_id=body.account_id,
        currency=program.currency,
        **_priced_fields(priced),
        eligible_amount=priced.eligible_amount,
        balance=balance,
        balance_after=balance - priced.points_redeemed + priced.points_earned,
    )


def request_hash(body: SaleRequest) -> str:
    """sha256 of the parsed body as canonical JSON, so key order and spacing do not matter."""
    document = body.model_dump(mode="json")
    # The hold a sale redeems is how it was paid for, not what it is: a replay that names another
    # reservation, or none, is still the same sale (and bodies hash as before reservations existed).
    document.pop("reservation_id", None)
    document.pop("presence", None)  # likewise the proof the customer was there (presence.py)
    if document.get("cashier_id") is None:
        document.pop("cashier_id", None)  # likewise for bodies from before cashiers signed on
    for field in ("email_receipt", "receipt_email"):  # likewise for bodies from before digital receipts
        if document.get(field) is None:
            document.pop(field, None)
    if document.get("points_to_spend") is None:
        document.pop("points_to_spend", None)  # likewise for bodies from before points as money
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _change(program: Program, body: SaleRequest, total: int) -> int:
    sale_limits.check_tender(program, body.tender)
    paid = sum(t.amount for t in body.tender)
    if paid < total:
        raise ApiError(422, "insufficient_tender", f"The tender ({paid}) does not cover the total ({total}).",
                       [ErrorDetail(field="tender", problem="does not cover the total")])
    change = paid - total
    cash = sum(t.amount for t in body.tender if t.method == "cash")
    if change > cash:
        # Change is given in cash, so only cash may be more than what is owed.
        raise ApiError(422, "invalid_request", "A card tender is more than the total.",
                       [ErrorDetail(field="tender", problem="only cash may exceed the total")])
    return change


def spends_points(body: SaleRequest) -> bool:
    return bool(body.rewards) or body.points_to_spend is not None


def record_sale(
    conn: Connection, program: Program, sale_id: str, body: SaleRequest,
    *, new_sale_check: Callable[[], None] = lambda: None,
) -> tuple[Sale, bool]:
    """(the answer, whether it is a replay). Call inside a BEGIN IMMEDIATE transaction, so the
    key check and the inserts are one step that concurrent requests cannot interleave.
    ``new_sale_check``: what only a sale not recorded before must pass (proof of presence); a
    replay is answered as recorded."""
    digest = request_hash(body)
    existing = conn.execute("SELECT request_hash, answer FROM sales WHERE sale_id = ?", (sale_id,)).fetchone()
    if existing is not None:
        if existing["request_hash"] != digest:
            raise ApiError(409, "idempotency_conflict", "This Idempotency-Key was used for another sale.")
        return Sale.model_validate_json(existing["answer"]), True
    new_sale_check()
    balance, lifetime = _account_points(conn, body.account_id)
    # Points other tills hold for their customers' rewards cannot be spent here (reservations.py).
    spendable = reservations.available_for_sale(conn, body.account_id, balance, body.reservation_id)
    measured = qualifying(conn, program, body.account_id, lifetime)
    priced = _price(program, body, spendable, measured)
    change = _change(program, body, priced.total)
    stamp = utc_now()
    held = priced.points_earned if points_review.holds(program, priced.points_earned) else 0
    credited = priced.points_earned - held
    # The member's first qualifying purchase pays their referral bonus (referrals.py).
    bonus = referrals.bonus_for_sale(conn, program, body.account_id, priced.total)
    referral_points = bonus.referee_points if bonus is not None and bonus.paid else 0
    new_balance = balance - priced.points_redeemed + credited + referral_points
    answer = Sale(
        sale_id=sale_id,
        account_id=body.account_id,
        store_id=body.store_id,
        terminal_id=body.terminal_id,
        currency=program.currency,
        created_at=stamp,
        lines=body.lines,
        rewards=body.rewards,
        tender=body.tender,
        **_priced_fields(priced),
        change=change,
        balance=new_balance,
        tier=tier_status(program, after_sale(program, measured, credited, priced.total)),
        next_reward=next_reward(program, new_balance),
        points_held_for_review=held,
        referral_points=referral_points,
    )
    with conn.pipeline():  # the writes go together: one round trip on PostgreSQL, not four or more
        _write_sale(conn, program, sale_id, body, digest, answer, priced, held, (balance, lifetime), stamp)
    if bonus is not None:
        referrals.settle(conn, program, bonus, sale_id, stamp, {"store_id": body.store_id, "terminal_id": body.terminal_id},
                         referee_before=(new_balance - referral_points, lifetime + credited))
    return answer, False


def _write_sale(
    conn: Connection, program: Program, sale_id: str, body: SaleRequest, digest: str, answer: Sale, priced: Priced,
    held: int, before: tuple[int, int], stamp: str,
) -> None:
    lifetime = before[1]
    credited = priced.points_earned - held
    conn.execute(
        "INSERT INTO sales (sale_id, request_hash, account_id, store_id, terminal_id, answer, created_at, cashier_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (sale_id, digest, body.account_id, body.store_id, body.terminal_id, answer.model_dump_json(), stamp,
         body.cashier_id),
    )
    for discount in priced.discounts:
        conn.execute(
            "INSERT INTO ledger (account_id, delta, kind, sale_id, reward_id, created_at)"
            " VALUES (?, ?, 'redeem', ?, ?, ?)",
            (body.account_id, -discount.cost, sale_id, discount.reward_id, stamp),
        )
    if held:
        points_review.hold(conn, sale_id, body.account_id, body.store_id, body.terminal_id, held, stamp)
    elif priced.points_earned:
        conn.execute(
            "INSERT INTO ledger (account_id, delta, kind, sale_id, created_at) VALUES (?, ?, 'earn', ?, ?)",
            (body.account_id, priced.points_earned, sale_id, stamp),
        )
    reservations.redeem(conn, body.reservation_id, sale_id)
    # What the rows above make of the account, known without summing its ledger again.
    after = (answer.balance - answer.referral_points, lifetime + credited)
    account_changed(conn, program, body.account_id, before, {
        "cause": "sale", "sale_id": sale_id, "store_id": body.store_id, "terminal_id": body.terminal_id,
    }, after=after)


def get_sale(conn: Connection, sale_id: str) -> Sale:
    row = conn.execute("SELECT answer FROM sales WHERE sale_id = ?", (sale_id.strip().lower(),)).fetchone()
    if row is None:
        raise ApiError(404, "not_found", "There is no such sale.")
    return Sale.model_validate_json(row["answer"])


def account_sales(conn: Connection, program: Program, account_id: str, limit: int) -> AccountSales:
    """The account's sales, newest first: what a return looks up and a till checks after a replay."""
    _account_points(conn, account_id)
    rows = conn.execute(
        "SELECT answer FROM sales WHERE account_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
        (account_id, limit),
    ).fetchall()
    entries = []
    for row in rows:
        sale = Sale.model_validate_json(row["answer"])
        entries.append(SaleEntry(
            sale_id=sale.sale_id, store_id=sale.store_id, terminal_id=sale.terminal_id, created_at=sale.created_at,
            total=sale.total, points_earned=sale.points_earned, points_redeemed=sale.points_redeemed,
        ))
    return AccountSales(account_id=account_id, currency=program.currency, sales=entries)
