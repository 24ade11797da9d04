"""Accounts: find one by what the customer carries, enrol one, and summarise it for a till.

The summary never carries more than a first name and an initial.
"""

from __future__ import annotations

import secrets
import unicodedata

from loyalty_service import referral_codes
from loyalty_service.clock import utc_now
from loyalty_service.database import Connection, IntegrityError
from loyalty_service.email_addresses import email_required, masked, normalised_email
from loyalty_service.errors import ApiError
from loyalty_service.identifiers import Method, normalise_identifier
from loyalty_service.phone_numbers import normalise_phone
from loyalty_service.program import Program
from loyalty_service.tier_qualification import qualifying
from loyalty_service.schemas import AccountSummary, EnrolRequest, ErrorDetail, NextReward, TierStatus


def new_account_id() -> str:
    return "acc_" + secrets.token_hex(6)


# Control characters (NUL, tab, newline, ESC, C1), lone surrogates and line/paragraph separators:
# a name holding one would reach every till's screen and receipt. Brackets and the like are legal.
_NOT_IN_A_NAME = frozenset({"Cc", "Cs", "Zl", "Zp"})


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a customer's name as typed, or None when it can."""
    if any(unicodedata.category(char) in _NOT_IN_A_NAME for char in name):
        return "holds a control character"
    return None


def display_name(name: str) -> str:
    """First name and the initial of the last: 'Sam Taylor' -> 'Sam T.'."""
    parts = name.split()
    if len(parts) < 2:
        return parts[0] if parts else ""
    return f"{parts[0]} {parts[-1][0].upper()}."


def identify(conn: Connection, program: Program, method: Method, value: str) -> AccountSummary:
    key = normalise_identifier(method, value, program.region)
    if key is None:
        raise ApiError(422, "invalid_value", f"That {method} value is malformed.",
                       [ErrorDetail(field="value", problem=f"not a {method} value")])
    if method == "phone":
        row = conn.execute("SELECT account_id FROM accounts WHERE phone = ?", (key,)).fetchone()
    else:
        row = conn.execute(
            "SELECT account_id FROM identifiers WHERE method = ? AND value = ?", (method, key)
        ).fetchone()
    if row is None:
        raise ApiError(404, "unknown_customer", f"No customer matches that {method}.")
    return summary(conn, program, row["account_id"])


def enrol(conn: Connection, program: Program, body: EnrolRequest) -> AccountSummary:
    """Call inside a write transaction: the phone's uniqueness is checked by the insert."""
    phone = normalise_phone(body.phone.strip(), program.region)
    if phone is None:
        raise ApiError(422, "invalid_phone", "That is not a valid phone number.",
                       [ErrorDetail(field="phone", problem="not a valid phone number")])
    problem = name_problem(body.name)
    if problem is not None:
        raise ApiError(422, "invalid_request", "A name may not hold control characters.",
                       [ErrorDetail(field="name", problem=problem)])
    name = " ".join(body.name.split())
    if not name:
        raise ApiError(422, "invalid_request", "A name is needed.", [ErrorDetail(field="name", problem="empty")])
    if body.consent.terms_version != program.terms_version:
        raise ApiError(
            422,
            "terms_version_mismatch",
            f"Consent must be to the current terms ({program.terms_version}).",
            [ErrorDetail(field="consent.terms_version", problem=f"the current terms are {program.terms_version}")],
        )
    email = normalised_email(body.email, "email") if body.email is not None else None
    if body.consent.email_receipts and email is None:
        raise email_required("email")
    referrer = None
    if body.referral_code:  # checked before the account is made, so a refused code makes none
        referrer = referral_codes.referrer_for(conn, body.referral_code, phone)
    account_id = new_account_id()
    stamp = utc_now()
    try:
        conn.execute(
            "INSERT INTO accounts (account_id, name, phone, created_at, enrolled_by, email, email_receipts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (account_id, name, phone, stamp, body.cashier_id, email, int(body.consent.email_receipts)),
        )
    except IntegrityError:
        raise ApiError(409, "already_enrolled", "That phone number already has an account.") from None
    conn.execute(
        "INSERT INTO consents (account_id, terms_version, marketing, recorded_at, store_id, terminal_id, given_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (account_id, body.consent.terms_version, int(body.consent.marketing), stamp, body.store_id, body.terminal_id,
         body.consent.given_at),
    )
    referral_codes.give_code(conn, account_id)
    if referrer is not None:
        referral_codes.record_referral(conn, account_id, referrer[0], referrer[1], stamp)
    return summary(conn, program, account_id)


