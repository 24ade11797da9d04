"""Rewards reserved, then redeemed: holds, releases, expiry, and two tills racing for the same points."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from loyalty_service import reservations
from pos_core.embedded_service import RunningService
from tests.service.api_calls import ALICE_ID, balance, error_code, line, post_sale, sale_body
from tests.service.conftest import client_for
from tests.service.inprocess import demo_service
from tests.service.stored import rows


def reserve(client: Any, rewards: list[str], terminal: str = "till-1", **extra: Any) -> Any:
    body = {"account_id": ALICE_ID, "rewards": rewards, "store_id": "demo-store", "terminal_id": terminal, **extra}
    return client.post("/v1/reservations", json=body)


def five_off_sale(client: Any, reservation_id: str | None = None) -> dict[str, Any]:
    body = sale_body(client, ALICE_ID, [line(client, "1005", 2)], rewards=["five-off"])
    if reservation_id is not None:
        body["reservation_id"] = reservation_id
    return body


def test_reserve_then_the_sale_redeems_the_hold(api: httpx.Client, live_db: Path | str) -> None:
    held = reserve(api, ["five-off"])
    assert held.status_code == 201
    document = held.json()
    assert document["reservation_id"].startswith("res_")
    assert (document["points_held"], document["status"], document["balance"], document["points_available"]) == (
        500, "held", 640, 140)
    assert document["expires_at"].endswith("Z")
    # Held, not spent: the balance is untouched and no ledger row was written.
    assert balance(api, ALICE_ID) == 640
    key = str(uuid.uuid4())
    sale = post_sale(api, five_off_sale(api, document["reservation_id"]), key)
    assert sale.status_code == 201, sale.text
    # £6.98 - £5 = £1.98 at Silver 1.25 -> 2 points; 640 - 500 + 2 = 142 (the contract's example).
    assert (sale.json()["points_redeemed"], sale.json()["balance"]) == (500, 142)
    assert rows(live_db, "SELECT kind, delta, reward_id FROM ledger WHERE sale_id = ? ORDER BY id", (key,)) == [
        ("redeem", -500, "five-off"), ("earn", 2, None)]
    after = api.get(f"/v1/reservations/{document['reservation_id']}").json()
    assert (after["status"], after["sale_id"], after["points_held"], after["points_available"]) == (
        "redeemed", key, 0, 142)
    # Releasing a redeemed hold does not give the points back.
    assert api.delete(f"/v1/reservations/{document['reservation_id']}").json()["status"] == "redeemed"
    assert balance(api, ALICE_ID) == 142


def test_another_till_cannot_spend_held_points_until_released(api: httpx.Client) -> None:
    mine = reserve(api, ["five-off"], "till-1").json()
    assert error_code(reserve(api, ["five-off"], "till-2")) == (422, "insufficient_points")
    # A sale that names no reservation cannot spend them either.
    assert error_code(post_sale(api, five_off_sale(api))) == (422, "insufficient_points")
    # The 140 points left are free: a hot drink (150) is not, a quote still is (no state).
    assert error_code(reserve(api, ["free-hot-drink"], "till-2")) == (422, "insufficient_points")
    released = api.delete(f"/v1/reservations/{mine['reservation_id']}")
    assert released.status_code == 200 and released.json()["status"] == "released"
    assert released.json()["points_available"] == 640
    theirs = reserve(api, ["five-off"], "till-2")
    assert theirs.status_code == 201
    # The first till's released hold is not a licence: its sale now needs free points, and has none.
    assert error_code(post_sale(api, five_off_sale(api, mine["reservation_id"]))) == (422, "insufficient_points")
    assert post_sale(api, five_off_sale(api, theirs.json()["reservation_id"])).status_code == 201
    assert balance(api, ALICE_ID) == 142


def test_changing_the_rewards_replaces_the_hold(api: httpx.Client) -> None:
    drink = reserve(api, ["free-hot-drink"]).json()
    # 150 + 500 would be more than 640, but the new hold takes the old one's place.
    replaced = reserve(api, ["five-off"], replaces=drink["reservation_id"])
    assert replaced.status_code == 201 and replaced.json()["points_available"] == 140
    assert api.get(f"/v1/reservations/{drink['reservation_id']}").json()["status"] == "released"


def test_two_tills_racing_for_the_same_points_one_wins(live_service: RunningService) -> None:
    def attempt(terminal: int) -> int:
        with client_for(live_service) as client:
            return reserve(client, ["five-off"], f"till-{terminal}").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(8)))
    assert sorted(statuses) == [201] + [422] * 7
    with client_for(live_service) as client:
        assert balance(client, ALICE_ID) == 640


def test_reservation_refusals(api: httpx.Client) -> None:
    assert error_code(reserve(api, ["no-such-reward"])) == (422, "reward_not_available")
    assert error_code(reserve(api, ["five-off", "five-off"])) == (422, "reward_not_available")
    assert error_code(reserve(api, [])) == (422, "invalid_request")
    assert error_code(reserve(api, ["five-off"], ttl_seconds=0)) == (422, "invalid_request")
    assert error_code(reserve(api, ["five-off"], ttl_seconds=3601)) == (422, "invalid_request")
    assert error_code(api.post("/v1/reservations", json={
        "account_id": "acc_000000000000", "rewards": ["five-off"], "store_id": "s", "terminal_id": "t"})) == (
        404, "not_found")
    assert error_code(api.delete("/v1/reservations/res_nope")) == (404, "not_found")
    assert error_code(api.get("/v1/reservations/res_nope")) == (404, "not_found")
    # Another account's hold cannot be named by a sale.
    chloe = api.post("/v1/reservations", json={
        "account_id": "acc_4fbd1e48ddc1", "rewards": ["five-off"], "store_id": "s", "terminal_id": "t"}).json()
    assert error_code(post_sale(api, five_off_sale(api, chloe["reservation_id"]))) == (422, "invalid_request")
    assert balance(api, ALICE_ID) == 640


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The reservations' clock, moved by the test."""
    now = [1_800_000_000]
    monkeypatch.setattr(reservations, "now", lambda: now[0])
    return now


