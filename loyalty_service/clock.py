"""The service's one notion of "now": RFC 3339 UTC to the second, as the contract writes times."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    return rfc3339(datetime.now(UTC))


def rfc3339(moment: datetime) -> str:
    """An aware UTC moment as the contract and the tables write times (``created_at``): they compare as text."""
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def service_now() -> datetime:
    """Now, as an aware datetime: when a quote or sale happens, for the programme's time windows."""
    return datetime.now(UTC)