# A return's reversal is a negative 'earn' row (returns.py): returned goods do not count to a tier.
_LIFETIME = "CASE WHEN {t}kind = 'earn' OR ({t}kind = 'opening' AND {t}delta > 0) THEN {t}delta END"


def points(conn: Connection, account_id: str) -> tuple[int, int]:
    """(balance, lifetime points earned), both from the ledger.

    Lifetime, which sets the tier, is the sum of the positive 'opening' and 'earn' rows:
    spending points on a reward never costs a customer their tier.
    """
    row = conn.execute(
        f"SELECT COALESCE(SUM(delta), 0) AS balance, COALESCE(SUM({_LIFETIME.format(t='')}), 0) AS lifetime"
        " FROM ledger WHERE account_id = ?",
        (account_id,),
    ).fetchone()
    return int(row["balance"]), int(row["lifetime"])


def member_points(conn: Connection, account_id: str) -> tuple[str, int, int, str | None, str | None, bool] | None:
    """(name, balance, lifetime, referral code, e-mail address, e-mail receipts) of an account that
    is not erased, in one query; None when there is no such account (an erased one included: privacy.py)."""
    row = conn.execute(
        f"SELECT a.name, COALESCE(SUM(l.delta), 0) AS balance, COALESCE(SUM({_LIFETIME.format(t='l.')}), 0) AS lifetime,"
        " (SELECT r.code FROM referral_codes r WHERE r.account_id = a.account_id) AS referral_code,"
        " a.email, a.email_receipts"
        " FROM accounts a LEFT JOIN ledger l ON l.account_id = a.account_id"
        " WHERE a.account_id = ? AND a.erased_at IS NULL GROUP BY a.account_id, a.name, a.email, a.email_receipts",
        (account_id,),
    ).fetchone()
    if row is None:
        return None
    return (row["name"], int(row["balance"]), int(row["lifetime"]), row["referral_code"], row["email"],
            bool(row["email_receipts"]))


def tier_status(program: Program, lifetime: int) -> TierStatus:
    tier, following = program.tier_for(lifetime)
    return TierStatus(
        name=tier.name,
        multiplier=str(tier.multiplier),
        next_tier=following.name if following else None,
        points_to_next_tier=following.threshold - lifetime if following else None,
    )


def next_reward(program: Program, balance: int) -> NextReward | None:
    """The cheapest reward the balance cannot pay for yet (rewards are kept cheapest first)."""
    upcoming = next((r for r in program.rewards if r.cost > balance), None)
    if upcoming is None:
        return None
    return NextReward(
        reward_id=upcoming.reward_id, name=upcoming.name, cost=upcoming.cost, points_needed=upcoming.cost - balance
    )


def summary(conn: Connection, program: Program, account_id: str) -> AccountSummary:
    # An erased account (privacy.py) is found by nothing: identify, lookups and enrolment all end here.
    member = member_points(conn, account_id)
    if member is None:
        raise ApiError(404, "not_found", "There is no such account.")
    name, balance, lifetime, referral_code, email, email_receipts = member
    return AccountSummary(
        account_id=account_id,
        display_name=display_name(name),
        currency=program.currency,
        balance=balance,
        balance_as_of=utc_now(),
        tier=tier_status(program, qualifying(conn, program, account_id, lifetime)),
        next_reward=next_reward(program, balance),
        rewards_available=[r.as_reward() for r in program.rewards if r.cost <= balance],
        referral_code=referral_code,
        email_masked=masked(email),
        email_receipts=email_receipts,
    )
