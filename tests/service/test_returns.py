"""Returns: refunds and points in proportion, the reward rule, the debt rule, idempotency, and
buy-earn-return-repeat never leaving a profit."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty_service.program import load_program
from tests.service.api_calls import ALICE_ID, balance, error_code, line, post_sale, sale_body
from tests.service.inprocess import demo_service
from tests.service.stored import execute, rows

CHLOE_ID = "acc_4fbd1e48ddc1"  # Gold x1.5, 2450 points


def give_back(client: Any, sale_id: str, lines: list[dict[str, Any]] | None = None,
              key: str | None = None) -> Any:
    body = {} if lines is None else {"lines": lines}
    return client.post(f"/v1/sales/{sale_id}/returns", json=body,
                       headers={"Idempotency-Key": key or str(uuid.uuid4())})


def sold(client: Any, account_id: str, lines: list[dict[str, Any]], rewards: list[str] | None = None) -> dict:
    response = post_sale(client, sale_body(client, account_id, lines, rewards))
    assert response.status_code == 201, response.text
    return response.json()


def test_partial_returns_reverse_points_rounded_up_and_refund_what_was_paid(api: httpx.Client, live_db: Path | str) -> None:
    # 2 laundry pods (£13.00) + wine (£8.99) + cigarettes (£16.50, earns nothing):
    # 2199 eligible at Gold x1.5 = 32.985 -> 32 points.
    sale = sold(api, CHLOE_ID, [line(api, "1030", 2), line(api, "1031"), line(api, "1034")])
    assert (sale["points_earned"], sale["balance"], sale["total"]) == (32, 2482, 3849)

    first = give_back(api, sale["sale_id"], [{"sku": "1030", "quantity": 1}])
    assert first.status_code == 201, first.text
    answer = first.json()
    # 650 of 2199 eligible: 32 x 650 / 2199 = 9.46 -> 10 points reversed (rounded up).
    assert {k: answer[k] for k in ("refund_amount", "points_reversed", "points_refunded", "points_debt", "balance",
                                   "sale_fully_returned")} == {
        "refund_amount": 650, "points_reversed": 10, "points_refunded": 0, "points_debt": 0, "balance": 2472,
        "sale_fully_returned": False}
    assert answer["lines"] == [{"line": 0, "sku": "1030", "name": "Laundry pods x24", "quantity": 1,
                                "refund_amount": 650}]

    cigarettes = give_back(api, sale["sale_id"], [{"sku": "1034", "quantity": 1}]).json()
    assert (cigarettes["refund_amount"], cigarettes["points_reversed"]) == (1650, 0)

    rest = give_back(api, sale["sale_id"]).json()  # no lines: everything not yet returned
    assert [(r["sku"], r["quantity"]) for r in rest["lines"]] == [("1030", 1), ("1031", 1)]
    assert (rest["refund_amount"], rest["points_reversed"], rest["balance"], rest["sale_fully_returned"]) == (
        1549, 22, 2450, True)
    # The refunds add up to what was paid, the reversals to what was earned.
    assert 650 + 1650 + 1549 == sale["total"]
    assert balance(api, CHLOE_ID) == 2450
    assert rows(live_db, "SELECT kind, delta FROM ledger WHERE sale_id = ? ORDER BY id", (sale["sale_id"],)) == [
        ("earn", 32), ("earn", -10), ("earn", -22)]

    listed = api.get(f"/v1/sales/{sale['sale_id']}/returns").json()
    assert [r["return_id"] for r in listed["returns"]] == [answer["return_id"], cigarettes["return_id"],
                                                          rest["return_id"]]
    assert [(l["sku"], l["quantity"], l["returned"]) for l in listed["lines"]] == [
        ("1030", 2, 2), ("1031", 1, 1), ("1034", 1, 1)]
    assert error_code(give_back(api, sale["sale_id"])) == (422, "return_quantity_exceeded")


def test_a_reward_s_points_come_back_only_with_the_whole_sale(api: httpx.Client) -> None:
    sale = sold(api, ALICE_ID, [line(api, "1005", 2)], ["five-off"])
    assert (sale["total"], sale["points_earned"], sale["balance"]) == (198, 2, 142)
    # The £5 discount sits on the loaves, so one loaf refunds half of the £1.98 paid.
    half = give_back(api, sale["sale_id"], [{"sku": "1005", "quantity": 1}]).json()
    assert (half["refund_amount"], half["points_reversed"], half["points_refunded"], half["balance"]) == (
        99, 1, 0, 141)
    whole = give_back(api, sale["sale_id"], [{"sku": "1005", "quantity": 1}]).json()
    assert (whole["refund_amount"], whole["points_reversed"], whole["points_refunded"], whole["balance"]) == (
        99, 1, 500, 640)
    assert balance(api, ALICE_ID) == 640


def test_points_already_spent_become_a_debt_that_earning_pays_off(api: httpx.Client) -> None:
    wine = sold(api, ALICE_ID, [line(api, "1031", 4)])  # 3596 x 1.25 = 44.95 -> 44 points
    assert wine["balance"] == 684
    spent = sold(api, ALICE_ID, [line(api, "1001"), line(api, "1005", 2)], ["five-off", "free-hot-drink"])
    assert spent["balance"] == 36
    back = give_back(api, wine["sale_id"]).json()
    assert (back["points_reversed"], back["balance"], back["points_debt"]) == (44, -8, 8)
    summary = api.get(f"/v1/accounts/{ALICE_ID}").json()
    assert (summary["balance"], summary["rewards_available"]) == (-8, [])
    assert error_code(api.post("/v1/reservations", json={
        "account_id": ALICE_ID, "rewards": ["free-hot-drink"], "store_id": "s", "terminal_id": "t"})) == (
        422, "insufficient_points")
    later = sold(api, ALICE_ID, [line(api, "1030", 2)])  # 1300 x 1.25 = 16.25 -> 16 points
    assert later["balance"] == 8


def test_return_refusals_and_idempotency(api: httpx.Client) -> None:
    sale = sold(api, ALICE_ID, [line(api, "1006", 3)])
    key = str(uuid.uuid4())
    first = give_back(api, sale["sale_id"], [{"sku": "1006", "quantity": 1}], key)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = give_back(api, sale["sale_id"], [{"sku": "1006", "quantity": 1}], key.upper())
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert error_code(give_back(api, sale["sale_id"], [{"sku": "1006", "quantity": 2}], key)) == (
        409, "idempotency_conflict")
    other = sold(api, ALICE_ID, [line(api, "1006")])
    assert error_code(give_back(api, other["sale_id"], [{"sku": "1006", "quantity": 1}], key)) == (
        409, "idempotency_conflict")
    assert error_code(give_back(api, sale["sale_id"], [{"sku": "1006", "quantity": 3}])) == (
        422, "return_quantity_exceeded")
    assert error_code(give_back(api, sale["sale_id"], [{"sku": "9999", "quantity": 1}])) == (422, "invalid_request")
    assert error_code(give_back(api, sale["sale_id"], [{"sku": "1006", "quantity": 0}])) == (422, "invalid_request")
    assert error_code(give_back(api, str(uuid.uuid4()))) == (404, "not_found")
    assert error_code(api.post(f"/v1/sales/{sale['sale_id']}/returns", json={})) == (422, "invalid_request")
    assert error_code(api.post(f"/v1/sales/{sale['sale_id']}/returns", json={},
                               headers={"Idempotency-Key": "not-a-uuid"})) == (422, "invalid_request")
    # Nothing refused changed anything: two of the three croissants can still come back.
    assert give_back(api, sale["sale_id"], [{"sku": "1006", "quantity": 2}]).status_code == 201


SKUS = ["1001", "1005", "1006", "1011", "1030", "1031", "1034", "1037"]
baskets = st.dictionaries(st.sampled_from(SKUS), st.integers(1, 4), min_size=1, max_size=4)


def test_buy_earn_return_repeat_never_profits(service_db: Path | str) -> None:
    # Baskets of any size: no manager's approval in the way (test_returns_approval.py has it).
    with demo_service(service_db, replace(load_program(), return_pin_above=10**9)) as client:
        products = {p["sku"]: p for p in client.get("/v1/catalog").json()["products"]}

        @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(basket=baskets, reward=st.sampled_from([None, "free-hot-drink", "five-off", "ten-percent"]),
               splits=st.lists(st.integers(0, 3), min_size=1, max_size=4), rounds=st.integers(1, 2))
        def cycle(basket: dict[str, int], reward: str | None, splits: list[int], rounds: int) -> None:
            start = balance(client, ALICE_ID)
            for _ in range(rounds):
                lines = [{k: products[sku][k] for k in ("sku", "name", "category", "unit_price")} | {"quantity": n}
                         for sku, n in basket.items()]
                chosen = [reward] if reward else []
                quote = client.post("/v1/quote", json={"account_id": ALICE_ID, "lines": lines, "rewards": chosen})
                if quote.status_code != 200:  # the reward does not fit this basket or the balance
                    chosen = []
                answer = post_sale(client, sale_body(client, ALICE_ID, lines, chosen))
                assert answer.status_code == 201, answer.text
                sale_id = answer.json()["sale_id"]
                left = dict(basket)
                for split in splits:  # some partial returns, then the rest
                    part = [{"sku": sku, "quantity": min(split, n)} for sku, n in left.items() if min(split, n)]
                    if part:
                        assert give_back(client, sale_id, part).status_code == 201
                        for item in part:
                            left[item["sku"]] -= item["quantity"]
                    assert balance(client, ALICE_ID) <= start + answer.json()["points_earned"]
                if any(left.values()):
                    assert give_back(client, sale_id).status_code == 201
                assert balance(client, ALICE_ID) == start
            assert balance(client, ALICE_ID) == start

        cycle()


def test_a_free_drink_refunds_nothing_and_the_loaves_their_full_price_to_the_card(api: httpx.Client) -> None:
    # As measured in issue 13: a flat white free ("free hot drink") and ten loaves, by card 34.90.
    sale = sold(api, ALICE_ID, [line(api, "1001"), line(api, "1005", 10)], ["free-hot-drink"])
    assert (sale["total"], sale["tender"]) == (3490, [{"method": "card", "amount": 3490}])
    assert sale["discounts"][0]["lines"] == [{"line": 0, "amount": 310}]  # off the drink alone
    drink = give_back(api, sale["sale_id"], [{"sku": "1001", "quantity": 1}]).json()
    assert (drink["refund_amount"], drink["refunds"]) == (0, [])
    loaves = give_back(api, sale["sale_id"], [{"sku": "1005", "quantity": 10}]).json()
    assert (loaves["refund_amount"], loaves["refunds"]) == (3490, [{"method": "card", "amount": 3490}])
    assert loaves["sale_fully_returned"] and loaves["points_refunded"] == 150


def test_a_split_tender_is_refunded_to_the_card_first_and_never_more_than_each_paid(api: httpx.Client) -> None:
    # Ten loaves (34.90): 20.00 by card and 20.00 cash, 5.10 change, so cash paid 14.90.
    body = sale_body(api, ALICE_ID, [line(api, "1005", 10)],
                     tender=[{"method": "cash", "amount": 2000}, {"method": "card", "amount": 2000}])
    sale = post_sale(api, body).json()
    assert sale["change"] == 510
    four = give_back(api, sale["sale_id"], [{"sku": "1005", "quantity": 4}]).json()
    assert four["refunds"] == [{"method": "card", "amount": 1396}]
    rest = give_back(api, sale["sale_id"]).json()
    assert rest["refunds"] == [{"method": "card", "amount": 604}, {"method": "cash", "amount": 1490}]
    listed = api.get(f"/v1/sales/{sale['sale_id']}/returns").json()["returns"]
    assert [r["refunds"] for r in listed] == [four["refunds"], rest["refunds"]]


def test_a_sale_recorded_before_line_attribution_keeps_today_s_apportioning(
    api: httpx.Client, live_db: Path | str
) -> None:
    sale = sold(api, ALICE_ID, [line(api, "1001"), line(api, "1005", 10)], ["free-hot-drink"])
    # As an older service stored it: no discounts[].lines.
    stored = json.loads(rows(live_db, "SELECT answer FROM sales WHERE sale_id = ?", (sale["sale_id"],))[0][0])
    del stored["discounts"][0]["lines"]
    execute(live_db, "UPDATE sales SET answer = ? WHERE sale_id = ?", (json.dumps(stored), sale["sale_id"]))
    drink = give_back(api, sale["sale_id"], [{"sku": "1001", "quantity": 1}]).json()
    loaves = give_back(api, sale["sale_id"]).json()
    # 310 off 3800, spread by line totals: 25.3 of it on the drink -> 285 and 3205.
    assert (drink["refund_amount"], loaves["refund_amount"]) == (285, 3205)
    assert drink["refund_amount"] + loaves["refund_amount"] == sale["total"]
