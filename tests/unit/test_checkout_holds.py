"""The till's side of reserved rewards: one hold per open sale, replaced when the rewards change,
released best effort (a service that is away lets it expire), and named by the sale it pays for."""

from __future__ import annotations

from dataclasses import replace

import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from pos_core.checkout import Checkout
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import RewardNotAvailable, RewardsNeedTheService
from pos_core.loyalty_models import AccountSummary, Tier
from pos_core.sale import Sale
from pos_core.settings import Settings

ALICE = AccountSummary("acc_1", "Alice S.", "GBP", 640, None, Tier("Silver", Decimal("1.25"), None, None), None, ())


class FakeService:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict]] = []
        self.away = False
        self.count = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.away:
            raise httpx.ConnectError("down", request=request)
        body = json.loads(request.content) if request.content else {}
        self.calls.append((request.method, request.url.path, body))
        if request.method == "POST" and body.get("rewards") == ["ten-percent"]:
            return httpx.Response(422, json={"error": {"code": "insufficient_points", "message": "held", "details": []}})
        if request.method == "POST":
            self.count += 1
            return httpx.Response(201, json={
                "reservation_id": f"res_{self.count}", "account_id": body["account_id"], "rewards": body["rewards"],
                "points_held": 150, "status": "held", "expires_at": "2026-11-22T10:30:00Z"})
        return httpx.Response(200, json={
            "reservation_id": request.url.path.rsplit("/", 1)[-1], "account_id": "acc_1", "rewards": [],
            "points_held": 0, "status": "released", "expires_at": "2026-11-22T10:30:00Z"})


def checkout_on(service: FakeService, tmp_path: Path, **settings: object) -> Checkout:
    config = Settings(api_url="http://loyalty.test", api_key="k", data_dir=tmp_path, **settings)
    client = LoyaltyClient(config.api_url, "k", transport=httpx.MockTransport(service))
    return Checkout(client, config)


def sale_with(*rewards: str) -> Sale:
    sale = Sale("demo-store", "till-1", "GBP", customer=ALICE, sale_id="00000000-0000-4000-8000-000000000001")
    for reward in rewards:
        sale = sale.with_reward(reward, True)
    return sale


async def test_one_hold_per_sale_replaced_then_released(tmp_path: Path) -> None:
    service = FakeService()
    checkout = checkout_on(service, tmp_path)
    await checkout.hold_rewards(sale_with("free-hot-drink"))
    await checkout.hold_rewards(sale_with("free-hot-drink"))  # unchanged: no second call
    assert checkout.hold_fits(sale_with("free-hot-drink")) and not checkout.hold_fits(sale_with())
    await checkout.hold_rewards(sale_with("free-hot-drink", "five-off"))
    assert [(m, b.get("rewards"), b.get("replaces")) for m, _, b in service.calls] == [
        ("POST", ["free-hot-drink"], None), ("POST", ["free-hot-drink", "five-off"], "res_1")]
    await checkout.hold_rewards(sale_with())  # no rewards: released
    assert service.calls[-1][:2] == ("DELETE", "/v1/reservations/res_2")
    assert checkout.hold_for(sale_with().sale_id) is None
    with pytest.raises(RewardNotAvailable):
        await checkout.hold_rewards(sale_with("ten-percent"))
    checkout.close()


async def test_away_service_refuses_holds_unless_offline_rewards_and_releases_quietly(tmp_path: Path) -> None:
    service = FakeService()
    checkout = checkout_on(service, tmp_path)
    await checkout.hold_rewards(sale_with("free-hot-drink"))
    service.away = True
    await checkout.release_hold(sale_with().sale_id)  # no error: the hold expires by itself
    assert checkout.hold_for(sale_with().sale_id) is None
    with pytest.raises(RewardsNeedTheService):
        await checkout.hold_rewards(sale_with("free-hot-drink"))
    checkout.close()
    lenient = checkout_on(service, tmp_path / "lenient", offline_rewards=True)
    with pytest.raises(RewardsNeedTheService):  # a customer found in the cache brings no proof they are here
        await lenient.hold_rewards(sale_with("free-hot-drink"))
    identified_here = sale_with("free-hot-drink").with_customer(None).with_customer(replace(ALICE, presence="PRS1.x"))
    await lenient.hold_rewards(identified_here.with_reward("free-hot-drink", True))  # the sale goes without a hold
    assert lenient.hold_for(sale_with().sale_id) is None
    lenient.close()