def test_an_expired_hold_releases_itself_and_a_late_sale_redeems_if_it_can(service_db: Path | str, clock: list[int]) -> None:
    with demo_service(service_db) as client:
        held = reserve(client, ["five-off"], ttl_seconds=60).json()
        assert held["expires_at"] == "2027-01-15T08:01:00Z"
        assert error_code(reserve(client, ["five-off"], "till-2")) == (422, "insufficient_points")
        clock[0] += 60
        after = client.get(f"/v1/reservations/{held['reservation_id']}").json()
        assert (after["status"], after["points_held"], after["points_available"]) == ("expired", 0, 640)
        # The outbox delivers the sale late: the hold is gone, the points are still there -> redeemed.
        key = str(uuid.uuid4())
        body = five_off_sale(client, held["reservation_id"])
        first = post_sale(client, body, key)
        assert first.status_code == 201 and first.json()["balance"] == 142
        # A replay of the confirmed sale answers the same, whatever became of the hold.
        again = post_sale(client, body, key)
        assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()


def test_a_late_sale_whose_points_went_elsewhere_is_refused(service_db: Path | str, clock: list[int]) -> None:
    with demo_service(service_db) as client:
        held = reserve(client, ["five-off"], ttl_seconds=60).json()
        clock[0] += 61
        assert reserve(client, ["five-off"], "till-2").status_code == 201  # another till takes them
        late = post_sale(client, five_off_sale(client, held["reservation_id"]))
        assert error_code(late) == (422, "insufficient_points")
        assert balance(client, ALICE_ID) == 640


def test_a_sale_without_a_reservation_works_as_before(api: httpx.Client) -> None:
    body = five_off_sale(api)
    assert "reservation_id" not in body
    answer = post_sale(api, body)
    assert answer.status_code == 201 and answer.json()["balance"] == 142
    assert "reservation_id" not in answer.json()


def test_a_replay_naming_another_reservation_or_none_is_the_same_sale(api: httpx.Client) -> None:
    held = reserve(api, ["five-off"]).json()
    key = str(uuid.uuid4())
    body = five_off_sale(api, held["reservation_id"])
    first = post_sale(api, body, key)
    assert first.status_code == 201
    for reservation_id in (None, "res_0000000000000000"):
        again = post_sale(api, {**body, "reservation_id": reservation_id}, key)
        assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert balance(api, ALICE_ID) == 142
