"""A fork server for the loyalty services the tests start: one process per test worker imports
``loyalty_service`` once (FastAPI, pydantic, uvicorn: most of a service's start), then forks a
child for each service asked for, which runs ``loyalty_service.__main__.main`` as
``python -m loyalty_service`` would, on the caller's stdin, stdout pipe, stderr, environment and
folder. The caller gets a Popen-like handle; the server reports each child's exit status.

tests/conftest.py puts ``ForkServer.spawn`` in ``pos_core.embedded_service.spawn`` for the whole
run; tests/service/test_process.py keeps the real ``python -m loyalty_service`` start under test.
Run by the tests only: ``python -m tests.service_fork_server FD`` (FD: its end of a socket pair).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from loyalty_service.worker_processes import exit_forked

ROOT = Path(__file__).resolve().parent.parent
SERVICE_ARGS = ["-m", "loyalty_service"]
MESSAGE_MAX = 1 << 20


# -- the server (a process of its own) ---------------------------------------------------------------


def _serve(channel: socket.socket) -> None:
    import gc

    import loyalty_service.__main__ as service  # the point: import once, before any fork

    gc.freeze()  # what is imported stays out of the children's collections (and their pages shared)

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    channel.sendmsg([json.dumps({"ready": True}).encode()])
    while True:
        readable, _, _ = select.select([channel, wake_r], [], [])
        if wake_r in readable:
            os.read(wake_r, 4096)
        _report_exits(channel)
        if channel not in readable:
            continue
        data, fds, _, _ = socket.recv_fds(channel, MESSAGE_MAX, 3)
        if not data:
            return  # the test worker has gone: its services watch its pid and stop by themselves
        request = json.loads(data)
        pid = os.fork()
        if pid == 0:
            _child(service.main, request, fds, channel, (wake_r, wake_w))
        for fd in fds:
            os.close(fd)
        channel.sendmsg([json.dumps({"spawned": pid}).encode()])


def _report_exits(channel: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        channel.sendmsg([json.dumps({"exited": pid, "code": os.waitstatus_to_exitcode(status)}).encode()])


def _child(main: Any, request: dict[str, Any], fds: list[int], channel: socket.socket, wake: tuple[int, int]) -> None:
    code = 1
    try:
        channel.close()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in wake:
            os.close(fd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import random
        import time

        time.tzset()
        random.seed()  # not the server's sequence, shared by every child
        sys.argv = ["loyalty_service", *request["argv"]]
        code = main(request["argv"])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on the child's stderr, as Python would
        import traceback

        traceback.print_exc()
    finally:
        exit_forked(code)


# -- the client (in the test worker) -----------------------------------------------------------------


class ForkedService:
    """The parts of ``subprocess.Popen`` that pos_core.embedded_service and the tests use."""

    def __init__(self, server: ForkServer, args: list[str], pid: int, stdout: Any) -> None:
        self.args, self.pid, self.stdout, self.returncode = args, pid, stdout, None
        self._server = server

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._server.exit_code(self.pid, timeout=0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            code = self._server.exit_code(self.pid, timeout=timeout)
            if code is None:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            self.returncode = code
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:  # as Popen: never signal a pid that may be someone else's by now
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """Started on the first service asked for; ``spawn`` has pos_core.embedded_service's signature
    and starts anything but ``python -m loyalty_service`` the ordinary way."""

    def __init__(self, fallback: Any) -> None:
        self._fallback = fallback
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._exits: dict[int, int] = {}
        self._spawned: list[int] = []
        self._channel: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._broken = False

    def spawn(self, args: list[str], *, env: dict[str, str], stderr: Any) -> Any:
        if args[1:3] != SERVICE_ARGS or not self._started():
            return self._fallback(args, env=env, stderr=stderr)
        read_end, write_end = os.pipe()
        null = os.open(os.devnull, os.O_RDWR)
        try:
            pid = self._fork(args[3:], env, [null, write_end, null if stderr == subprocess.DEVNULL else stderr.fileno()])
        finally:
            os.close(write_end)
            os.close(null)
        return ForkedService(self, args, pid, os.fdopen(read_end, "rb"))

    def run(self, argv: list[str], *, input: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
        """``subprocess.run([python, -m, loyalty_service, *argv], input=..., capture_output=True,
        text=True, ...)``, forked."""
        args = [sys.executable, *SERVICE_ARGS, *argv]
        if not self._started():
            return subprocess.run(args, input=input, capture_output=True, text=True, timeout=timeout, env=env)
        pipes = [os.pipe() for _ in range(3)]
        try:
            pid = self._fork(argv, env, [pipes[0][0], pipes[1][1], pipes[2][1]])
        finally:
            for fd in (pipes[0][0], pipes[1][1], pipes[2][1]):
                os.close(fd)
        child = ForkedService(self, args, pid, None)
        out: dict[int, bytes] = {}

        def read(index: int) -> None:
            with os.fdopen(pipes[index][0], "rb") as stream:
                out[index] = stream.read()

        readers = [threading.Thread(target=read, args=(index,), daemon=True) for index in (1, 2)]
        for reader in readers:
            reader.start()
        stdin = os.fdopen(pipes[0][1], "wb")
        try:
            stdin.write(input.encode())
            stdin.close()
        except BrokenPipeError:  # the child did not read it all (as subprocess.run, not an error)
            pass
        try:
            code = child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            raise
        for reader in readers:
            reader.join(timeout)
        return subprocess.CompletedProcess(args, code, out.get(1, b"").decode(), out.get(2, b"").decode())

    def _fork(self, argv: list[str], env: dict[str, str], fds: list[int]) -> int:
        """A child running the service's main(argv) on ``fds`` as its stdin, stdout and stderr."""
        request = {"argv": argv, "env": env, "cwd": os.getcwd()}
        with self._lock:
            assert self._channel is not None
            socket.send_fds(self._channel, [json.dumps(request).encode()], fds)
            return self._next_spawned()

    def exit_code(self, pid: int, *, timeout: float | None) -> int | None:
        with self._changed:
            self._changed.wait_for(lambda: pid in self._exits or self._broken, timeout=timeout)
            return self._exits.get(pid)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.shutdown(socket.SHUT_RDWR)  # wakes our listener; the server sees the end
            self._channel.close()
        if self._process is not None:
            self._process.wait(10)

    def _next_spawned(self) -> int:
        with self._changed:
            if not self._changed.wait_for(lambda: self._spawned or self._broken, timeout=30) or not self._spawned:
                raise RuntimeError("the service fork server did not answer")
            return self._spawned.pop(0)

    def _started(self) -> bool:
        with self._lock:
            if self._channel is None and not self._broken:
                try:
                    self._start()
                except (OSError, RuntimeError, ValueError) as error:
                    print(f"service fork server unavailable ({error}); starting services the ordinary way",
                          file=sys.stderr)
                    self._broken = True
            return not self._broken

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.service_fork_server", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], cwd=ROOT, stdin=subprocess.DEVNULL,
        )
        theirs.close()
        ours.settimeout(60)
        first = ours.recv(MESSAGE_MAX)
        if not first or not json.loads(first).get("ready"):
            raise RuntimeError("the service fork server did not start")
        ours.settimeout(None)
        self._channel = ours
        threading.Thread(target=self._listen, name="service-fork-server", daemon=True).start()

    def _listen(self) -> None:
        assert self._channel is not None
        while True:
            try:
                data = self._channel.recv(MESSAGE_MAX)
            except OSError:
                data = b""
            with self._changed:
                if not data:
                    self._broken = True
                    self._changed.notify_all()
                    return
                message = json.loads(data)
                if "spawned" in message:
                    self._spawned.append(message["spawned"])
                else:
                    self._exits[message["exited"]] = message["code"]
                self._changed.notify_all()


ACTIVE: ForkServer | None = None  # the run's, once tests/conftest.py has made it


def run_service_command(*argv: str, input: str = "", env: dict[str, str] | None = None,
                        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m loyalty_service ARGV`` to its end (a command such as add-key, or a start that
    must be refused), its output captured as text: forked from the fork server when there is one."""
    environment = dict(os.environ if env is None else env)
    if ACTIVE is None:
        return subprocess.run([sys.executable, *SERVICE_ARGS, *argv], input=input, capture_output=True, text=True,
                              timeout=timeout, env=environment)
    return ACTIVE.run(list(argv), input=input, env=environment, timeout=timeout)


if __name__ == "__main__":
    _serve(socket.socket(fileno=int(sys.argv[1])))
