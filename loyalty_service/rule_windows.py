"""When a promotion or a threshold bonus runs: dates, weekdays and hours, in the programme's time zone.

A window with nothing set is always open. Dates are inclusive; hours are ``HH:MM-HH:MM`` with the
end excluded (``14:00-17:00`` is open at 16:59 and closed at 17:00), ``24:00`` meaning midnight at the
end of the day. A window never crosses midnight: split one that would into two rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
_HOURS = re.compile(r"\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*")


class WindowError(ValueError):
    """A window that cannot be read; the message names what to write instead."""


@dataclass(frozen=True, slots=True)
class Window:
    weekdays: tuple[int, ...] = ()  # 0 = Monday; empty = every day
    start_minute: int | None = None  # minutes after local midnight
    end_minute: int | None = None  # excluded; 1440 = the end of the day
    from_date: date | None = None
    until_date: date | None = None  # inclusive

    @property
    def always(self) -> bool:
        return self == Window()

    def contains(self, local: datetime) -> bool:
        """Whether this local (programme time zone) moment is inside the window."""
        day = local.date()
        if self.from_date is not None and day < self.from_date:
            return False
        if self.until_date is not None and day > self.until_date:
            return False
        if self.weekdays and local.weekday() not in self.weekdays:
            return False
        if self.start_minute is not None and self.end_minute is not None:
            minute = local.hour * 60 + local.minute
            return self.start_minute <= minute < self.end_minute
        return True

    def describe(self) -> str:
        """Plain words: 'Tuesdays 14:00–17:00, 2026-11-01 to 2026-11-30'."""
        parts = []
        if self.weekdays:
            parts.append(", ".join(_DAY_NAMES[d] for d in self.weekdays))
        if self.start_minute is not None and self.end_minute is not None:
            parts.append(f"{_clock(self.start_minute)}–{_clock(self.end_minute)}")
        if self.from_date and self.until_date:
            parts.append(f"{self.from_date.isoformat()} to {self.until_date.isoformat()}")
        elif self.from_date:
            parts.append(f"from {self.from_date.isoformat()}")
        elif self.until_date:
            parts.append(f"until {self.until_date.isoformat()}")
        return " ".join(parts) if parts else "always"

    def as_json(self) -> dict[str, object]:
        """What GET /v1/program publishes, so a till can apply the window offline."""
        return {
            "weekdays": [WEEKDAYS[d] for d in self.weekdays],
            "hours": None if self.start_minute is None else f"{_clock(self.start_minute)}-{_clock(self.end_minute or 0)}",
            "from_date": self.from_date.isoformat() if self.from_date else None,
            "until_date": self.until_date.isoformat() if self.until_date else None,
        }


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_weekdays(value: object) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise WindowError('weekdays is a list of days, e.g. weekdays = ["tue", "thu"]')
    days = set()
    for item in value:
        name = str(item).strip().lower()[:3]
        if not isinstance(item, str) or name not in WEEKDAYS:
            raise WindowError(f"{item!r} is not a weekday; write mon, tue, wed, thu, fri, sat or sun")
        days.add(WEEKDAYS.index(name))
    return tuple(sorted(days))


def parse_hours(value: object) -> tuple[int, int]:
    match = _HOURS.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise WindowError('hours are written "HH:MM-HH:MM", e.g. hours = "14:00-17:00"')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise WindowError(f"{value!r} is not a time of day")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise WindowError(f"hours {value!r} must end after they start (split a window that crosses midnight in two)")
    return start, end


def parse_date(value: object, key: str) -> date:
    # TOML has dates (from_date = 2026-11-01); a datetime or a string is a different thing.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise WindowError(f"{key} is a date written without quotes, e.g. {key} = 2026-11-01")
    return value
