"""Issue 13, "managers", replayed against a real service on both databases.

Measured before: manager PINs were 4 digits under scrypt alone (29 ms a hash), so a copy of the
database gave every PIN in about 5 minutes on one core; a manager could not be removed, and wrong
PINs were charged only to the key, so a thief with several keys could go on guessing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import subprocess
from pathlib import Path

import httpx
import pytest

from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY, TEST_PIN_SECRET
from tests.security.at_once import at_once, outcomes
from tests.service.api_calls import ALICE_ID, ALICE_PHONE, balance, error_code, identify
from tests.service.stored import everything_stored, execute, rows
from tests.service.test_chain_security import add_key, keyed, serving_alice
from tests.service.test_events import adjust
from tests.service_fork_server import run_service_command

PIN = "864209"
SCRYPT = {"n": 2**13, "r": 8, "p": 1, "dklen": 32}  # the service's cost, as stored before


def cli(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_service_command(*args, input=stdin, env=env)


def without_secret() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "LOYALTY_PIN_SECRET"}


def add_manager(db: Path | str, name: str = "Pat Lee", pin: str = PIN) -> str:
    made = cli("add-manager", "--db", str(db), "--name", name, "--pin-file", "-", stdin=f"{pin}\n")
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)["manager_id"]


def hq_key(db: Path | str) -> str:
    made = cli("add-key", "--db", str(db), "--role", "hq")
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)["key"]


def managers_listed(db: Path | str) -> list[dict]:
    return [json.loads(line) for line in cli("list-managers", "--db", str(db)).stdout.splitlines()]


# -- new PINs, and their hashes ----------------------------------------------------------------------


def test_a_copy_of_the_database_alone_cannot_test_a_pin(
    live_service: RunningService, live_db: Path | str
) -> None:
    manager_id = add_manager(live_db)
    assert manager_id.startswith("mgr_")
    assert PIN.encode() not in everything_stored(live_db)
    [(stored,)] = rows(live_db, "SELECT pin_hash FROM managers WHERE manager_id = ?", (manager_id,))
    form, salt, digest = stored.split("$")
    assert form == "scrypt-keyed"
    salt_bytes, digest_bytes = bytes.fromhex(salt), bytes.fromhex(digest)
    # What a thief with the database can compute: scrypt of the PIN with its salt, or keyed with a
    # guessed secret. Neither reproduces the hash; only the secret kept outside the database does.
    assert hashlib.scrypt(PIN.encode(), salt=salt_bytes, **SCRYPT) != digest_bytes
    guessed = hmac.new(secrets.token_bytes(32), PIN.encode(), hashlib.sha256).digest()
    assert hashlib.scrypt(guessed, salt=salt_bytes, **SCRYPT) != digest_bytes
    keyed_pin = hmac.new(TEST_PIN_SECRET.encode(), PIN.encode(), hashlib.sha256).digest()
    assert hashlib.scrypt(keyed_pin, salt=salt_bytes, **SCRYPT) == digest_bytes
    # The service, which has the secret, takes the PIN.
    with serving_alice(live_service, add_key(live_db, "store-north", "till-2")) as till:
        done = adjust(till, ALICE_ID, 25, manager_pin=PIN, manager_id=manager_id)
        assert done.status_code == 201, done.text
        assert done.json()["manager"] == "Pat Lee"


def test_add_manager_wants_six_digits_a_secret_and_no_pin_on_the_command_line(service_db: Path | str) -> None:
    db = str(service_db)
    short = cli("add-manager", "--db", db, "--name", "Pat", "--pin-file", "-", stdin="1234\n")
    assert short.returncode == 2 and "6 to 12 digits" in short.stderr
    no_secret = cli("add-manager", "--db", db, "--name", "Pat", "--pin-file", "-", stdin=f"{PIN}\n",
                    env=without_secret())
    assert no_secret.returncode == 2 and "LOYALTY_PIN_SECRET" in no_secret.stderr
    no_pin = cli("add-manager", "--db", db, "--name", "Pat")  # stdin is not a terminal: no prompt
    assert no_pin.returncode == 2 and "--pin-file" in no_pin.stderr
    assert managers_listed(db) == []
    on_the_line = cli("add-manager", "--db", db, "--name", "Pat", "--pin", PIN)
    assert on_the_line.returncode == 0 and "ps and shell history" in on_the_line.stderr
    [listed] = managers_listed(db)
    assert listed | {"manager_id": "", "created_at": ""} == {
        "manager_id": "", "name": "Pat", "created_at": "", "failed_pins": 0, "locked": False}


def test_the_service_will_not_start_without_the_secret_its_hashes_need(
    service_db: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(service_db)
    add_manager(db)
    start = ["--db", db, "--port", "0", "--demo"]
    missing = run_service_command(*start, env=without_secret())
    assert missing.returncode == 2 and "hashed with a secret" in missing.stderr
    other = {**without_secret(), "LOYALTY_PIN_SECRET": secrets.token_hex(32)}
    wrong = run_service_command(*start, env=other)
    assert wrong.returncode == 2 and "not the one" in wrong.stderr
    # The secret from a file instead of the environment.
    secret_file = tmp_path / "pin-secret"
    secret_file.write_text(TEST_PIN_SECRET + "\n")
    monkeypatch.delenv("LOYALTY_PIN_SECRET")
    with start_service(db_path=service_db, api_key=TEST_API_KEY, extra_args=("--pin-secret-file", str(secret_file)),
                       ) as service, keyed(service, TEST_API_KEY) as api:
        assert adjust(api, ALICE_ID, 5, manager_pin=PIN).status_code == 201


def test_managers_added_with_four_digits_before_keep_working(
    api: httpx.Client, live_service: RunningService, live_db: Path | str
) -> None:
    salt = secrets.token_bytes(16)
    old_hash = f"scrypt${salt.hex()}${hashlib.scrypt(b'4321', salt=salt, **SCRYPT).hex()}"  # as made before
    execute(live_db, "INSERT INTO managers (manager_id, name, pin_hash, created_at) VALUES (?, ?, ?, ?)",
            ("mgr_0ld0ld0ld0ld", "Old Manager", old_hash, "2026-01-05T09:00:00Z"))
    done = adjust(api, ALICE_ID, 5, manager_pin="4321")  # an old till: the PIN alone
    assert done.status_code == 201 and done.json()["manager"] == "Old Manager"
    [(rewritten,)] = rows(live_db, "SELECT pin_hash FROM managers WHERE manager_id = 'mgr_0ld0ld0ld0ld'")
    assert rewritten.startswith("scrypt-keyed$")  # keyed from its first right PIN on
    done = adjust(api, ALICE_ID, 5, manager_pin="4321", manager_id="mgr_0ld0ld0ld0ld")
    assert done.status_code == 201


# -- lockout ---------------------------------------------------------------------------------------


def test_a_manager_is_locked_out_after_five_wrong_pins_until_head_office_frees_them(
    api: httpx.Client, live_service: RunningService, live_db: Path | str
) -> None:
    manager_id = add_manager(live_db)
    with serving_alice(live_service, add_key(live_db, "store-north", "till-2")) as thief, \
            serving_alice(live_service, add_key(live_db, "store-north", "till-3")) as till, \
            keyed(live_service, hq_key(live_db)) as head_office:
        for n in range(5):
            wrong = adjust(thief, ALICE_ID, 1000, manager_pin=f"00000{n}", manager_id=manager_id)
            assert error_code(wrong) == (403, "wrong_manager_pin")
        # From another till, even the right PIN: with the id it says so, without it (an old
        # till) it is not a manager's PIN, so the lockout cannot be stepped round.
        assert error_code(adjust(till, ALICE_ID, 10, manager_pin=PIN, manager_id=manager_id)) == (
            403, "manager_locked")
        assert error_code(adjust(till, ALICE_ID, 10, manager_pin=PIN)) == (403, "wrong_manager_pin")
        assert [(m["failed_pins"], m["locked"]) for m in managers_listed(live_db)] == [(5, True)]
        assert error_code(till.post(f"/v1/managers/{manager_id}/unlock")) == (403, "hq_only")
        assert error_code(head_office.post("/v1/managers/mgr_000000000000/unlock")) == (404, "not_found")
        freed = head_office.post(f"/v1/managers/{manager_id}/unlock")
        assert freed.status_code == 200 and freed.json() == {"manager_id": manager_id, "name": "Pat Lee", "locked": False}
        assert adjust(till, ALICE_ID, 10, manager_pin=PIN, manager_id=manager_id).status_code == 201
    assert balance(api, ALICE_ID) == 650


def test_unlock_and_remove_managers_from_the_command_line(
    live_service: RunningService, live_db: Path | str
) -> None:
    manager_id = add_manager(live_db)
    keys = [add_key(live_db, "store-north", f"till-{n}") for n in (2, 3)]
    with serving_alice(live_service, keys[0]) as thief, serving_alice(live_service, keys[1]) as till:
        for n in range(5):
            adjust(thief, ALICE_ID, 1000, manager_pin=f"00000{n}", manager_id=manager_id)
        assert error_code(adjust(till, ALICE_ID, 1, manager_pin=PIN, manager_id=manager_id)) == (
            403, "manager_locked")
        unlocked = cli("unlock-manager", "--db", str(live_db), "--manager-id", manager_id)
        assert unlocked.returncode == 0 and "unlocked" in unlocked.stderr
        assert adjust(till, ALICE_ID, 1, manager_pin=PIN, manager_id=manager_id).status_code == 201
        removed = cli("remove-manager", "--db", str(live_db), "--manager-id", manager_id)
        assert removed.returncode == 0 and "removed" in removed.stderr
        assert error_code(adjust(till, ALICE_ID, 1, manager_pin=PIN, manager_id=manager_id)) == (
            403, "wrong_manager_pin")
    assert managers_listed(live_db) == []
    again = cli("remove-manager", "--db", str(live_db), "--manager-id", manager_id)
    assert again.returncode == 1 and "no manager" in again.stderr


def test_forty_wrong_pins_at_once_from_several_tills_check_five_for_a_manager(
    live_service: RunningService, live_db: Path | str
) -> None:
    manager_id = add_manager(live_db)
    tills = [keyed(live_service, add_key(live_db, "store-north", f"till-{n}")) for n in range(4)]
    try:
        for till in tills:  # each till serves Alice
            assert identify(till, "phone", ALICE_PHONE).status_code == 200
        calls = [lambda till=till, n=n: adjust(till, ALICE_ID, 1000, manager_pin=f"{200000 + n}",
                                                manager_id=manager_id)
                 for n, till in enumerate(tills * 10)]
        counted = outcomes(at_once(calls))
    finally:
        for till in tills:
            till.close()
    assert counted[(403, "wrong_manager_pin")] == 5  # the manager's five; each till had five of its own
    assert set(counted) <= {(403, "wrong_manager_pin"), (403, "manager_locked"), (429, "rate_limited")}
    assert [(m["failed_pins"], m["locked"]) for m in managers_listed(live_db)] == [(5, True)]


def test_the_demo_manager_has_an_id_and_locks_out_too(
    api: httpx.Client, live_service: RunningService, live_db: Path | str
) -> None:
    for n in range(5):
        assert error_code(adjust(api, ALICE_ID, 1, manager_pin=f"00000{n}", manager_id="mgr_demo")) == (
            403, "wrong_manager_pin")
    with serving_alice(live_service, add_key(live_db, "store-north", "till-2")) as till:
        assert error_code(adjust(till, ALICE_ID, 1, manager_id="mgr_demo")) == (403, "manager_locked")
        assert api.post("/v1/managers/mgr_demo/unlock").json()["locked"] is False  # a configured key may
        done = adjust(till, ALICE_ID, 1, manager_id="mgr_demo")
        assert done.status_code == 201 and done.json()["manager"] == "Demo manager"
