"""Recording sales: exact points and balances, idempotent replays, refusals, and one effect per
sale id however many times and threads send it."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from pos_core.embedded_service import RunningService
from tests.service.api_calls import ALICE_ID, balance, error_code, line, post_sale, sale_body
from tests.service.conftest import client_for
from tests.service.stored import rows

BEN_ID = "acc_e48f54a256bf"  # Bronze, 130 points
CHLOE_ID = "acc_4fbd1e48ddc1"  # Gold, 2450 points


def ledger(db: Path | str, sale_id: str) -> list[tuple[str, int, str | None]]:
    return rows(db, "SELECT kind, delta, reward_id FROM ledger WHERE sale_id = ? ORDER BY id", (sale_id,))


def test_sale_credits_exact_points_and_replays_change_nothing(api: httpx.Client, live_db: Path | str) -> None:
    body = sale_body(api, ALICE_ID, [line(api, "1001"), line(api, "1005", 2)], rewards=["free-hot-drink"],
                     tender=[{"method": "cash", "amount": 1000}])
    key = str(uuid.uuid4())
    first = post_sale(api, body, key)
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    answer = first.json()
    created_at = answer.pop("created_at")
    assert created_at.endswith("Z")
    # Why: the drink earns nothing (all of it paid by the reward), the loaves 6.98, Silver adds a quarter.
    assert [(e["rule"], e.get("sku"), e["points"]) for e in answer.pop("breakdown")] == [
        ("base", "1001", "0"), ("base", "1005", "6.98"), ("tier", None, "1.745"), ("rounding", None, "-0.725")]
    # £3.10 + £6.98, the drink free: £6.98 at Silver 1.25 = 8.725 -> 8 points; 640 - 150 + 8 = 498
    assert answer == {
        "sale_id": key, "account_id": ALICE_ID, "store_id": "demo-store", "terminal_id": "till-9", "currency": "GBP",
        "lines": body["lines"], "rewards": ["free-hot-drink"], "tender": body["tender"],
        "subtotal": 1008, "discounts": [{"reward_id": "free-hot-drink", "name": "Free hot drink", "amount": 310,
                                   "lines": [{"line": 0, "amount": 310}]}],
        "discount_total": 310, "total": 698, "change": 302, "points_earned": 8, "points_redeemed": 150,
        "balance": 498,
        "tier": {"name": "Silver", "multiplier": "1.25", "next_tier": "Gold", "points_to_next_tier": 1852},
        "next_reward": {"reward_id": "five-off", "name": "£5 off your shop", "cost": 500, "points_needed": 2},
        "lines_removed": None,  # the lines are there (privacy: pruned or erased later)
        "points_held_for_review": 0,
        "referral_points": 0,  # not a referred member's first qualifying purchase (test_referrals.py)
        "digital_receipt": {"url": None, "emailed_to": None},  # no --public-url, no e-mail chosen
    }
    assert ledger(live_db, key) == [("redeem", -150, "free-hot-drink"), ("earn", 8, None)]
    assert balance(api, ALICE_ID) == 498

    again = post_sale(api, body, key)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert balance(api, ALICE_ID) == 498
    assert api.get(f"/v1/sales/{key}").json() == first.json()
    assert api.get(f"/v1/sales/{key.upper()}").json() == first.json()

    reordered = {name: body[name] for name in reversed(list(body))}  # same body, other key order
    assert post_sale(api, reordered, key).headers["idempotent-replayed"] == "true"
    other = {**body, "terminal_id": "till-2"}
    assert error_code(post_sale(api, other, key)) == (409, "idempotency_conflict")
    assert ledger(live_db, key) == [("redeem", -150, "free-hot-drink"), ("earn", 8, None)]
    assert balance(api, ALICE_ID) == 498


def test_several_rewards_in_order_with_the_balance_and_tier_after(api: httpx.Client, live_db: Path | str) -> None:
    # Chloe (Gold, 2450): a £20 gift card, £30 of wine and a tea, with the tea free, then 10% (on the
    # £29.17 of eligible lines: 291.7 -> 292), then £5.
    lines = [line(api, "1036"), line(api, "1031", 3), line(api, "1002")]
    body = sale_body(api, CHLOE_ID, lines, rewards=["free-hot-drink", "ten-percent", "five-off"])
    answer = post_sale(api, body).json()
    assert answer["subtotal"] == 2000 + 2697 + 220
    assert answer["discounts"] == [
        {"reward_id": "free-hot-drink", "name": "Free hot drink", "amount": 220,
         "lines": [{"line": 2, "amount": 220}]},  # off the tea alone; the others are basket-wide
        {"reward_id": "ten-percent", "name": "10% off your shop", "amount": 292},
        {"reward_id": "five-off", "name": "£5 off your shop", "amount": 500},
    ]
    assert (answer["discount_total"], answer["total"], answer["change"]) == (1012, 3905, 0)
    # eligible after discounts 2917 - 1012 = 1905 -> £19.05 × 1.5 = 28.575 -> 28
    assert (answer["points_earned"], answer["points_redeemed"], answer["balance"]) == (28, 1650, 2450 - 1650 + 28)
    assert answer["next_reward"] == {"reward_id": "ten-percent", "name": "10% off your shop", "cost": 1000,
                                     "points_needed": 1000 - 828}
    assert balance(api, CHLOE_ID) == 828


def test_earning_moves_a_customer_up_a_tier(api: httpx.Client) -> None:
    # Farah: Silver, 2990 lifetime points. A £10.00 basket earns floor(10 × 1.25) = 12 -> Gold.
    farah = "acc_080ddc04ca65"
    answer = post_sale(api, sale_body(api, farah, [line(api, "1011"), line(api, "1030")])).json()
    assert answer["points_earned"] == 12
    assert answer["tier"] == {"name": "Gold", "multiplier": "1.5", "next_tier": None, "points_to_next_tier": None}
    assert api.get(f"/v1/accounts/{farah}").json()["tier"]["name"] == "Gold"


def test_sale_refusals_change_nothing(api: httpx.Client, live_db: Path | str) -> None:
    body = sale_body(api, ALICE_ID, [line(api, "1005", 2)])
    key = str(uuid.uuid4())
    assert error_code(api.post("/v1/sales", json=body)) == (422, "invalid_request")
    assert error_code(post_sale(api, body, "not-a-uuid")) == (422, "invalid_request")
    assert error_code(post_sale(api, body, key.replace("-", ""))) == (422, "invalid_request")
    assert error_code(post_sale(api, {**body, "tender": [{"method": "cash", "amount": 697}]}, key)) == (
        422, "insufficient_tender")
    assert error_code(post_sale(api, {**body, "tender": []}, key)) == (422, "insufficient_tender")
    over_card = [{"method": "card", "amount": 698}, {"method": "cash", "amount": 100}]
    assert post_sale(api, {**body, "tender": over_card}).json()["change"] == 100
    assert error_code(post_sale(api, {**body, "tender": [{"method": "card", "amount": 798}]})) == (
        422, "invalid_request")
    assert error_code(post_sale(api, {**body, "tender": [{"method": "card", "amount": 0}]})) == (
        422, "invalid_request")
    assert error_code(post_sale(api, {**body, "tender": [{"method": "cheque", "amount": 698}]})) == (
        422, "invalid_request")
    assert error_code(post_sale(api, {**body, "currency": "EUR"})) == (422, "currency_mismatch")
    assert error_code(post_sale(api, {**body, "rewards": ["free-hot-drink"]})) == (422, "reward_not_available")
    assert error_code(post_sale(api, {**body, "rewards": ["ten-percent"]})) == (422, "insufficient_points")
    assert error_code(post_sale(api, {**body, "rewards": ["free-hot-drink", "five-off"]})) == (
        422, "reward_not_available")
    tobacco_only = sale_body(api, ALICE_ID, [line(api, "1034")])
    assert error_code(post_sale(api, {**tobacco_only, "rewards": ["five-off"]})) == (422, "reward_not_available")
    assert error_code(post_sale(api, {**body, "account_id": "acc_000000000000"})) == (404, "not_found")
    assert error_code(post_sale(api, {**body, "lines": []})) == (422, "invalid_request")
    assert error_code(post_sale(api, {**body, "store_id": ""})) == (422, "invalid_request")
    assert error_code(post_sale(api, {**body, "extra": 1})) == (422, "invalid_request")
    assert rows(live_db, "SELECT COUNT(*) FROM sales") == [(1,)]  # the one with change
    # The refused key is still free to use.
    assert post_sale(api, body, key).status_code == 201
    assert balance(api, ALICE_ID) == 640 + 8 + 8
    assert error_code(api.get(f"/v1/sales/{uuid.uuid4()}")) == (404, "not_found")


def test_insufficient_points_across_rewards(api: httpx.Client) -> None:
    # Ben has 130: the free drink alone (150) is already too dear.
    body = sale_body(api, BEN_ID, [line(api, "1001")], rewards=["free-hot-drink"],
                     tender=[{"method": "card", "amount": 310}])
    assert error_code(post_sale(api, body)) == (422, "insufficient_points")
    assert balance(api, BEN_ID) == 130


def test_a_free_basket_needs_no_tender(api: httpx.Client) -> None:
    body = sale_body(api, BEN_ID, [line(api, "1006")], tender=[])
    assert error_code(post_sale(api, body)) == (422, "insufficient_tender")
    free = sale_body(api, ALICE_ID, [line(api, "1002")], rewards=["free-hot-drink"], tender=[])
    answer = post_sale(api, free).json()
    assert (answer["total"], answer["change"], answer["points_earned"], answer["balance"]) == (0, 0, 0, 490)


def test_the_same_sale_from_many_threads_is_recorded_once(live_service: RunningService, live_db: Path | str) -> None:
    with client_for(live_service) as client:
        body = sale_body(client, ALICE_ID, [line(client, "1011", 3)], rewards=["five-off"])
    key = str(uuid.uuid4())

    def send(_: int) -> tuple[int, int, int]:
        with client_for(live_service) as client:
            answer = post_sale(client, body, key)
            return answer.status_code, answer.json()["points_earned"], answer.json()["balance"]

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(send, range(10)))
    # £11.25 - £5 = £6.25 × 1.25 = 7.8 -> 7; 640 - 500 + 7 = 147
    assert results == [(201, 7, 147)] * 10
    assert ledger(live_db, key) == [("redeem", -500, "five-off"), ("earn", 7, None)]
    with client_for(live_service) as client:
        assert balance(client, ALICE_ID) == 147


def test_different_sales_at_once_each_count(live_service: RunningService, live_db: Path | str) -> None:
    # Ten sales of £1 each from ten threads: every one earns 1 point (Silver, 1.25 -> 1), none is lost.
    with client_for(live_service) as client:
        body = sale_body(client, ALICE_ID, [line(client, "1018"), line(client, "1019")])  # £0.95 + £0.75

    def send(_: int) -> int:
        with client_for(live_service) as client:
            return post_sale(client, body).status_code

    with ThreadPoolExecutor(10) as pool:
        assert list(pool.map(send, range(10))) == [201] * 10
    with client_for(live_service) as client:
        assert balance(client, ALICE_ID) == 640 + 10 * 2  # £1.70 × 1.25 = 2.125 -> 2


def test_an_accounts_sales_are_listed_newest_first(api: httpx.Client) -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert post_sale(api, sale_body(api, BEN_ID, [line(api, "1005")]), first).status_code == 201
    assert post_sale(api, sale_body(api, BEN_ID, [line(api, "1001")], rewards=[]), second).status_code == 201
    listed = api.get(f"/v1/accounts/{BEN_ID}/sales").json()
    assert listed["account_id"] == BEN_ID and listed["currency"] == "GBP"
    assert [entry["sale_id"] for entry in listed["sales"]] == [second, first]
    recorded = api.get(f"/v1/sales/{second}").json()
    assert listed["sales"][0] == {
        key: recorded[key]
        for key in ("sale_id", "store_id", "terminal_id", "created_at", "total", "points_earned", "points_redeemed")
    }
    assert [e["sale_id"] for e in api.get(f"/v1/accounts/{BEN_ID}/sales", params={"limit": 1}).json()["sales"]] == [second]
    assert api.get(f"/v1/accounts/{CHLOE_ID}/sales").json()["sales"] == []
    assert error_code(api.get("/v1/accounts/acc_nobody/sales")) == (404, "not_found")
    assert error_code(api.get(f"/v1/accounts/{BEN_ID}/sales", params={"limit": 0})) == (422, "invalid_request")
