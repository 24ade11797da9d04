"""What a customer's tier is measured on: points earned or money spent, since the account opened
or over a rolling window of days (the programme's [tier_qualification])."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from loyalty_service.database import Connection
from loyalty_service.program import Program

# A sale's total, read from the answer it was given (JSON).
_SALE_TOTAL = {
    "sqlite": "json_extract(answer, '$.total')",
    "postgresql": "CAST(CAST(answer AS jsonb) ->> 'total' AS BIGINT)",
}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def qualifying(conn: Connection, program: Program, account_id: str, lifetime: int,
               now: datetime | None = None) -> int:
    """The figure the tiers' thresholds are compared with. ``lifetime`` is the account's lifetime
    points (accounts.points), the answer for the default measure, so it costs no query."""
    if program.tier_measure == "points" and program.tier_window_days is None:
        return lifetime
    since = "" if program.tier_window_days is None else _stamp(
        (now or datetime.now(UTC)) - timedelta(days=program.tier_window_days))
    if program.tier_measure == "points":
        row = conn.execute(
            "SELECT COALESCE(SUM(delta), 0) FROM ledger WHERE account_id = ? AND created_at >= ?"
            " AND (kind = 'earn' OR (kind = 'opening' AND delta > 0))",
            (account_id, since),
        ).fetchone()
    else:
        row = conn.execute(
            f"SELECT COALESCE(SUM({_SALE_TOTAL[conn.dialect]}), 0) FROM sales WHERE account_id = ? AND created_at >= ?",
            (account_id, since),
        ).fetchone()
    return max(0, int(row[0]))


def after_sale(program: Program, before: int, points_earned: int, total: int) -> int:
    """The qualifying figure once this sale is counted."""
    return before + (points_earned if program.tier_measure == "points" else total)
