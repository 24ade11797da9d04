"""Cashiers against a real service on both databases: sign-on with the right and wrong PIN, the
lockout and its unlock, a disabled cashier, head office's staff API and add-staff; and the
cashier_id a till sends stored with a sale, a return and an enrolment."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from loyalty_service.staff import DEMO_STAFF
from pos_core.embedded_service import RunningService
from tests.service.api_calls import ALICE_ID, error_code, line, post_sale, sale_body
from tests.service.stored import everything_stored, rows
from tests.service.test_api import enrol
from tests.service.test_chain_security import add_key, keyed
from tests.service.test_returns import give_back
from tests.service_fork_server import run_service_command

SAM_ID, SAM_NAME, SAM_PIN = DEMO_STAFF[0]


def sign_on(client: httpx.Client, staff_id: str, pin: str) -> httpx.Response:
    return client.post("/v1/staff/sign-on", json={"staff_id": staff_id, "pin": pin})


def test_sign_on_wrong_pins_lock_a_cashier_out_until_head_office_frees_them(
    api: httpx.Client, live_service: RunningService, live_db: Path | str
) -> None:
    assert sign_on(api, SAM_ID, SAM_PIN).json() == {"staff_id": SAM_ID, "name": SAM_NAME}
    with keyed(live_service, add_key(live_db, "demo-store", "till-2")) as thief, \
            keyed(live_service, add_key(live_db, "demo-store", "till-3")) as till:
        assert error_code(sign_on(thief, "nobody", "111111")) == (403, "wrong_staff_pin")
        for n in range(4):
            assert error_code(sign_on(thief, SAM_ID, f"00000{n}")) == (403, "wrong_staff_pin")
        listed = {s["staff_id"]: s for s in api.get("/v1/staff").json()["staff"]}
        assert listed[SAM_ID]["locked"] is False  # four: the unknown id was charged to the key, not to Sam
        assert error_code(sign_on(thief, SAM_ID, "000009")) == (429, "rate_limited")  # the key's five are spent
        assert error_code(sign_on(till, SAM_ID, "000008")) == (403, "wrong_staff_pin")
        # Five wrong PINs in a row: the right one, from another till, is refused as locked out.
        assert error_code(sign_on(till, SAM_ID, SAM_PIN)) == (403, "staff_locked")
        assert error_code(till.get("/v1/staff")) == (403, "hq_only")
        assert error_code(till.post(f"/v1/staff/{SAM_ID}/unlock")) == (403, "hq_only")
        freed = api.post(f"/v1/staff/{SAM_ID}/unlock").json()["staff"]
        assert [(s["staff_id"], s["locked"], s["disabled"]) for s in freed] == [(SAM_ID, False, False)]
        assert sign_on(till, SAM_ID, SAM_PIN).json()["name"] == SAM_NAME
        assert error_code(api.post("/v1/staff/c999/disable")) == (404, "not_found")
    assert [r[0] for r in rows(live_db, "SELECT failed_pins FROM staff WHERE staff_id = ?", (SAM_ID,))] == [0]


def test_head_office_adds_and_disables_cashiers_and_add_staff_keeps_only_a_hash(
    api: httpx.Client, live_db: Path | str
) -> None:
    added = api.post("/v1/staff", json={"staff_id": "c200", "name": "Lee  Wong", "pin": "97531864"})
    assert added.status_code == 201 and added.json() == {"staff_id": "c200", "name": "Lee Wong"}
    assert error_code(api.post("/v1/staff", json={"staff_id": "c200", "name": "X", "pin": "123456"})) == (
        409, "staff_exists")
    assert error_code(api.post("/v1/staff", json={"staff_id": "c 1", "name": "X", "pin": "123456"})) == (
        422, "invalid_request")
    made = run_service_command("add-staff", "--db", str(live_db), "--staff-id", "c300", "--name", "Ana Ruiz",
                               "--pin-file", "-", input="80864202\n")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout) == {"staff_id": "c300", "name": "Ana Ruiz"}
    assert sign_on(api, "c300", "80864202").json() == {"staff_id": "c300", "name": "Ana Ruiz"}
    assert sign_on(api, "c200", "97531864").status_code == 200
    disabled = api.post("/v1/staff/c200/disable").json()["staff"]
    assert [(s["staff_id"], s["disabled"]) for s in disabled] == [("c200", True)]
    assert error_code(sign_on(api, "c200", "97531864")) == (403, "staff_disabled")
    listed = run_service_command("list-staff", "--db", str(live_db)).stdout.splitlines()
    assert [(s["staff_id"], s["disabled"]) for s in map(json.loads, listed)] == [
        ("c101", False), ("c102", False), ("c200", True), ("c300", False)]
    stored = everything_stored(live_db)
    assert b"97531864" not in stored and b"80864202" not in stored and SAM_PIN.encode() not in stored


def test_a_sale_a_return_and_an_enrolment_carry_the_cashier(api: httpx.Client, live_db: Path | str) -> None:
    body = sale_body(api, ALICE_ID, [line(api, "1001"), line(api, "1005")])
    with_cashier = post_sale(api, body | {"cashier_id": SAM_ID}).json()
    without = post_sale(api, body).json()  # a till from before sign-on: stored with none
    key = str(uuid.uuid4())
    assert post_sale(api, body | {"cashier_id": "c102"}, key).status_code == 201
    assert error_code(post_sale(api, body | {"cashier_id": SAM_ID}, key)) == (409, "idempotency_conflict")
    assert post_sale(api, body | {"cashier_id": "c102"}, key).headers["idempotent-replayed"] == "true"
    stored = dict(rows(live_db, "SELECT sale_id, cashier_id FROM sales WHERE sale_id IN (?, ?, ?)",
                       (with_cashier["sale_id"], without["sale_id"], key)))
    assert stored == {with_cashier["sale_id"]: SAM_ID, without["sale_id"]: None, key: "c102"}
    assert "cashier_id" not in with_cashier  # the answer is as it was

    returned = api.post(f"/v1/sales/{with_cashier['sale_id']}/returns", json={"cashier_id": "c102"},
                        headers={"Idempotency-Key": str(uuid.uuid4())})
    assert returned.status_code == 201, returned.text
    old_return = give_back(api, without["sale_id"]).json()
    assert dict(rows(live_db, "SELECT return_id, cashier_id FROM sale_returns")) == {
        returned.json()["return_id"]: "c102", old_return["return_id"]: None}

    enrolled = enrol(api, "+44 20 7946 0998", cashier_id=SAM_ID).json()
    assert rows(live_db, "SELECT enrolled_by FROM accounts WHERE account_id = ?", (enrolled["account_id"],)) == [
        (SAM_ID,)]
