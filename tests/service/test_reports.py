"""The managers' reports against a real service on both databases: figures computed from the
members' sales, anonymous sales, enrolments, rewards, referrals and orders this module makes
through the API, checked to the unit per store, till, cashier and hour; and each access rule (HQ,
a store manager's key for its own store and another, a till with the right, a wrong and no manager
PIN, a locked-out manager, a web key).

One service per backend is shared by the module (its data made once, by ``chain``); the tests
only read it, but for the PIN tests, which use a manager and tills of their own.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from loyalty_service import accounts, anonymous_sales, sales
from loyalty_service.program import load_program
from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, error_code, line, post_sale, sale_body
from tests.service.conftest import BACKENDS, client_for, fresh_database
from tests.service.inprocess import demo_service
from tests.service.stored import execute, rows
from tests.service.test_orders import keyed, new_key
from tests.service.test_referrals import BEN_ID, code_of
from tests.service_fork_server import run_service_command

MO_PIN, LOU_PIN = "246802", "975310"  # --manager-pin: ids mgr_demo (Mo) and mgr_demo2 (Lou)
LONDON = ZoneInfo("Europe/London")  # the demo programme's timezone


def half_up(total: int, count: int) -> int:
    """total / count rounded half-up, in integers: how the contract rounds an average."""
    return (2 * total + count) // (2 * count)


@dataclass
class Chain:
    service: RunningService
    db: Any
    hq: httpx.Client
    day: str = ""
    totals: dict[str, int] = field(default_factory=dict)  # members' sale totals by name
    discount: int = 0
    hours: set[str] = field(default_factory=set)


def member_sale(chain: Chain, name: str, account_id: str, store: str, till: str, cashier: str | None,
                lines: list[tuple[str, int]], rewards: list[str] | None = None) -> dict[str, Any]:
    hq = chain.hq
    body = sale_body(hq, account_id, [line(hq, sku, qty) for sku, qty in lines], rewards) | {
        "store_id": store, "terminal_id": till, "cashier_id": cashier}
    answer = post_sale(hq, body)
    assert answer.status_code == 201, answer.text
    sale = answer.json()
    chain.totals[name] = sale["total"]
    chain.hours.add(datetime.fromisoformat(sale["created_at"]).astimezone(LONDON).strftime("%H:00"))
    return sale


def anonymous_sale(chain: Chain, store: str, till: str, cashier: str | None, sku: str) -> None:
    item = {k: v for k, v in line(chain.hq, sku).items() if k != "name"}
    body = {"store_id": store, "terminal_id": till, "cashier_id": cashier, "currency": "GBP", "lines": [item],
            "total": item["unit_price"]}
    answer = chain.hq.post("/v1/anonymous-sales", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code == 201, answer.text


def enrol(chain: Chain, phone: str, store: str, till: str, cashier: str | None, code: str | None = None) -> str:
    body = {"phone": phone, "name": "Ria Patel", "consent": {"terms_version": "2026-01", "marketing": False},
            "store_id": store, "terminal_id": till, "cashier_id": cashier, "referral_code": code}
    answer = chain.hq.post("/v1/accounts", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["account_id"]


def place_order(chain: Chain, store: str) -> dict[str, Any]:
    body = {"order_id": "web-" + uuid.uuid4().hex[:10], "account_id": ALICE_ID, "store_id": store,
            "currency": "GBP", "lines": [{"sku": "1005", "name": "Sourdough loaf", "category": "bakery",
                                          "unit_price": 349, "quantity": 1}], "paid_total": 349}
    answer = chain.hq.post("/v1/orders", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture(scope="module", params=BACKENDS)
def chain(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    """Two stores of a chain (north, south) with sales, enrolments, a referral and orders made
    through the API today; the demo store has only its seeded members."""
    folder = tmp_path_factory.mktemp("reports")
    db = fresh_database(request.param, folder, request)
    service = start_service(db_path=db, api_key=TEST_API_KEY, log_path=folder / "service.log",
                            extra_args=("--manager-pin", f"Mo={MO_PIN}", "--manager-pin", f"Lou={LOU_PIN}"))
    hq = client_for(service)
    made = Chain(service, db, hq)
    try:
        # north/till-1, Sam (c101): a member's sale with a free hot drink, an anonymous one, an enrolment.
        first = member_sale(made, "m1", ALICE_ID, "north", "till-1", "c101", [("1031", 2), ("1001", 1)],
                            ["free-hot-drink"])
        made.discount = first["discount_total"]
        assert made.discount == 310
        anonymous_sale(made, "north", "till-1", "c101", "1001")  # 310
        ria = enrol(made, "020 7946 0801", "north", "till-1", "c101", code_of(hq, ALICE_ID))
        # north/till-2, Priya (c102): two members' sales (Ria's first pays the referral), one anonymous.
        member_sale(made, "m2", BEN_ID, "north", "till-2", "c102", [("1005", 1)])
        member_sale(made, "m3", ria, "north", "till-2", "c102", [("1031", 2)])
        anonymous_sale(made, "north", "till-2", "c102", "1006")  # 135
        enrol(made, "020 7946 0802", "north", "till-2", "c101")
        enrol(made, "020 7946 0803", "north", "till-2", "c102")
        # south/till-1, no cashier signed on.
        member_sale(made, "m4", ALICE_ID, "south", "till-1", None, [("1004", 1)])
        anonymous_sale(made, "south", "till-1", None, "1002")  # 220
        enrol(made, "020 7946 0804", "south", "till-1", None)
        # Click & collect: one order for north, collected at its till-1 (its points a sale of no till); one for south.
        order = place_order(made, "north")
        with keyed(service, new_key(db, "till", "north", "till-1")) as till:
            picked = till.post(f"/v1/orders/{order['order_id']}/pickup", json={"pickup_code": order["pickup_code"]})
            assert picked.status_code == 200, picked.text
        place_order(made, "south")
        made.day = datetime.fromisoformat(first["created_at"]).astimezone(LONDON).date().isoformat()
        yield made
    finally:
        hq.close()
        service.stop()


def report(client: httpx.Client, chain: Chain, name: str, **params: str) -> dict[str, Any]:
    answer = client.get(f"/v1/reports/{name}", params={"from": chain.day, "to": chain.day} | params)
    assert answer.status_code == 200, answer.text
    return answer.json()


FIGURES = ("sales", "member_sales", "participation", "enrolments", "rewards_redeemed", "rewards_cost",
           "average_basket_member", "average_basket_non_member", "referrals", "orders_placed", "orders_collected")


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[name] for name in FIGURES)


def test_per_store_the_participation_baskets_rewards_referrals_and_orders_to_the_unit(chain: Chain) -> None:
    t = chain.totals
    answer = report(chain.hq, chain, "sales", by="store")
    assert (answer["from"], answer["to"], answer["timezone"], answer["currency"], answer["by"]) == (
        chain.day, chain.day, "Europe/London", "GBP", "store")
    rows = {row["store_id"]: row for row in answer["rows"]}
    assert set(rows) == {"north", "south", "demo-store"}  # the demo store: its seeded members enrolled today
    assert all(row[k] is None for row in answer["rows"] for k in ("terminal_id", "cashier_id", "cashier_name", "hour", "day"))
    # north: 3 members' sales + 2 anonymous; the collected order's sale is an order, not a till's sale.
    assert figures(rows["north"]) == (5, 3, "0.6000", 3, 1, 310, half_up(t["m1"] + t["m2"] + t["m3"], 3),
                                      223, 1, 1, 1)  # (310 + 135) / 2 = 222.5: half-up, not to even
    assert figures(rows["south"]) == (2, 1, "0.5000", 1, 0, 0, t["m4"], 220, 0, 1, 0)
    total = answer["total"]
    assert all(total[k] is None for k in ("store_id", "terminal_id", "cashier_id", "cashier_name", "hour", "day"))
    seeded = rows["demo-store"]["enrolments"]
    assert seeded > 0 and rows["demo-store"]["sales"] == 0
    # 4 members' sales of 7: 0.571428... to four places.
    assert figures(total) == (7, 4, "0.5714", 4 + seeded, 1, 310,
                              half_up(t["m1"] + t["m2"] + t["m3"] + t["m4"], 4), half_up(310 + 135 + 220, 3), 1, 2, 1)


def test_per_till_and_per_cashier_with_their_names(chain: Chain) -> None:
    t = chain.totals
    tills = report(chain.hq, chain, "sales", by="till", store_id="north")
    assert [(r["store_id"], r["terminal_id"]) for r in tills["rows"]] == [
        ("north", "till-1"), ("north", "till-2"), ("north", None)]
    one, two, web = tills["rows"]
    assert figures(one) == (2, 1, "0.5000", 1, 1, 310, t["m1"], 310, 0, 0, 1)
    # (349 + 1798) / 2 = 1073.5: 1074; 2 of 3 sales: 0.6667.
    assert figures(two) == (3, 2, "0.6667", 2, 0, 0, half_up(t["m2"] + t["m3"], 2), 135, 1, 0, 0)
    assert figures(web) == (0, 0, "0.0000", 0, 0, 0, 0, 0, 0, 1, 0)  # placed online: no till
    cashiers = report(chain.hq, chain, "sales", by="cashier", store_id="north")
    by_id = {r["cashier_id"]: r for r in cashiers["rows"]}
    assert [r["cashier_id"] for r in cashiers["rows"]] == ["c101", "c102", None]
    assert (by_id["c101"]["cashier_name"], by_id["c102"]["cashier_name"], by_id[None]["cashier_name"]) == (
        "Sam Carter", "Priya Shah", None)
    assert figures(by_id["c101"]) == (2, 1, "0.5000", 2, 1, 310, t["m1"], 310, 0, 0, 0)
    assert figures(by_id["c102"]) == (3, 2, "0.6667", 1, 0, 0, half_up(t["m2"] + t["m3"], 2), 135, 1, 0, 0)
    assert figures(by_id[None]) == (0, 0, "0.0000", 0, 0, 0, 0, 0, 0, 1, 1)
    assert all(r["store_id"] is None and r["terminal_id"] is None for r in cashiers["rows"])


def test_per_hour_and_day_in_the_programme_s_time_zone(chain: Chain) -> None:
    hours = report(chain.hq, chain, "sales", by="hour", store_id="north")
    assert [r["hour"] for r in hours["rows"]] == sorted(r["hour"] for r in hours["rows"])
    assert chain.hours <= {r["hour"] for r in hours["rows"]}  # each local hour a sale was made in
    assert all(r["sales"] or r["enrolments"] for r in hours["rows"])
    assert sum(r["sales"] for r in hours["rows"]) == 5 and sum(r["enrolments"] for r in hours["rows"]) == 3
    assert figures(hours["total"])[:4] == (5, 3, "0.6000", 3)
    days = report(chain.hq, chain, "sales", by="day", store_id="north")
    assert [r["day"] for r in days["rows"]] == [chain.day]
    assert figures(days["rows"][0]) == figures(days["total"])


def test_the_enrolment_leaderboard_and_the_rewards(chain: Chain) -> None:
    board = report(chain.hq, chain, "enrolments", store_id="north")
    assert board == {"from": chain.day, "to": chain.day, "rows": [
        {"store_id": "north", "cashier_id": "c101", "cashier_name": "Sam Carter", "enrolments": 2},
        {"store_id": "north", "cashier_id": "c102", "cashier_name": "Priya Shah", "enrolments": 1}]}
    everywhere = report(chain.hq, chain, "enrolments")["rows"]
    assert {"store_id": "south", "cashier_id": None, "cashier_name": None, "enrolments": 1} in everywhere
    assert [r["enrolments"] for r in everywhere] == sorted((r["enrolments"] for r in everywhere), reverse=True)
    rewards = report(chain.hq, chain, "rewards")
    assert rewards == {"from": chain.day, "to": chain.day, "currency": "GBP", "rows": [
        {"reward_id": "free-hot-drink", "name": "Free hot drink", "redeemed": 1, "cost": 310}]}
    assert report(chain.hq, chain, "rewards", store_id="south")["rows"] == []


def test_a_period_is_checked(chain: Chain) -> None:
    for params, field_name in ((({"from": "2026-12-02", "to": "2026-12-01"}), "to"),
                               ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),
                               ({"from": "2026-13-01"}, "from"), ({"to": "20261201"}, "to")):
        answer = chain.hq.get("/v1/reports/sales", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["error"]["details"][0]["field"] == field_name
    assert chain.hq.get("/v1/reports/sales", params={"from": "2025-01-01", "to": "2026-01-01"}).status_code == 200
    assert error_code(chain.hq.get("/v1/reports/sales", params={"by": "week"}))[0] == 422


def test_a_head_office_key_reads_every_store_or_the_one_it_names(chain: Chain) -> None:
    with keyed(chain.service, new_key(chain.db, "hq")) as office:
        assert report(office, chain, "sales", by="till") == report(chain.hq, chain, "sales", by="till")
        assert {r["store_id"] for r in report(office, chain, "sales", store_id="south")["rows"]} == {"south"}
        assert report(office, chain, "sales", store_id="nowhere")["rows"] == []


def test_a_store_manager_s_key_reads_its_own_store_only(chain: Chain) -> None:
    with keyed(chain.service, new_key(chain.db, "manager", "north")) as manager:
        own = report(manager, chain, "sales", by="till")
        assert own == report(chain.hq, chain, "sales", by="till", store_id="north")
        assert report(manager, chain, "enrolments", store_id="north")["rows"][0]["cashier_id"] == "c101"
        assert error_code(manager.get("/v1/reports/sales", params={"store_id": "south"})) == (403, "other_store")
        assert error_code(manager.get("/v1/reports/rewards", params={"store_id": "south"})) == (403, "other_store")
        # Nothing but the reports.
        assert error_code(manager.post("/v1/identify", json={"method": "phone", "value": "020 7946 0001"})) == (
            403, "reports_only")
        assert error_code(manager.get(f"/v1/accounts/{ALICE_ID}")) == (403, "reports_only")


def test_a_till_reads_its_store_with_a_manager_s_pin_and_never_without(chain: Chain) -> None:
    mo = {"X-Manager-Id": "mgr_demo", "X-Manager-Pin": MO_PIN}
    with keyed(chain.service, new_key(chain.db, "till", "north", "till-7")) as till:
        assert error_code(till.get("/v1/reports/sales")) == (403, "manager_pin_required")
        answer = till.get("/v1/reports/sales", params={"by": "hour", "from": chain.day, "to": chain.day}, headers=mo)
        assert answer.status_code == 200, answer.text
        assert answer.json() == report(chain.hq, chain, "sales", by="hour", store_id="north")
        assert till.get("/v1/reports/enrolments", headers=mo).status_code == 200
        assert till.get("/v1/reports/rewards", headers=mo).status_code == 200
        assert error_code(till.get("/v1/reports/sales", params={"store_id": "south"}, headers=mo)) == (
            403, "other_store")
        assert error_code(till.get("/v1/reports/sales", headers=mo | {"X-Manager-Pin": "000000"})) == (
            403, "wrong_manager_pin")


def test_wrong_pins_lock_the_manager_out_of_the_reports(chain: Chain) -> None:
    lou = {"X-Manager-Id": "mgr_demo2", "X-Manager-Pin": LOU_PIN}
    with keyed(chain.service, new_key(chain.db, "till", "north", "till-8")) as thief, \
            keyed(chain.service, new_key(chain.db, "till", "north", "till-9")) as till:
        assert till.get("/v1/reports/sales", headers=lou).status_code == 200
        for n in range(5):
            assert error_code(thief.get("/v1/reports/sales", headers=lou | {"X-Manager-Pin": f"11111{n}"})) == (
                403, "wrong_manager_pin")
        assert error_code(thief.get("/v1/reports/sales", headers=lou)) == (429, "rate_limited")  # the key's five
        assert error_code(till.get("/v1/reports/sales", headers=lou)) == (403, "manager_locked")
        assert chain.hq.post("/v1/managers/mgr_demo2/unlock").status_code == 200
        assert till.get("/v1/reports/sales", headers=lou).status_code == 200


def test_a_web_shop_s_key_reads_no_report(chain: Chain) -> None:
    with keyed(chain.service, new_key(chain.db, "web")) as shop:
        for name in ("sales", "enrolments", "rewards"):
            assert error_code(shop.get(f"/v1/reports/{name}")) == (403, "web_orders_only")


def test_a_sale_either_side_of_local_midnight_falls_in_its_own_day_and_hour(
    service_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Kolkata is UTC+05:30: its midnight is 18:30 UTC, half way through a UTC hour.
    program = replace(load_program(), timezone="Asia/Kolkata")
    clock = ["2026-06-30T18:29:59Z"]
    for module in (sales, anonymous_sales, accounts):
        monkeypatch.setattr(module, "utc_now", lambda: clock[0])
    with demo_service(service_db, program) as client:
        before = post_sale(client, sale_body(client, ALICE_ID, [line(client, "1005")]) | {"store_id": "east"})
        assert before.status_code == 201, before.text
        clock[0] = "2026-06-30T18:30:00Z"
        after = post_sale(client, sale_body(client, ALICE_ID, [line(client, "1001")]) | {"store_id": "east"})
        assert after.status_code == 201, after.text
        item = {"sku": "1002", "category": "hot_drinks", "unit_price": 220, "quantity": 1}
        anonymous = client.post("/v1/anonymous-sales", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
            "store_id": "east", "terminal_id": "till-1", "currency": "GBP", "lines": [item], "total": 220})
        assert anonymous.status_code == 201, anonymous.text
        span = {"from": "2026-06-30", "to": "2026-07-01", "store_id": "east"}
        days = client.get("/v1/reports/sales", params=span | {"by": "day"}).json()
        assert days["timezone"] == "Asia/Kolkata"
        assert [(r["day"], r["sales"], r["member_sales"], r["average_basket_member"]) for r in days["rows"]] == [
            ("2026-06-30", 1, 1, 349), ("2026-07-01", 2, 1, 310)]
        hours = client.get("/v1/reports/sales", params=span | {"by": "hour"}).json()
        assert [(r["hour"], r["sales"], r["participation"]) for r in hours["rows"]] == [
            ("00:00", 2, "0.5000"), ("23:00", 1, "1.0000")]
        june = client.get("/v1/reports/sales", params={"from": "2026-06-30", "to": "2026-06-30", "by": "store"})
        assert [(r["store_id"], r["sales"]) for r in june.json()["rows"]] == [("east", 1)]


def test_the_report_command_prints_the_same_figures_as_csv_and_as_a_table(chain: Chain) -> None:
    api = report(chain.hq, chain, "sales", by="till", store_id="north")
    made = run_service_command("report", "--db", str(chain.db), "sales", "--by", "till", "--store", "north",
                               "--from", chain.day, "--to", chain.day, "--format", "csv")
    assert made.returncode == 0, made.stderr
    parsed = list(csv.DictReader(io.StringIO(made.stdout)))
    assert [(r["store_id"], r["terminal_id"]) for r in parsed] == [("north", "till-1"), ("north", "till-2"),
                                                                   ("north", ""), ("total", "")]
    for printed, row in zip(parsed, [*api["rows"], api["total"]]):
        assert tuple(printed[k] for k in FIGURES) == tuple(str(row[k]) for k in FIGURES)
    board = run_service_command("report", "--db", str(chain.db), "enrolments", "--store", "north",
                                "--from", chain.day, "--to", chain.day, "--format", "csv")
    assert list(csv.reader(io.StringIO(board.stdout))) == [
        ["store_id", "cashier_id", "cashier_name", "enrolments"], ["north", "c101", "Sam Carter", "2"],
        ["north", "c102", "Priya Shah", "1"]]
    table = run_service_command("report", "--db", str(chain.db), "rewards", "--from", chain.day, "--to", chain.day)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == f"rewards {chain.day} to {chain.day} (Europe/London), every store"
    assert lines[1].split() == ["reward_id", "name", "redeemed", "cost"]
    assert lines[3].split() == ["free-hot-drink", "Free", "hot", "drink", "1", "3.10"]  # money in pounds
    refused = run_service_command("report", "--db", str(chain.db), "sales", "--from", "2026-12-02", "--to", "2026-12-01")
    assert refused.returncode == 2 and "before its start" in refused.stderr


def test_add_key_makes_a_store_manager_s_key_bound_to_its_store(chain: Chain) -> None:
    made = run_service_command("add-key", "--db", str(chain.db), "--role", "manager", "--store", "south")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert (key["role"], key["store_id"]) == ("manager", "south") and "terminal_id" not in key
    with keyed(chain.service, key["key"]) as manager:
        assert report(manager, chain, "sales")["rows"][0]["store_id"] == "south"
    for extra in (("--terminal", "till-1"), ()):
        args = ("--store", "south", *extra) if extra else ()
        refused = run_service_command("add-key", "--db", str(chain.db), "--role", "manager", *args)
        assert refused.returncode == 2 and "store manager's key needs --store" in refused.stderr


def test_sales_recorded_before_the_reports_columns_are_read_from_their_answers(chain: Chain) -> None:
    before = [report(chain.hq, chain, "sales", by=by, store_id="north") for by in ("till", "cashier")]
    rewards = report(chain.hq, chain, "rewards", store_id="north")
    # As a service from before the reports stored them: the figures only in each sale's answer.
    execute(chain.db, "UPDATE sales SET total = NULL, discount_total = NULL, rewards_redeemed = NULL"
                      " WHERE store_id = 'north'")
    assert rows(chain.db, "SELECT COUNT(*) FROM sales WHERE store_id = 'north' AND total IS NULL")[0][0] == 4
    assert [report(chain.hq, chain, "sales", by=by, store_id="north") for by in ("till", "cashier")] == before
    assert report(chain.hq, chain, "rewards", store_id="north") == rewards
