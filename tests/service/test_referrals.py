"""Referrals against a real service on both databases: the code in every summary, enrolment with
a code, the bonus paid once after the first qualifying purchase, the monthly cap, the own-phone
guard, and a full return taking the bonus back from both, once."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from loyalty_service.program import load_program
from loyalty_service.referral_codes import ALPHABET, normalise_code
from tests.service.api_calls import ALICE_ID, ALICE_PHONE, balance, error_code, identify, line, post_sale, sale_body
from tests.service.inprocess import demo_service
from tests.service.stored import execute, rows

BEN_ID = "acc_e48f54a256bf"


def enrol(client: Any, phone: str, code: str | None) -> Any:
    body = {"phone": phone, "name": "Ria Patel", "consent": {"terms_version": "2026-01", "marketing": False},
            "store_id": "demo-store", "terminal_id": "till-9", "referral_code": code}
    return client.post("/v1/accounts", json=body)


def code_of(client: Any, account_id: str) -> str:
    return client.get(f"/v1/accounts/{account_id}").json()["referral_code"]


def wine_sale(client: Any, account_id: str, bottles: int = 2) -> dict[str, Any]:
    # 2 x £8.99 = £17.98: over the demo's £10.00 min_first_purchase; 17 points at Bronze.
    return sale_body(client, account_id, [line(client, "1031", bottles)])


def referral_events(db: Path | str, account_id: str) -> list[tuple[str, int]]:
    found = rows(db, "SELECT data FROM events WHERE account_id = ? AND type = 'balance_changed' ORDER BY seq",
                 (account_id,))
    return [(d["cause"], d["delta"]) for d in (json.loads(r[0]) for r in found) if d["cause"].startswith("referral")]


def test_a_referral_pays_both_once_after_the_first_qualifying_purchase(api: httpx.Client, live_db: Path | str) -> None:
    alice_code = identify(api, "phone", ALICE_PHONE).json()["referral_code"]
    assert normalise_code(alice_code) == alice_code and alice_code != code_of(api, BEN_ID)
    alice_before = balance(api, ALICE_ID)
    # Typed as a person might: lower case, no dash.
    new = enrol(api, "020 7946 0901", alice_code.lower().replace("-", " "))
    assert new.status_code == 201, new.text
    ria = new.json()
    assert ria["referral_code"] not in (None, alice_code)

    small = post_sale(api, sale_body(api, ria["account_id"], [line(api, "1005")]))  # £3.49: not qualifying
    assert small.json()["referral_points"] == 0
    body = wine_sale(api, ria["account_id"])
    key = str(uuid.uuid4())
    first = post_sale(api, body, key)
    assert first.status_code == 201, first.text
    paid = first.json()
    assert (paid["points_earned"], paid["referral_points"]) == (17, 100)
    assert paid["balance"] == 3 + 17 + 100 == balance(api, ria["account_id"])
    replay = post_sale(api, body, key)  # the till's retry: answered as recorded, nothing paid again
    assert replay.headers["idempotent-replayed"] == "true" and replay.json() == paid
    again = post_sale(api, wine_sale(api, ria["account_id"])).json()  # a second qualifying sale
    assert again["referral_points"] == 0
    assert balance(api, ALICE_ID) == alice_before + 200
    assert balance(api, ria["account_id"]) == 3 + 17 + 100 + 17
    assert rows(live_db, "SELECT account_id, delta FROM ledger WHERE kind = 'adjust' ORDER BY id") == [
        (ria["account_id"], 100), (ALICE_ID, 200)]
    # Events like any other points movement, so a till following Alice sees hers arrive.
    assert referral_events(live_db, ALICE_ID) == [("referral", 200)]
    assert referral_events(live_db, ria["account_id"]) == [("referral", 100)]
    assert rows(live_db, "SELECT referrer_id, status, sale_id FROM referrals") == [
        (ALICE_ID, "paid", paid["sale_id"])]


def test_at_most_the_monthly_cap_of_bonuses_per_referrer(api: httpx.Client, live_db: Path | str) -> None:
    ben_code = code_of(api, BEN_ID)
    ben_before = balance(api, BEN_ID)
    bonuses = []
    for n in range(6):  # the demo's max_per_referrer_per_month is 5
        friend = enrol(api, f"020 7946 091{n}", ben_code).json()
        bonuses.append(post_sale(api, wine_sale(api, friend["account_id"])).json()["referral_points"])
    assert bonuses == [100] * 5 + [0]
    assert balance(api, BEN_ID) == ben_before + 5 * 200
    assert sorted(r[0] for r in rows(live_db, "SELECT status FROM referrals")) == ["capped"] + ["paid"] * 5


def test_a_code_that_is_nobody_s_or_the_phone_s_own_is_refused(api: httpx.Client) -> None:
    alice_code = code_of(api, ALICE_ID)
    unknown = "".join(ALPHABET[0] * 8)
    refused = enrol(api, "020 7946 0920", unknown[:4] + "-" + unknown[4:])
    assert error_code(refused) == (422, "unknown_referral_code")
    assert "No member has that referral code" in refused.json()["error"]["message"]
    assert refused.json()["error"]["details"][0]["field"] == "referral_code"
    assert error_code(enrol(api, "020 7946 0920", "not a code")) == (422, "unknown_referral_code")
    assert identify(api, "phone", "020 7946 0920").status_code == 404  # nothing was made
    # Alice's own number with her own code: refused as such, before "already enrolled".
    assert error_code(enrol(api, ALICE_PHONE, alice_code)) == (422, "referral_own_phone")
    assert enrol(api, "020 7946 0920", None).status_code == 201  # no code: enrolled as ever


def give_back(api: httpx.Client, sale_id: str, lines: list[dict[str, Any]] | None = None,
              key: str | None = None) -> httpx.Response:
    body = {} if lines is None else {"lines": lines}
    return api.post(f"/v1/sales/{sale_id}/returns", json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def test_a_partial_return_keeps_the_bonus_and_the_full_return_takes_it_back_from_both_once(
    api: httpx.Client, live_db: Path | str
) -> None:
    alice_before = balance(api, ALICE_ID)
    ria = enrol(api, "020 7946 0930", code_of(api, ALICE_ID)).json()
    sale = post_sale(api, wine_sale(api, ria["account_id"])).json()
    assert sale["referral_points"] == 100
    part = give_back(api, sale["sale_id"], [{"sku": "1031", "quantity": 1}]).json()
    assert (part["sale_fully_returned"], part["referral_points_reversed"]) == (False, 0)
    assert balance(api, ALICE_ID) == alice_before + 200
    key = str(uuid.uuid4())
    rest = give_back(api, sale["sale_id"], key=key)
    assert rest.status_code == 201, rest.text
    whole = rest.json()
    assert (whole["sale_fully_returned"], whole["referral_points_reversed"]) == (True, 100)
    assert whole["balance"] == 0 == balance(api, ria["account_id"])
    replayed = give_back(api, sale["sale_id"], key=key)
    assert replayed.json() == whole
    assert balance(api, ALICE_ID) == alice_before
    assert referral_events(live_db, ALICE_ID) == [("referral", 200), ("referral_reversed", -200)]
    assert referral_events(live_db, ria["account_id"]) == [("referral", 100), ("referral_reversed", -100)]
    assert rows(live_db, "SELECT status FROM referrals") == [("reversed",)]
    # The first qualifying purchase is spent: a later one pays nothing.
    assert post_sale(api, wine_sale(api, ria["account_id"])).json()["referral_points"] == 0


def test_older_accounts_get_codes_and_a_programme_without_referral_pays_none(tmp_path: Path) -> None:
    db = tmp_path / "loyalty.db"
    with demo_service(db) as client:
        alice_code = code_of(client, ALICE_ID)
    execute(db, "DELETE FROM referral_codes WHERE account_id = ?", (ALICE_ID,))  # as before codes existed
    no_referral = replace(load_program(), referral=None)
    with demo_service(db, no_referral) as client:
        new_code = code_of(client, ALICE_ID)
        assert new_code is not None and new_code != alice_code
        ria = enrol(client, "020 7946 0940", new_code).json()
        assert client.post("/v1/sales", json=wine_sale(client, ria["account_id"]),
                           headers={"Idempotency-Key": str(uuid.uuid4())}).json()["referral_points"] == 0
    assert rows(db, "SELECT status FROM referrals") == [("pending",)]
