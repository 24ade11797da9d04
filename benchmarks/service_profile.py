"""Where a running service's CPU goes: py-spy attached to its process (and its workers) for the
length of a load, then a short summary of the samples, for ``bench_chain_load.py --profile``.

py-spy samples the running threads 100 times a second (idle threads are left out, so what it
counts is CPU, not waiting). ``raw`` keeps the samples as collapsed stacks (one line a stack and
its count), which speedscope (speedscope.app, "Import"), inferno and flamegraph.pl open, and which
``summary`` reads; ``speedscope`` and ``svg`` (a flame graph) are py-spy's own other formats.
Sampling slows the service a little: figures taken under ``--profile`` are not the run's figures.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

FORMATS = {"raw": "folded", "speedscope": "speedscope.json", "svg": "svg"}
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


class ProfilerUnavailable(RuntimeError):
    """py-spy is not installed, or may not attach to the process."""


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise ProfilerUnavailable("py-spy is not installed (it is a dev dependency: ./dev setup)")
    return found


class Recording:
    """``py-spy record`` attached to ``pid`` (its child processes too) until ``stop``."""

    def __init__(self, pid: int, out: Path, fmt: str = "raw") -> None:
        self.out = out
        self.fmt = fmt
        out.parent.mkdir(parents=True, exist_ok=True)
        out.unlink(missing_ok=True)
        self._process = subprocess.Popen(
            [py_spy(), "record", "--pid", str(pid), "--subprocesses", "--function", "--gil", "--rate", "100",
             "--format", fmt, "--output", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        # py-spy says "Sampling process ..." (on stdout) once attached, or why not and exits.
        assert self._process.stdout is not None
        said: list[str] = []
        for line in self._process.stdout:
            said.append(line.decode(errors="replace").strip())
            if "Sampling process" in said[-1]:
                threading.Thread(target=self._process.stdout.read, name="py-spy-output", daemon=True).start()
                return
        self._process.wait()
        why = next((line for line in reversed(said) if line), "?")
        raise ProfilerUnavailable(f"py-spy could not attach to {pid}: {why}")

    def stop(self, timeout: float = 30.0) -> Path | None:
        """Stop sampling and write the file (py-spy writes on SIGINT); the file, if written."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout)
        return self.out if self.out.exists() else None


def _frames(stack: str) -> list[tuple[str, str]]:
    """(function, file) per frame, outermost first; the thread's own entry is dropped."""
    frames = []
    for part in stack.split(";")[1:]:
        match = _FRAME.match(part)
        if match:
            frames.append((match["function"], match["file"]))
    return frames


def _where(file: str) -> str:
    """A file as a short module path: site-packages/x/y.py -> x/y.py, the checkout's own as is."""
    for marker in ("site-packages/", "/lib/python3"):
        if marker in file:
            tail = file.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker == "/lib/python3" and "/" in tail else tail
    return file.split("/work/", 1)[-1].split("/", 1)[-1] if "/work/" in file else file


def _package(file: str) -> str:
    return _where(file).split("/", 1)[0].removesuffix(".py")


def summary(folded: Path, top: int = 12) -> list[str]:
    """Lines to print: the share of samples by package (where the innermost frame is), the
    functions with the most samples in them (self), and the service's own functions with the most
    samples under them (inclusive)."""
    stacks: Counter[str] = Counter()
    for line in folded.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    total = sum(stacks.values())
    if not total:
        return ["no samples (was the service busy?)"]
    by_package: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for stack, count in stacks.items():
        frames = _frames(stack)
        if not frames:
            continue
        function, file = frames[-1]
        by_package[_package(file)] += count
        own[f"{function} ({_where(file)})"] += count
        for name in {f"{f} ({_where(path)})" for f, path in frames if "loyalty_service/" in path}:
            inclusive[name] += count

    def share(items: list[tuple[str, int]]) -> list[str]:
        return [f"  {100 * count / total:5.1f}%  {name}" for name, count in items]

    return [
        f"{total} samples; by package of the innermost frame:",
        *share(by_package.most_common(top)),
        "functions with the most samples in them (self):",
        *share(own.most_common(top)),
        "the service's functions with the most samples under them (inclusive):",
        *share(inclusive.most_common(top)),
    ]
