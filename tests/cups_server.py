"""A private CUPS server for the receipt printer's cups:// tests: Debian's cupsd run in the foreground
(``-f``) as a child of the test, with its own ServerRoot, spool, state, cache, logs and printcap in a
temporary folder, listening on a free loopback port only; stopped and removed at the end. It never
reads or touches the system's CUPS (/etc/cups, /run/cups, /var/spool/cups). Debian's ``cups``
package provides cupsd and its socket backend; pycups talks to it (``./dev test`` installs both).

The same configuration runs as root (CI) and as anyone else: as root cupsd runs the backends as
``lp`` (its default User), so the folder is left open for ``lp`` to read a job's file; as another
user it runs them as that user. Its own policy lets any loopback client add and change queues, so no
lpadmin group or local certificate is needed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.unit.test_print_queue import free_port
from tests.waiting import wait_until

CUPSD = "/usr/sbin/cupsd"
# A busy 2-core machine may take a while to start it; it usually answers in a tenth of a second.
START_WITHIN = 30.0


class CupsUnavailable(RuntimeError):
    """No cupsd or pycups here, or the server would not start."""


@dataclass
class CupsServer:
    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def address(self) -> str:
        """As ``CUPS_SERVER`` names it."""
        return f"127.0.0.1:{self.port}"

    def connection(self):  # -> cups.Connection
        """A pycups connection to this server. libcups keeps its server per thread: set here each time."""
        import cups

        cups.setServer("127.0.0.1")
        cups.setPort(self.port)
        return cups.Connection()

    def add_raw_queue(self, name: str, device_uri: str) -> None:
        """A raw queue (no driver, no filter: the bytes go to the device as they are), enabled and
        accepting jobs, made with the README's command."""
        command = ["lpadmin", "-h", self.address, "-p", name, "-E", "-v", device_uri]
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise CupsUnavailable(f"{' '.join(command)} failed: {(result.stderr or result.stdout).strip()}")

    def running(self) -> bool:
        return self.process.poll() is None

    def log(self, name: str = "error_log") -> str:
        try:
            return (self.folder / "log" / name).read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cups() -> CupsServer:
    """A running private cupsd with no queues; ``stop()`` it at the end."""
    try:
        import cups  # noqa: F401  (pycups: the till's side of the cups:// tests)
    except ImportError:
        raise CupsUnavailable("pycups is not installed (pip install pycups; it builds against libcups2-dev)") from None
    if not os.access(CUPSD, os.X_OK) or not shutil.which("lpadmin"):
        raise CupsUnavailable(f"{CUPSD} or lpadmin is not installed (Debian: apt-get install cups)")
    folder = Path(tempfile.mkdtemp(prefix="loyalty-cups-"))
    # Root's cupsd runs backends as lp, who must reach the job files cupsd keeps in here.
    folder.chmod(0o755)
    for name in ("spool", "cache", "state", "tmp", "log"):
        (folder / name).mkdir()
    port = free_port()
    (folder / "cupsd.conf").write_text(f"""\
Listen 127.0.0.1:{port}
Browsing No
WebInterface No
LogLevel info
DefaultPolicy loopback
<Policy loopback>
  JobPrivateAccess all
  JobPrivateValues none
  SubscriptionPrivateAccess all
  SubscriptionPrivateValues none
  <Limit All>
    Order allow,deny
    Allow all
  </Limit>
</Policy>
<Location />
  Order allow,deny
  Allow all
</Location>
""")
    (folder / "cups-files.conf").write_text(f"""\
ServerRoot {folder}
RequestRoot {folder}/spool
CacheDir {folder}/cache
StateDir {folder}/state
TempDir {folder}/tmp
ErrorLog {folder}/log/error_log
AccessLog {folder}/log/access_log
PageLog {folder}/log/page_log
Printcap {folder}/printcap
""")
    with (folder / "log" / "stderr").open("wb") as stderr:  # what it says before its own log is open
        process = subprocess.Popen(
            [CUPSD, "-f", "-c", str(folder / "cupsd.conf"), "-s", str(folder / "cups-files.conf")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            # Its own environment: nothing of this machine's CUPS settings.
            env={"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LANG": "C"},
        )
    server = CupsServer(folder, port, process)
    try:
        wait_until(lambda: not server.running() or _answers(server), timeout=START_WITHIN,
                   what=f"cupsd answering on {server.address}")
    except AssertionError:
        server.stop()
        raise CupsUnavailable(f"cupsd did not answer on {server.address} within {START_WITHIN:g} s") from None
    if not server.running():
        errors = server.log("stderr") + server.log()
        server.stop()
        raise CupsUnavailable(f"cupsd stopped at once: {errors.strip()[-2000:]}")
    return server


def _answers(server: CupsServer) -> bool:
    try:
        server.connection().getPrinters()
    except RuntimeError:  # failed to connect to server: not listening yet
        return False
    return True
