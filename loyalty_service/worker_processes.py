"""``loyalty-service --workers N``: N service processes accepting on one socket, pre-forked.

The parent binds the socket, makes the schema and seeds the store once, then forks the workers;
each builds its own app, database pool, event watch and PostgreSQL listener (nothing that holds a
connection or a thread crosses the fork) and accepts on the shared socket, the kernel handing each
connection to one of them. Everything a request relies on lives in the database, so any worker (or
another host's) can answer any request: rate limits, key revocation, QR nonces, serving windows.

The parent only watches: one line on stderr per worker started, the one "listening" line on stdout
once every worker serves, a new worker in place of one that dies (a second later when it died
young, so a worker that cannot start does not spin), and on SIGTERM or SIGINT, or when
``--parent-pid`` has gone, SIGTERM to every worker, SIGKILL to any still there after the grace.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from collections.abc import Callable

WATCHED = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT}
GRACE_SECONDS = 10.0  # uvicorn's own graceful shutdown is 5 s
YOUNG_SECONDS = 1.0  # a worker that dies sooner is restarted this much later
LOOK_SECONDS = 0.5  # how often the parent looks at its own parent when nothing happens

# serve(index, ready): run worker ``index`` (0 runs the hourly jobs), calling ready() once it
# accepts connections; its exit code.
Serve = Callable[[int, Callable[[], None]], int]


def say(text: str) -> None:
    print(f"loyalty-service: {text}", file=sys.stderr, flush=True)


def exit_forked(code: object) -> None:
    """End a forked child with ``code`` (1 unless an int), its output flushed, and nothing of the
    parent's (atexit handlers, buffered files, threads' cleanups) run a second time."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed stream: nothing more to say
            pass
    os._exit(code if isinstance(code, int) else 1)


class Workers:
    def __init__(self, count: int, serve: Serve) -> None:
        self.count = count
        self.serve = serve
        self.pids: dict[int, int] = {}  # pid -> index
        self.started_at: dict[int, float] = {}  # index -> when
        self.restart_at: dict[int, float] = {}  # index -> when a dead worker's successor is due
        self.ready_r, self.ready_w = os.pipe()

    def fork(self, index: int) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._child(index)
        self.pids[pid] = index
        self.started_at[index] = time.monotonic()

    def _child(self, index: int) -> None:
        code = 1
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, WATCHED)
            os.close(self.ready_r)
            code = self.serve(index, lambda: os.write(self.ready_w, bytes([index])))
        except BaseException:  # noqa: BLE001 - reported on stderr, as Python would
            import traceback

            traceback.print_exc()
        finally:
            exit_forked(code)

    def readied(self, timeout: float) -> list[int]:
        """Indexes of workers that said they serve, within ``timeout``."""
        readable, _, _ = select.select([self.ready_r], [], [], timeout)
        if not readable:
            return []
        return list(os.read(self.ready_r, 256))

    def reap(self) -> list[tuple[int, int, int]]:
        """(index, pid, exit code) of the workers that have exited."""
        gone = []
        while self.pids:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            index = self.pids.pop(pid, None)
            if index is not None:
                gone.append((index, pid, os.waitstatus_to_exitcode(status)))
        return gone

    def stop(self) -> None:
        for pid in list(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + GRACE_SECONDS
        while self.pids and time.monotonic() < deadline:
            self.reap()
            if self.pids:
                signal.sigtimedwait({signal.SIGCHLD}, min(0.2, max(0.0, deadline - time.monotonic())))
        for pid in list(self.pids):
            say(f"worker {self.pids[pid] + 1} (pid {pid}) did not stop within {GRACE_SECONDS:.0f} s; killing it")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            del self.pids[pid]

    def pid_of(self, index: int) -> int | None:
        return next((pid for pid, at in self.pids.items() if at == index), None)


def run(count: int, serve: Serve, *, announce: Callable[[], None], parent_gone: Callable[[], bool]) -> int:
    """Start ``count`` workers, ``announce`` once all serve, and keep them going until told to
    stop. 0 when stopped, 1 when the first workers could not start."""
    signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)  # taken with sigtimedwait, never mid-fork
    workers = Workers(count, serve)
    for index in range(count):
        workers.fork(index)
    waiting = set(range(count))
    try:
        while waiting:  # the first workers: all must come up
            for index in workers.readied(0.1):
                waiting.discard(index)
                say(f"worker {index + 1} of {count} started (pid {workers.pid_of(index)})")
            for index, pid, code in workers.reap():
                say(f"worker {index + 1} (pid {pid}) exited with code {code} while starting; stopping")
                return 1
            if signal.sigtimedwait({signal.SIGTERM, signal.SIGINT}, 0) is not None or parent_gone():
                return 0
        announce()
        while True:
            received = signal.sigtimedwait(WATCHED, _next_look(workers))
            if received is not None and received.si_signo in (signal.SIGTERM, signal.SIGINT):
                return 0
            if parent_gone():
                say("the parent process is gone; stopping")
                return 0
            for index, pid, code in workers.reap():
                young = time.monotonic() - workers.started_at[index] < YOUNG_SECONDS
                say(f"worker {index + 1} (pid {pid}) exited with code {code}; starting another"
                    + (f" in {YOUNG_SECONDS:.0f} s" if young else ""))
                workers.restart_at[index] = time.monotonic() + (YOUNG_SECONDS if young else 0.0)
            for index, due in list(workers.restart_at.items()):
                if due <= time.monotonic():
                    del workers.restart_at[index]
                    workers.fork(index)
            for index in workers.readied(0):
                say(f"worker {index + 1} of {count} started (pid {workers.pid_of(index)})")
    finally:
        workers.stop()
        os.close(workers.ready_r)
        os.close(workers.ready_w)


def _next_look(workers: Workers) -> float:
    due = [at - time.monotonic() for at in workers.restart_at.values()]
    return max(0.0, min([LOOK_SECONDS, *due]))
