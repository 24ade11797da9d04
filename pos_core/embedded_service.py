"""Start the reference loyalty service as a child process on loopback.

The till never imports the service (they share only the API contract): it runs
``python -m loyalty_service`` and waits for the one JSON line the service prints
on stdout once its socket is bound::

    {"event": "listening", "url": "http://127.0.0.1:54321"}

The API key travels in the environment, not on the command line, so it does not
show in ``ps``. The child is told our pid and exits by itself if we die.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class EmbeddedServiceError(RuntimeError):
    """The embedded loyalty service could not be started."""


@dataclass
class RunningService:
    url: str
    api_key: str
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path | None = None

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the service to stop (SIGTERM), then kill it if it will not."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def __enter__(self) -> RunningService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _popen(args: list[str], *, env: dict[str, str], stderr: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, env=env)


# How the child is started: a new ``python -m loyalty_service`` process, its stdout a pipe. The
# tests put a fork server here (tests/service_fork_server.py), so the hundreds of services they
# start do not each import FastAPI and pydantic again.
spawn: Callable[..., subprocess.Popen[bytes]] = _popen


@dataclass
class StartingService:
    """A service process started but not yet known to listen: ``ready()`` waits for its line.
    Whoever started it may do other work meanwhile (the till imports its screens)."""

    api_key: str
    process: subprocess.Popen[bytes] = field(repr=False)
    lines: queue.Queue[bytes] = field(repr=False)
    log_path: Path | None
    startup_timeout: float
    deadline: float

    def ready(self) -> RunningService:
        """Return once the service accepts connections; EmbeddedServiceError if it will not."""
        process, log_path = self.process, self.log_path
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                process.kill()
                raise EmbeddedServiceError(
                    f"the loyalty service did not start within {self.startup_timeout:.0f} s" + _log_hint(log_path)
                )
            try:
                line = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if process.poll() is not None:
                    break
                continue
            if not line:
                break
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("event") == "listening":
                return RunningService(url=str(event["url"]), api_key=self.api_key, process=process, log_path=log_path)
        code = process.wait()
        raise EmbeddedServiceError(
            f"the loyalty service stopped while starting (exit code {code})" + _log_hint(log_path)
        )

    def stop(self) -> None:
        """Give up on it (whoever started it failed before it was ready)."""
        RunningService("", self.api_key, self.process).stop()


def start_service(*, db_path: Path | str, api_key: str, **options: Any) -> RunningService:
    """Start ``loyalty_service`` and return once it accepts connections. ``db_path``: a SQLite
    file, or a ``postgresql://`` URL (passed on as given); ``options`` as ``launch_service``'s."""
    return launch_service(db_path=db_path, api_key=api_key, **options).ready()


def launch_service(
    *,
    db_path: Path | str,
    api_key: str,
    demo: bool = True,
    host: str = "127.0.0.1",
    port: int = 0,
    log_path: Path | None = None,
    startup_timeout: float = 30.0,
    extra_args: tuple[str, ...] = (),
) -> StartingService:
    """Start ``loyalty_service`` and return at once; its ``ready()`` waits until it listens."""
    if isinstance(db_path, Path):
        db_path.parent.mkdir(parents=True, exist_ok=True)
    args = [
        sys.executable,
        "-m",
        "loyalty_service",
        "--host",
        host,
        "--port",
        str(port),
        "--db",
        str(db_path),
        "--parent-pid",
        str(os.getpid()),
        *extra_args,
    ]
    if demo:
        args.append("--demo")
    env = {**os.environ, "LOYALTY_API_KEYS": api_key}
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        stderr = open(log_path, "ab")  # noqa: SIM115 - the child owns it from here
    else:
        stderr = subprocess.DEVNULL
    try:
        process = spawn(args, env=env, stderr=stderr)
    finally:
        if log_path is not None:
            stderr.close()

    lines: queue.Queue[bytes] = queue.Queue()

    def read_stdout() -> None:
        # Keep draining after the ready line so the child can never block on a full pipe.
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(b"")

    threading.Thread(target=read_stdout, name="loyalty-service-stdout", daemon=True).start()
    return StartingService(api_key, process, lines, log_path, startup_timeout, time.monotonic() + startup_timeout)


def _log_hint(log_path: Path | None) -> str:
    if log_path is None or not log_path.exists():
        return ""
    tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
    return f"; its log {log_path} ends with:\n" + "\n".join(tail)


def start_demo_store(data_dir: Path) -> RunningService:
    """The reference service with the demo store, its data kept in ``data_dir/demo-store``,
    once it accepts connections."""
    return launch_demo_store(data_dir).ready()


def launch_demo_store(data_dir: Path) -> StartingService:
    """The demo store's service started (``ready()`` waits for it). The API key is made once,
    kept beside the database (mode 0600) and reused."""
    store_dir = data_dir / "demo-store"
    store_dir.mkdir(parents=True, exist_ok=True)
    key_file = store_dir / "api-key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
    return launch_service(
        db_path=store_dir / "loyalty.db",
        api_key=key_file.read_text().strip(),
        log_path=store_dir / "service.log",
    )
