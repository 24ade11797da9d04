"""A private PostgreSQL server for the tests and benchmarks: made with initdb in a folder of its own,
listening on a free loopback port, stopped and removed at the end. It never touches a system
cluster. Debian's ``postgresql`` package provides the programs (``./dev test`` installs it).

Set ``LOYALTY_TEST_POSTGRES_URL`` (a superuser's URL, e.g. ``postgresql://postgres@127.0.0.1/postgres``)
to use a server you already run instead; each test still gets a database of its own.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

SUPERUSER = "loyalty"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL programs here, or the server would not start."""


def bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: Debian's newest /usr/lib/postgresql/N/bin, else the PATH."""
    def version(path: Path) -> int:
        return int(path.parent.name) if path.parent.name.isdigit() else 0

    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version, reverse=True)
    if debian:
        return debian[0].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """``admin_url`` reaches the ``postgres`` database as a superuser."""

    admin_url: str
    folder: Path | None = None
    _bin: Path | None = None
    _run_as: str | None = None
    _made: list[str] = field(default_factory=list)

    def url(self, database: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"not a plain database name: {name!r}")
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            # PostgreSQL 15's default strategy writes the copy to the WAL: slower for tiny databases.
            strategy = " STRATEGY file_copy" if conn.info.server_version >= 150000 else ""
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0{strategy}")
        self._made.append(name)
        return self.url(name)

    def stop(self) -> None:
        if self.folder is None:  # someone else's server: drop only what we made
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                for name in self._made:
                    conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        assert self._bin is not None
        self._pg(["pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"], check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _pg(self, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert self._bin is not None
        command = [str(self._bin / argv[0]), *argv[1:]]
        result = subprocess.run(command, capture_output=True, text=True, user=self._run_as, timeout=120)
        if check and result.returncode != 0:
            raise PostgresUnavailable(f"{argv[0]} failed: {(result.stderr or result.stdout).strip()}")
        return result


def start_postgres(*, durable: bool = False) -> PostgresServer:
    """A running server. ``durable``: fsync and synchronous commit on, as a real chain runs it (for
    benchmarks); off by default, which only makes the tests faster."""
    given = os.environ.get("LOYALTY_TEST_POSTGRES_URL")
    if given:
        return PostgresServer(admin_url=given)
    programs = bin_dir()
    if programs is None:
        raise PostgresUnavailable("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    run_as = None
    if os.geteuid() == 0:  # initdb refuses root: the server runs as Debian's postgres user
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable("running as root and there is no 'postgres' user to run the server") from None
        run_as = "postgres"
    folder = Path(tempfile.mkdtemp(prefix="loyalty-pg-"))
    if run_as:
        shutil.chown(folder, run_as, run_as)
    port = _free_port()
    server = PostgresServer(admin_url=f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres",
                            folder=folder, _bin=programs, _run_as=run_as)
    try:
        server._pg(["initdb", "-D", str(folder / "data"), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                    "--locale=C", "--no-sync"])
        settings = [
            "-c", "listen_addresses=127.0.0.1", "-p", str(port), "-k", str(folder),
            "-c", "max_connections=300", "-c", "shared_buffers=64MB",
        ]
        if not durable:
            settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        server._pg(["pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w", "-t", "60",
                    "-o", " ".join(settings), "start"])
    except (PostgresUnavailable, subprocess.TimeoutExpired, OSError) as error:
        log = folder / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise PostgresUnavailable(f"{error}\n{tail}".strip()) from None
    return server
