"""A short crash report for whoever looks after the till, with nobody's data in it.

Written to the till's data folder when the app meets an error it cannot carry on from. It holds
the time, the error's type and where it happened (file, line, function), and nothing else: no
exception message and no variables, since either may hold a customer's name, phone number or a
card number that was typed.
"""

from __future__ import annotations

import os
import platform
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path


def crash_summary(error: BaseException, *, app: str) -> str:
    """The report's text: what failed and where, never with what values."""
    lines = [
        f"{app} stopped after an error it could not carry on from.",
        f"time: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"python: {platform.python_version()} on {sys.platform}",
        f"error: {_type_name(error)}",
        "where (most recent call last):",
    ]
    seen: set[int] = set()
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and id(current) not in seen:  # the causes first, as Python prints them
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    for failure in reversed(chain):
        if failure is not error:
            lines.append(f"  while handling {_type_name(failure)}:")
        for frame in traceback.extract_tb(failure.__traceback__):
            lines.append(f"  {_short_path(frame.filename)}:{frame.lineno} in {frame.name}")
    return "\n".join(lines) + "\n"


def write_crash_report(folder: Path, error: BaseException, *, app: str) -> Path | None:
    """Write the report as ``crash-<UTC time>.txt`` (mode 0600); None when it cannot be written
    (a full or read-only disk must not hide the crash itself)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"crash-{stamp}-{os.getpid()}.txt"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(crash_summary(error, app=app))
    except OSError:
        return None
    return path


def _type_name(error: BaseException) -> str:
    kind = type(error)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _short_path(filename: str) -> str:
    """Paths from site-packages or this project, without the user's home folder in them."""
    for marker in ("site-packages/", "dist-packages/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    for package in ("pos_core", "cashier_tui", "selfcheckout", "devices", "devices_tui", "till_tui", "loyalty_service"):
        marker = f"/{package}/"
        if marker in filename:
            return package + "/" + filename.split(marker, 1)[1]
    return Path(filename).name
