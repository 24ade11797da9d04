"""CPU time a process and everything it started have used, read from /proc (Linux), for the
benchmarks' "CPU per sale".

``tree_cpu_seconds(pid)`` is utime + stime of the process and of every descendant still running,
plus cutime + cstime (the children that have exited and been waited for): so a service that forks
workers is counted whole, whether a worker is alive when read or has been replaced since. Read it
before and after the load; the difference is what the load cost. The kernel counts in clock ticks
(usually 10 ms), so a figure is good to a tick per process: read over thousands of requests.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
    return text[text.rindex(")") + 2 :].split()


def _parents() -> dict[int, int]:
    """Every running process's parent (the kernel here may not have /proc/PID/task/TID/children)."""
    parents: dict[int, int] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            parents[int(entry.name)] = int(fields[1])  # ppid is field 4
    return parents


def process_cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of one process (0 when it is gone)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # After the name: state is field 3, so utime (14), stime (15), cutime (16), cstime (17) are at 11..14.
    return sum(int(value) for value in fields[11:15]) / _TICK


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and all its descendants (see the module's opening)."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += process_cpu_seconds(current)
        todo.extend(children.get(current, ()))
    return total
