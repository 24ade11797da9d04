"""Quotes and sales. A sale is recorded once per Idempotency-Key, whatever the retries."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from decimal import Decimal
from typing import Any

from loyalty_service.accounts import next_reward_json, now, points, tier_json
from loyalty_service.errors import ApiError
from loyalty_service.pricing import Line, Priced, PricingError, price
from loyalty_service.program import Program
from loyalty_service.schemas import QuoteRequest, SaleRequest


def _account_points(conn: sqlite3.Connection, account_id: str) -> tuple[int, int]:
    if conn.execute("SELECT 1 FROM accounts WHERE account_id = ?", (account_id,)).fetchone() is None:
        raise ApiError(404, "not_found", "There is no such account.")
    return points(conn, account_id)


def _price(program: Program, body: QuoteRequest | SaleRequest, balance: int, lifetime: int) -> Priced:
    if body.currency is not None and body.currency.upper() != program.currency:
        raise ApiError(422, "currency_mismatch", f"This programme runs in {program.currency}.")
    tier, _ = program.tier_for(lifetime)
    lines = [Line(l.sku, l.name, l.category, l.quantity, l.unit_price) for l in body.lines]
    try:
        priced = price(program, lines, list(body.rewards), tier.multiplier)
    except PricingError as error:
        raise ApiError(422, error.code, error.message, [{"field": "rewards", "problem": error.message}]) from None
    if priced.points_redeemed > balance:
        raise ApiError(422, "insufficient_points", f"The rewards cost {priced.points_redeemed} points; the balance is {balance}.")
    return priced


def _discounts(priced: Priced) -> list[dict[str, Any]]:
    return [{"reward_id": d.reward_id, "name": d.name, "amount": d.amount} for d in priced.discounts]


def quote(conn: sqlite3.Connection, program: Program, body: QuoteRequest) -> dict[str, Any]:
    balance, lifetime = _account_points(conn, body.account_id)
    priced = _price(program, body, balance, lifetime)
    return {
        "account_id": body.account_id,
        "currency": program.currency,
        "subtotal": priced.subtotal,
        "discounts": _discounts(priced),
        "discount_total": priced.discount_total,
        "total": priced.total,
        "eligible_amount": priced.eligible_amount,
        "points_earned": priced.points_earned,
        "points_redeemed": priced.points_redeemed,
        "balance": balance,
        "balance_after": balance - priced.points_redeemed + priced.points_earned,
    }


def check_key(key: str | None) -> str:
    if not key:
        raise ApiError(422, "invalid_request", "An Idempotency-Key header (a UUID, the sale's id) is needed.",
                       [{"field": "Idempotency-Key", "problem": "missing"}])
    try:
        return str(uuid.UUID(key.strip()))
    except ValueError:
        raise ApiError(422, "invalid_request", "The Idempotency-Key must be a UUID.",
                       [{"field": "Idempotency-Key", "problem": "not a UUID"}]) from None


def request_hash(body: SaleRequest) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_sale(conn: sqlite3.Connection, program: Program, sale_id: str, body: SaleRequest) -> tuple[dict[str, Any], bool]:
    """(the answer, whether it is a replay). Call inside a write transaction."""
    digest = request_hash(body)
    existing = conn.execute("SELECT request_hash, answer FROM sales WHERE sale_id = ?", (sale_id,)).fetchone()
    if existing is not None:
        if existing["request_hash"] != digest:
            raise ApiError(409, "idempotency_conflict", "This Idempotency-Key was used for another sale.")
        return json.loads(existing["answer"]), True
    balance, lifetime = _account_points(conn, body.account_id)
    priced = _price(program, body, balance, lifetime)
    paid = sum(t.amount for t in body.tender)
    card = sum(t.amount for t in body.tender if t.method == "card")
    if paid < priced.total:
        raise ApiError(422, "insufficient_tender", f"The tender ({paid}) does not cover the total ({priced.total}).")
    change = paid - priced.total
    if change > paid - card:
        raise ApiError(422, "insufficient_tender", "Only cash can be more than the total.")
    stamp = now()
    new_balance = balance - priced.points_redeemed + priced.points_earned
    answer = {
        "sale_id": sale_id,
        "account_id": body.account_id,
        "store_id": body.store_id,
        "terminal_id": body.terminal_id,
        "currency": program.currency,
        "created_at": stamp,
        "lines": [line.model_dump() for line in body.lines],
        "rewards": list(body.rewards),
        "tender": [t.model_dump() for t in body.tender],
        "subtotal": priced.subtotal,
        "discounts": _discounts(priced),
        "discount_total": priced.discount_total,
        "total": priced.total,
        "change": change,
        "points_earned": priced.points_earned,
        "points_redeemed": priced.points_redeemed,
        "balance": new_balance,
        "tier": tier_json(program, lifetime + priced.points_earned),
        "next_reward": next_reward_json(program, new_balance),
    }
    conn.execute(
        "INSERT INTO sales (sale_id, request_hash, account_id, store_id, terminal_id, answer, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (sale_id, digest, body.account_id, body.store_id, body.terminal_id, json.dumps(answer), stamp),
    )
    for reward_id in body.rewards:
        cost = program.reward(reward_id).cost  # type: ignore[union-attr] - priced above
        conn.execute(
            "INSERT INTO ledger (account_id, delta, kind, sale_id, reward_id, created_at) VALUES (?, ?, 'redeem', ?, ?, ?)",
            (body.account_id, -cost, sale_id, reward_id, stamp),
        )
    if priced.points_earned:
        conn.execute(
            "INSERT INTO ledger (account_id, delta, kind, sale_id, created_at) VALUES (?, ?, 'earn', ?, ?)",
            (body.account_id, priced.points_earned, sale_id, stamp),
        )
    return answer, False


def get_sale(conn: sqlite3.Connection, sale_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT answer FROM sales WHERE sale_id = ?", (sale_id,)).fetchone()
    if row is None:
        raise ApiError(404, "not_found", "There is no such sale.")
    return json.loads(row["answer"])
