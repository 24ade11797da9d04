"""The chain benchmark's own readings: a process tree's CPU from /proc (benchmarks/process_cpu.py)
and the summary of a py-spy profile (benchmarks/service_profile.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from process_cpu import process_cpu_seconds, tree_cpu_seconds  # noqa: E402
from service_profile import summary  # noqa: E402

# A parent that starts a child burning about 0.3 s of CPU and waits, told to go on by a line on stdin.
_TREE = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import time\\nend = time.process_time() + 0.3\\nwhile time.process_time() < end: pass\\nprint('done', flush=True)\\n"
    "import sys; sys.stdin.readline()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
child.stdout.readline()
print("burnt", flush=True)
sys.stdin.readline()
child.stdin.close(); child.wait()
print("reaped", flush=True)
sys.stdin.readline()
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_a_process_tree_counts_its_childrens_cpu_alive_and_reaped() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _TREE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "burnt"
        alive = tree_cpu_seconds(parent.pid)
        assert alive >= 0.25  # the live child's 0.3 s, though the parent itself only waited
        assert process_cpu_seconds(parent.pid) < alive - 0.2
        parent.stdin.write("\n"); parent.stdin.flush()
        assert parent.stdout.readline().strip() == "reaped"
        assert tree_cpu_seconds(parent.pid) >= alive - 0.02  # the reaped child's time is the parent's cutime now
        parent.stdin.write("\n"); parent.stdin.flush()
        parent.wait(10)
        assert tree_cpu_seconds(parent.pid) == 0.0  # gone: nothing to read
    finally:
        parent.kill()
        parent.wait()


def test_a_profile_summary_shares_samples_by_package_function_and_the_services_own_callers(tmp_path: Path) -> None:
    folded = tmp_path / "service.folded"
    route = "record_sale (/work/x/loyalty_service/app.py:270)"
    folded.write_text(
        f"Thread 1 (idle);main (/work/x/loyalty_service/__main__.py:1);{route};"
        "execute (/usr/lib/python3.11/site-packages/psycopg/cursor.py:10) 30\n"
        f"Thread 1 (idle);main (/work/x/loyalty_service/__main__.py:1);{route};"
        "_price (/work/x/loyalty_service/sales.py:60) 10\n"
        "Thread 2;run (/usr/lib/python3.11/site-packages/uvicorn/server.py:5) 60\n"
    )
    lines = summary(folded, top=3)
    assert lines[0] == "100 samples; by package of the innermost frame:"
    assert lines[1:4] == ["   60.0%  uvicorn", "   30.0%  psycopg", "   10.0%  loyalty_service"]
    assert "   30.0%  execute (psycopg/cursor.py)" in lines
    assert "   40.0%  record_sale (loyalty_service/app.py)" in lines  # inclusive: both stacks under it
    assert not any("run (" in line for line in lines[lines.index(
        "the service's functions with the most samples under them (inclusive):"):])
