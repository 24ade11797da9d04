"""Members' referral codes: made, read back, found from what a person typed or scanned, and the
pending referral (referrals.py) a code given at enrolment makes.

A code is 8 characters from 31 letters and digits that cannot be misread (no 0/O, 1/I/L), about
40 random bits: with a million members a guess finds one about once in 800 000 tries, and an
unknown code spends the till key's lookup budget (app.py), so codes cannot be walked into
bonuses. It is shown as ``ABCD-EFGH``; any case, spaces and dashes are accepted back.
"""

from __future__ import annotations

import secrets

from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.schemas import ErrorDetail

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
# What a scanned referral barcode may carry before the code (a till may print one as REF-...).
PREFIX = "REF"


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(text: str) -> str | None:
    """The stored form of a typed or scanned code (``ABCD-EFGH``), or None when it cannot be one."""
    raw = "".join(char for char in text.upper() if char.isalnum())
    if len(raw) == LENGTH + len(PREFIX) and raw.startswith(PREFIX):
        raw = raw[len(PREFIX):]
    if len(raw) != LENGTH or any(char not in ALPHABET for char in raw):
        return None
    return f"{raw[:4]}-{raw[4:]}"


def give_code(conn: Connection, account_id: str) -> str:
    """A new code for an account that has none. Inside a write transaction."""
    while True:
        code = new_code()
        made = conn.execute(
            "INSERT INTO referral_codes (account_id, code) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING code",
            (account_id, code),
        ).fetchone()
        if made is not None:
            return code
        # The account has one already, or (1 in 10^12) another account has this code: draw again.
        existing = code_of(conn, account_id)
        if existing is not None:
            return existing


def code_of(conn: Connection, account_id: str) -> str | None:
    row = conn.execute("SELECT code FROM referral_codes WHERE account_id = ?", (account_id,)).fetchone()
    return None if row is None else str(row["code"])


def owner_of(conn: Connection, code: str) -> str | None:
    """The account (not erased) a stored-form code belongs to."""
    row = conn.execute(
        "SELECT r.account_id FROM referral_codes r JOIN accounts a ON a.account_id = r.account_id"
        " WHERE r.code = ? AND a.erased_at IS NULL",
        (code,),
    ).fetchone()
    return None if row is None else str(row["account_id"])


def give_missing_codes(conn: Connection) -> int:
    """Codes for accounts made before codes existed; how many were made. Inside a write transaction."""
    rows = conn.execute(
        "SELECT a.account_id FROM accounts a LEFT JOIN referral_codes r ON r.account_id = a.account_id"
        " WHERE r.account_id IS NULL AND a.erased_at IS NULL"
    ).fetchall()
    for row in rows:
        give_code(conn, row["account_id"])
    return len(rows)


def referrer_for(conn: Connection, text: str, phone: str) -> tuple[str, str]:
    """(the referrer's account, the code in stored form) for a code typed at enrolment by the
    owner of ``phone`` (E.164); 422 for a code nobody has, or the referrer's own phone."""
    code = normalise_code(text)
    owner = owner_of(conn, code) if code else None
    if owner is None or code is None:
        raise ApiError(422, "unknown_referral_code", "No member has that referral code; check it and try again.",
                       [ErrorDetail(field="referral_code", problem="no member has this code")])
    row = conn.execute("SELECT phone FROM accounts WHERE account_id = ?", (owner,)).fetchone()
    if row is not None and row["phone"] == phone:
        raise ApiError(422, "referral_own_phone", "A member cannot be referred with their own phone number.",
                       [ErrorDetail(field="referral_code", problem="the code of this phone's own account")])
    return owner, code


def record_referral(conn: Connection, referee_id: str, referrer_id: str, code: str, stamp: str) -> None:
    conn.execute(
        "INSERT INTO referrals (referee_id, referrer_id, code, status, created_at) VALUES (?, ?, ?, 'pending', ?)",
        (referee_id, referrer_id, code, stamp),
    )
