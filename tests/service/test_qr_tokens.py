"""Signed, expiring, single-use app QR tokens, against a real service on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from loyalty_service.qr_tokens import sign
from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import InvalidValue
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, error_code, identify
from tests.service.stored import rows
from tests.waiting import wait_until

BEN_ID = "acc_e48f54a256bf"


def new_token(client: httpx.Client, account_id: str = ALICE_ID, **body: int) -> dict[str, str]:
    response = client.post(f"/v1/accounts/{account_id}/qr-token", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def service_secret(db: Path | str) -> bytes:
    [(value,)] = rows(db, "SELECT value FROM meta WHERE key = 'qr_token_secret'")
    return bytes.fromhex(value)


def test_a_fresh_token_identifies_the_customer_once(api: httpx.Client) -> None:
    issued = new_token(api)
    token = issued["token"]
    assert token.startswith("LQR1.") and len(token) <= 120
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567890.1")  # QR alphanumeric mode
    assert issued["expires_at"].endswith("Z")

    first = identify(api, "qr", token)
    assert first.status_code == 200, first.text
    assert first.json()["account_id"] == ALICE_ID
    assert first.json()["display_name"] == "Alice S."

    assert error_code(identify(api, "qr", token)) == (422, "qr_replayed")


def test_each_token_is_its_own(api: httpx.Client) -> None:
    one, two = new_token(api)["token"], new_token(api)["token"]
    assert one != two
    assert identify(api, "qr", two).status_code == 200
    assert identify(api, "qr", one).status_code == 200


def test_a_token_with_a_changed_signature_is_refused(api: httpx.Client) -> None:
    token = new_token(api)["token"]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = identify(api, "qr", flipped)
    assert error_code(response) == (422, "invalid_value")
    assert flipped not in response.text  # an error never echoes the value
    # The refused forgery did not use up the real token.
    assert identify(api, "qr", token).status_code == 200


def test_a_token_for_another_account_cannot_be_made_by_editing_one(api: httpx.Client) -> None:
    token = new_token(api)["token"]
    parts = token.split(".")
    other = new_token(api, BEN_ID)["token"].split(".")
    forged = ".".join([parts[0], other[1], *parts[2:]])
    assert error_code(identify(api, "qr", forged)) == (422, "invalid_value")


@pytest.mark.parametrize(
    "value", ["LQR1.", "LQR1.AAAA.1.AAAA.AAAA", "LQR1." + "A" * 200, "lqr1.not a token"]
)
def test_a_malformed_token_is_invalid_value(api: httpx.Client, value: str) -> None:
    assert error_code(identify(api, "qr", value)) == (422, "invalid_value")


def test_an_expired_token_is_refused(api: httpx.Client, live_db: Path | str) -> None:
    new_token(api)  # the service makes its secret on first use
    expired = sign(service_secret(live_db), ALICE_ID, int(time.time()) - 1)
    assert error_code(identify(api, "qr", expired)) == (422, "qr_expired")
    # ... while the same secret signing a future expiry is accepted: the refusal was the expiry.
    assert identify(api, "qr", sign(service_secret(live_db), ALICE_ID, int(time.time()) + 60)).status_code == 200


def past(rfc3339: str) -> Callable[[], bool]:
    """True once the service's clock (this machine's) has reached ``rfc3339``."""
    moment = datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()
    return lambda: time.time() >= moment


def test_a_short_lived_token_expires(api: httpx.Client) -> None:
    issued = new_token(api, ttl_seconds=1)
    token = issued["token"]
    wait_until(past(issued["expires_at"]), timeout=5, what="the token's expiry")
    assert error_code(identify(api, "qr", token)) == (422, "qr_expired")


@pytest.mark.parametrize("ttl", [0, 601, -5])
def test_the_lifetime_is_bounded(api: httpx.Client, ttl: int) -> None:
    response = api.post(f"/v1/accounts/{ALICE_ID}/qr-token", json={"ttl_seconds": ttl})
    assert error_code(response) == (422, "invalid_request")


def test_the_default_lifetime_is_five_minutes(api: httpx.Client) -> None:
    before = time.time()
    response = api.post(f"/v1/accounts/{ALICE_ID}/qr-token")  # no body at all
    assert response.status_code == 201, response.text
    expires = datetime.fromisoformat(response.json()["expires_at"].replace("Z", "+00:00")).timestamp()
    assert before + 299 <= expires <= time.time() + 301


def test_no_token_for_an_unknown_account(api: httpx.Client) -> None:
    assert error_code(api.post("/v1/accounts/acc_000000000000/qr-token", json={})) == (404, "not_found")


def test_used_nonces_are_pruned_after_expiry(api: httpx.Client, live_db: Path | str) -> None:
    new_token(api)  # the service makes its secret on first use
    key = service_secret(live_db)
    soon = int(time.time()) + 2
    assert identify(api, "qr", sign(key, ALICE_ID, soon)).status_code == 200
    wait_until(lambda: time.time() >= soon, timeout=5, what="the first token's expiry")
    assert identify(api, "qr", new_token(api)["token"]).status_code == 200
    left = [row[0] for row in rows(live_db, "SELECT expires_at FROM qr_token_nonces")]
    assert left and all(expiry > soon for expiry in left)


@pytest.mark.parametrize(
    ("payload", "account_id"),
    [("LOYALTY:ZSKRIOZAAF25G5FS", ALICE_ID), ("LOYALTY:IUA54JL22JWFFQRN", BEN_ID)],
)
def test_static_card_payloads_still_identify_and_can_be_reused(
    api: httpx.Client, payload: str, account_id: str
) -> None:
    for _ in range(2):
        response = identify(api, "qr", payload)
        assert response.status_code == 200, response.text
        assert response.json()["account_id"] == account_id


def test_the_till_client_gets_a_token_and_a_reused_one_is_an_invalid_value(live_service: RunningService) -> None:
    async def scenario() -> None:
        async with LoyaltyClient(live_service.url, TEST_API_KEY) as client:
            token = await client.qr_token(ALICE_ID)
            assert (await client.identify("qr", token)).account_id == ALICE_ID
            with pytest.raises(InvalidValue) as refused:
                await client.identify("qr", token)
            assert refused.value.code == "qr_replayed"

    asyncio.run(scenario())
