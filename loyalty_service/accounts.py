"""Accounts: find one by what the customer carries, enrol one, and summarise it for a till."""

from __future__ import annotations

import re
import secrets
import sqlite3
from datetime import UTC, datetime
from typing import Any

from loyalty_service.errors import ApiError
from loyalty_service.phone_numbers import normalise_phone
from loyalty_service.program import Program

_HEX = re.compile(r"[0-9A-F]{8,20}")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def normalise(method: str, value: str, region: str) -> str | None:
    """The stored form of an identifier, or None when it is malformed."""
    value = value.strip()
    if method == "phone":
        return normalise_phone(value, region)
    if method == "card":
        digits = re.sub(r"[\s-]", "", value)
        return digits if digits.isdigit() and digits.isascii() and 8 <= len(digits) <= 19 else None
    if method == "nfc":
        uid = re.sub(r"[\s:-]", "", value).upper()
        return uid if _HEX.fullmatch(uid) else None
    # qr: the app's payload as scanned, printable ASCII only
    return value if 0 < len(value) <= 512 and value.isascii() and value.isprintable() else None


def display_name(name: str) -> str:
    """First name and the initial of the last: 'Sam Taylor' -> 'Sam T.'."""
    parts = name.split()
    if len(parts) < 2:
        return parts[0] if parts else ""
    return f"{parts[0]} {parts[-1][0].upper()}."


def identify(conn: sqlite3.Connection, program: Program, method: str, value: str) -> dict[str, Any]:
    key = normalise(method, value, program.region)
    if key is None:
        raise ApiError(422, "invalid_value", f"That {method} value is malformed.")
    row = conn.execute("SELECT account_id FROM identifiers WHERE method = ? AND value = ?", (method, key)).fetchone()
    if row is None:
        raise ApiError(404, "unknown_customer", f"No customer matches that {method}.")
    return summary(conn, program, row["account_id"])


def enrol(conn: sqlite3.Connection, program: Program, body: Any) -> dict[str, Any]:
    phone = normalise_phone(body.phone.strip(), program.region)
    if phone is None:
        raise ApiError(422, "invalid_phone", "That is not a valid phone number.", [{"field": "phone", "problem": "invalid"}])
    name = " ".join(body.name.split())
    if not name:
        raise ApiError(422, "invalid_request", "A name is needed.", [{"field": "name", "problem": "empty"}])
    if body.consent.terms_version != program.terms_version:
        raise ApiError(
            422,
            "terms_version_mismatch",
            f"Consent must be to the current terms ({program.terms_version}).",
            [{"field": "consent.terms_version", "problem": f"expected {program.terms_version}"}],
        )
    account_id = "acc_" + secrets.token_hex(6)
    stamp = now()
    try:
        conn.execute("INSERT INTO accounts (account_id, name, created_at) VALUES (?, ?, ?)", (account_id, name, stamp))
        conn.execute("INSERT INTO identifiers (method, value, account_id) VALUES ('phone', ?, ?)", (phone, account_id))
    except sqlite3.IntegrityError:
        raise ApiError(409, "already_enrolled", "That phone number already has an account.") from None
    conn.execute(
        "INSERT INTO consents (account_id, terms_version, marketing, recorded_at, store_id, terminal_id)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (account_id, body.consent.terms_version, int(body.consent.marketing), stamp, body.store_id, body.terminal_id),
    )
    return summary(conn, program, account_id)


def points(conn: sqlite3.Connection, account_id: str) -> tuple[int, int]:
    """(balance, lifetime points earned). Lifetime counts opening and earned points, never redemptions."""
    row = conn.execute(
        "SELECT COALESCE(SUM(delta), 0) AS balance,"
        " COALESCE(SUM(CASE WHEN kind IN ('opening', 'earn') AND delta > 0 THEN delta END), 0) AS lifetime"
        " FROM ledger WHERE account_id = ?",
        (account_id,),
    ).fetchone()
    return int(row["balance"]), int(row["lifetime"])


def tier_json(program: Program, lifetime: int) -> dict[str, Any]:
    tier, following = program.tier_for(lifetime)
    return {
        "name": tier.name,
        "multiplier": str(tier.multiplier),
        "next_tier": following.name if following else None,
        "points_to_next_tier": following.threshold - lifetime if following else None,
    }


def next_reward_json(program: Program, balance: int) -> dict[str, Any] | None:
    upcoming = next((r for r in program.rewards if r.cost > balance), None)
    if upcoming is None:
        return None
    return {"reward_id": upcoming.reward_id, "name": upcoming.name, "cost": upcoming.cost,
            "points_needed": upcoming.cost - balance}


def summary(conn: sqlite3.Connection, program: Program, account_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT name FROM accounts WHERE account_id = ?", (account_id,)).fetchone()
    if row is None:
        raise ApiError(404, "not_found", "There is no such account.")
    balance, lifetime = points(conn, account_id)
    return {
        "account_id": account_id,
        "display_name": display_name(row["name"]),
        "currency": program.currency,
        "balance": balance,
        "balance_as_of": now(),
        "tier": tier_json(program, lifetime),
        "next_reward": next_reward_json(program, balance),
        "rewards_available": [r.to_json() for r in program.rewards if r.cost <= balance],
    }
