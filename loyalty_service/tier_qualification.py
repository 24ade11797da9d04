"""What a customer's tier is measured on: points earned or money spent, since the account opened
or over a rolling window of days (the programme's [tier_qualification])."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from loyalty_service.database import Connection
from loyalty_service.program import Program

# A whole number from an answer as given (JSON text): a sale's total, a return's refund.
_JSON_INTEGER = {
    "sqlite": "json_extract({column}, '$.{key}')",
    "postgresql": "CAST(CAST({column} AS jsonb) ->> '{key}' AS BIGINT)",
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
        # What the sales in the window took, less what their returns gave back: a basket bought
        # and returned does not lift the tier (buy, return, repeat leaves no profit).
        json_integer = _JSON_INTEGER[conn.dialect]
        row = conn.execute(
            f"SELECT (SELECT COALESCE(SUM({json_integer.format(column='answer', key='total')}), 0) FROM sales"
            "         WHERE account_id = ? AND created_at >= ?)"
            f"     - (SELECT COALESCE(SUM({json_integer.format(column='r.answer', key='refund_amount')}), 0)"
            "         FROM sale_returns r JOIN sales s ON s.sale_id = r.sale_id"
            "         WHERE s.account_id = ? AND s.created_at >= ?)",
            (account_id, since, account_id, since),
        ).fetchone()
    return max(0, int(row[0]))


def after_sale(program: Program, before: int, points_earned: int, total: int) -> int:
    """The qualifying figure once this sale is counted."""
    return before + (points_earned if program.tier_measure == "points" else total)
