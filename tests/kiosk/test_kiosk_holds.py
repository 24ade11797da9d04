"""The kiosk's one-touch reward holds its points until payment; an idle reset gives them back."""

from __future__ import annotations

import httpx

from selfcheckout.screens.kiosk_payment import KioskPaymentScreen
from selfcheckout.screens.reward_offer import RewardOfferScreen
from selfcheckout.screens.welcome import WelcomeScreen
from tests.app.conftest import product_in, wait_for
from tests.kiosk.conftest import kiosk_ready
from tests.kiosk.test_kiosk_flows import SIZE, scan, sign_in_by_phone


async def test_an_accepted_reward_is_held_then_released_when_the_shopper_walks_away(kiosk, api: httpx.Client) -> None:
    loaf = product_in(api, "bakery")
    app = kiosk(idle_seconds=3, still_there_seconds=1)
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await sign_in_by_phone(pilot)
        await scan(pilot, f"2*{loaf['sku']}")
        await pilot.click("#pay")
        await wait_for(pilot, lambda: isinstance(app.screen, RewardOfferScreen))
        await pilot.click("#offer-yes")
        await wait_for(pilot, lambda: isinstance(app.screen, KioskPaymentScreen))
        hold = app.checkout.hold_for(app.sale.sale_id)
        assert hold is not None and hold.rewards == ("five-off",) and hold.points_held == 500
        account = app.sale.customer.account_id
        taken = api.post("/v1/reservations", json={"account_id": account, "rewards": ["five-off"],
                                                   "store_id": "demo-store", "terminal_id": "till-2"})
        assert taken.status_code == 422  # another till cannot spend the held points
        # The shopper walks away: the kiosk resets, and the points are free again.
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen), timeout=10)
        await wait_for(pilot, lambda: api.get(f"/v1/reservations/{hold.reservation_id}").json()["status"] == "released")
