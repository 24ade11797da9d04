"""The till's own quote agrees with the service's, for the rules the contract publishes."""

from __future__ import annotations

import random

import httpx
import pytest

from pos_core.basket import Basket
from pos_core.catalog import Catalog
from pos_core.loyalty_errors import RewardNotAvailable
from pos_core.loyalty_models import AccountSummary, Program
from pos_core.offline_quote import offline_quote
from pos_core.sale import Sale


@pytest.fixture
def api(live_service):
    with httpx.Client(base_url=live_service.url, headers={"Authorization": f"Bearer {live_service.api_key}"}) as client:
        yield client


def test_offline_quote_matches_the_service(api: httpx.Client) -> None:
    program = Program.from_json(api.get("/v1/program").json())
    catalog = Catalog.from_json(api.get("/v1/catalog").json())
    customer = AccountSummary.from_json(api.post("/v1/identify", json={"method": "phone", "value": "020 7946 0003"}).json())
    products = list(catalog)
    rng = random.Random(3)
    compared = 0
    for _ in range(60):
        basket = Basket()
        for product in rng.sample(products, rng.randint(1, 5)):
            basket = basket.add(product, rng.randint(1, 3))
        rewards = tuple(rng.sample([r.reward_id for r in customer.rewards_available], rng.randint(0, 2)))
        sale = Sale("s", "t", "GBP", basket, customer, rewards)
        answer = api.post("/v1/quote", json={"account_id": customer.account_id, "lines": basket.to_json(),
                                              "rewards": list(rewards)})
        if answer.status_code != 200:
            with pytest.raises(RewardNotAvailable):
                offline_quote(program, sale)
            continue
        service, till = answer.json(), offline_quote(program, sale)
        assert (till.total, till.discount_total, till.points_redeemed, till.points_earned) == (
            service["total"], service["discount_total"], service["points_redeemed"], service["points_earned"]
        ), (basket, rewards)
        assert till.estimated
        compared += 1
    assert compared > 30


async def test_rewards_offline_follow_the_store_setting(live_service, tmp_path) -> None:
    from dataclasses import replace

    from pos_core.checkout import Checkout
    from pos_core.loyalty_client import LoyaltyClient
    from pos_core.loyalty_errors import RewardsNeedTheService
    from pos_core.settings import Settings

    settings = Settings(api_url=live_service.url, api_key=live_service.api_key, data_dir=tmp_path)
    checkout = Checkout(LoyaltyClient(live_service.url, live_service.api_key), settings)
    await checkout.load_store()
    customer = await checkout.identify("phone", "020 7946 0001")
    drink = next(p for p in checkout.catalog if p.category == "hot_drinks")
    sale = checkout.new_sale().with_basket(Basket().add(drink, 2)).with_customer(customer).with_reward("free-hot-drink", True)
    online = await checkout.quote(sale)
    live_service.stop()
    with pytest.raises(RewardsNeedTheService):
        await checkout.quote(sale)
    checkout.settings = replace(settings, offline_rewards=True)
    offline = await checkout.quote(sale)
    assert offline.estimated and (offline.total, offline.points_earned) == (online.total, online.points_earned)
    await checkout.client.aclose()
    checkout.close()


def test_offline_quote_matches_a_service_with_promotions(tmp_path) -> None:
    """A programme whose promotions and threshold bonus are open today: the till applies them too."""
    from datetime import date, timedelta

    from loyalty_service.program import DEMO_PROGRAM
    from pos_core.embedded_service import start_service
    from tests.conftest import TEST_API_KEY

    today = date.today()
    extra = f"""
[[promotions]]
id = "bakery-x3"
name = "Triple points on bakery"
categories = ["bakery"]
multiplier = "3"
from_date = {today - timedelta(days=1)}
until_date = {today + timedelta(days=1)}

[[promotions]]
id = "milk-bonus"
name = "Milk bonus"
products = ["1009"]
bonus_points = 4

[[threshold_bonuses]]
id = "small-shop"
name = "Small shop bonus"
min_spend = 1200
points = 6
"""
    program_file = tmp_path / "program.toml"
    program_file.write_text(DEMO_PROGRAM.read_text(encoding="utf-8") + extra, encoding="utf-8")
    service = start_service(db_path=tmp_path / "db" / "loyalty.db", api_key=TEST_API_KEY,
                            log_path=tmp_path / "service.log", extra_args=("--program", str(program_file)))
    try:
        with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}) as client:
            program = Program.from_json(client.get("/v1/program").json())
            assert len(program.promotions) == 4 and len(program.threshold_bonuses) == 2
            test_offline_quote_matches_the_service(client)
    finally:
        service.stop()
