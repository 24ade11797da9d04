"""Issue 13, "secrets", replayed against the real service on both databases.

Measured before: a configured key could be one character long (and may do everything), and keys
and PINs were given only on the command line, where ``ps`` and shell history keep them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pos_core.embedded_service import start_service
from tests.service.api_calls import ALICE_PHONE, identify
from tests.service.test_chain_security import keyed
from tests.service_fork_server import run_service_command

LONG_KEY = "store-one-key-" + "7f3a9c2e51d04b1c"  # 30 characters


def service(db: Path | str, *args: str, keys: str = "") -> subprocess.CompletedProcess[str]:
    """A service that should refuse to start (a bound: it would run for ever otherwise)."""
    env = {**os.environ, "LOYALTY_API_KEYS": keys}
    return run_service_command("--db", str(db), "--port", "0", *args, env=env)


def test_short_configured_keys_are_refused_outside_the_demo(service_db: Path | str, tmp_path: Path) -> None:
    for refused in (service(service_db, keys="x"), service(service_db, "--api-key", "till-1-secret"),
                    service(service_db, keys=f"{LONG_KEY},short-one")):
        assert refused.returncode == 2, refused.stderr
        assert "shorter than 24 characters" in refused.stderr and "till-1-secret" not in refused.stderr
        assert refused.stdout == ""
    key_file = tmp_path / "keys"
    key_file.write_text(f"# the tills' keys\n{LONG_KEY}\nabc\n")
    from_file = service(service_db, "--api-key-file", str(key_file))
    assert from_file.returncode == 2 and "shorter than 24 characters" in from_file.stderr
    # With --demo a short key is still allowed (the embedded demo store, tests, trying it out).
    with start_service(db_path=service_db, api_key="x", demo=True) as demo, keyed(demo, "x") as till:
        assert identify(till, "phone", ALICE_PHONE).status_code == 200


def test_keys_from_a_file_one_a_line(service_db: Path | str, tmp_path: Path) -> None:
    second = "second-store-key-0123456789abcdef"
    key_file = tmp_path / "keys"
    key_file.write_text(f"# the keys of this store's tills\n\n{LONG_KEY}\n  {second}  \n")
    with start_service(db_path=service_db, api_key="", demo=True,
                       extra_args=("--api-key-file", str(key_file))) as running:
        for key in (LONG_KEY, second):
            with keyed(running, key) as till:
                assert identify(till, "phone", ALICE_PHONE).status_code == 200
        with keyed(running, "# the keys of this store's tills") as comment:
            assert identify(comment, "phone", ALICE_PHONE).status_code == 401
    missing = service(service_db, "--api-key-file", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "cannot read the key file" in missing.stderr


def test_a_key_on_the_command_line_is_warned_about(service_db: Path | str, tmp_path: Path) -> None:
    log = tmp_path / "service.log"
    with start_service(db_path=service_db, api_key="", demo=False, log_path=log,
                       extra_args=("--api-key", LONG_KEY)) as running, keyed(running, LONG_KEY) as till:
        assert till.get("/v1/health").status_code == 200
    assert "ps and shell history" in log.read_text()
