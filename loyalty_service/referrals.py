"""Referrals: a member enrolled with another's code, and the bonus both get for it.

The rules (docs/loyalty-api-v1.md, "Referrals"), stated once:

- **At enrolment** the code must belong to a member (``422 unknown_referral_code``), and not to
  the new member's own phone (``422 referral_own_phone``); an account never refers itself (the
  table refuses it). The code is recorded as a pending referral.
- **The bonus** is paid by the new member's first sale whose total reaches the programme's
  ``[referral] min_first_purchase``: ``referrer_points`` to the referrer, ``referee_points`` to
  the new member, each a ledger row of kind ``adjust`` (not lifetime points: a bonus is not spend)
  and a ``balance_changed`` event with ``cause: "referral"``. It is paid once: the referral leaves
  ``pending`` in the sale's own transaction, and a replayed sale is answered as recorded.
- **The cap**: a referrer who has had ``max_per_referrer_per_month`` bonuses paid (and not
  reversed) this calendar month, in the programme's time zone, gets no more; that referral is
  ``capped`` and pays neither member.
- **A full return** of the purchase that paid the bonus reverses it for both, once (the referral
  leaves ``paid``); a partial return keeps it. A balance may go below zero, as with returns.
- A programme without ``[referral]`` pays no bonuses; referrals are still recorded, pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from loyalty_service.accounts import points
from loyalty_service.clock import rfc3339, service_now
from loyalty_service.database import Connection
from loyalty_service.events import account_changed
from loyalty_service.program import Program


@dataclass(frozen=True, slots=True)
class Bonus:
    """What a new sale does to its member's pending referral: pays (points > 0 or not) or caps it."""

    referee_id: str
    referrer_id: str
    paid: bool
    referrer_points: int
    referee_points: int


def bonus_for_sale(conn: Connection, program: Program, account_id: str, total: int) -> Bonus | None:
    """The referral a new sale of ``total`` settles, or None. Read before the sale is written."""
    rule = program.referral
    if rule is None or total < rule.min_first_purchase:
        return None
    row = conn.execute(
        "SELECT referrer_id FROM referrals WHERE referee_id = ? AND status = 'pending'", (account_id,)
    ).fetchone()
    if row is None:
        return None
    referrer_id = row["referrer_id"]
    local = program.local_time(service_now())
    month_start = rfc3339(local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC))
    paid = conn.execute(
        "SELECT COUNT(*) AS n FROM referrals WHERE referrer_id = ? AND status = 'paid' AND paid_at >= ?",
        (referrer_id, month_start),
    ).fetchone()["n"]
    if paid >= rule.max_per_referrer_per_month:
        return Bonus(account_id, referrer_id, False, 0, 0)
    return Bonus(account_id, referrer_id, True, rule.referrer_points, rule.referee_points)


def settle(
    conn: Connection, program: Program, bonus: Bonus, sale_id: str, stamp: str, where: dict[str, Any],
    referee_before: tuple[int, int],
) -> None:
    """Write what ``bonus`` says, after the sale's own rows: the ledger rows and events for both,
    and the referral's new status. ``referee_before``: the new member's points after the sale."""
    status = "paid" if bonus.paid else "capped"
    changed = conn.execute(
        "UPDATE referrals SET status = ?, sale_id = ?, referrer_points = ?, referee_points = ?, paid_at = ?"
        " WHERE referee_id = ? AND status = 'pending' RETURNING referee_id",
        (status, sale_id, bonus.referrer_points, bonus.referee_points, stamp if bonus.paid else None,
         bonus.referee_id),
    ).fetchone()
    if changed is None or not bonus.paid:
        return
    cause = {"cause": "referral", "sale_id": sale_id, **where}
    _move(conn, program, bonus.referee_id, bonus.referee_points, stamp, {**cause, "referral": "referee"},
          before=referee_before)
    _move(conn, program, bonus.referrer_id, bonus.referrer_points, stamp, {**cause, "referral": "referrer"})


def reverse_for_return(conn: Connection, program: Program, sale_id: str, stamp: str, where: dict[str, Any]) -> int:
    """After the return that brings back the whole of ``sale_id``: take back the bonus it paid, from
    both, once. The points taken from the sale's own member (0 when it paid none)."""
    row = conn.execute(
        "UPDATE referrals SET status = 'reversed', reversed_at = ? WHERE sale_id = ? AND status = 'paid'"
        " RETURNING referee_id, referrer_id, referee_points, referrer_points",
        (stamp, sale_id),
    ).fetchone()
    if row is None:
        return 0
    cause = {"cause": "referral_reversed", "sale_id": sale_id, **where}
    _move(conn, program, row["referee_id"], -row["referee_points"], stamp, {**cause, "referral": "referee"})
    _move(conn, program, row["referrer_id"], -row["referrer_points"], stamp, {**cause, "referral": "referrer"})
    return int(row["referee_points"])


def _move(
    conn: Connection, program: Program, account_id: str, delta: int, stamp: str, cause: dict[str, Any],
    before: tuple[int, int] | None = None,
) -> None:
    if not delta:
        return
    before = before if before is not None else points(conn, account_id)
    conn.execute("INSERT INTO ledger (account_id, delta, kind, created_at) VALUES (?, ?, 'adjust', ?)",
                 (account_id, delta, stamp))
    account_changed(conn, program, account_id, before, cause, after=(before[0] + delta, before[1]))
