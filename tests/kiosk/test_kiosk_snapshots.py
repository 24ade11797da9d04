"""The kiosk's key screens at the smallest terminal (80×24) and a full-HD one (240×67).

Update after a deliberate change with ``./dev test tests/kiosk/test_kiosk_snapshots.py --snapshot-update``,
then look at the new SVGs before committing them.
"""

from __future__ import annotations

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from selfcheckout.screens.kiosk_payment import KioskPaymentScreen
from selfcheckout.screens.reward_offer import RewardOfferScreen
from selfcheckout.screens.thank_you import ThankYouScreen
from tests.app.conftest import product_in, wait_for
from tests.conftest import settling
from tests.kiosk.conftest import kiosk_ready
from tests.kiosk.test_kiosk_flows import scan, sign_in_by_phone

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((240, 67), id="full-hd")]


async def signed_in_with_basket(pilot: Pilot, api: httpx.Client) -> None:
    app = await kiosk_ready(pilot)
    await sign_in_by_phone(pilot)
    await scan(pilot, product_in(api, "hot_drinks")["sku"])
    await scan(pilot, f"2*{product_in(api, 'bakery')['sku']}")
    await wait_for(pilot, lambda: app.sale is not None and len(app.sale.basket.lines) == 2 and basket_settled(app))
    await pilot.pause()


def basket_settled(app) -> bool:
    """The quote is for the whole basket (the first item's may come first), and the basket's table
    has laid out its last rows: a screen pushed over it (the reward offer) shows it as it was then,
    and a Pay pressed just after the second scan once showed "Sourdough" cut to the first row's width."""
    table = app.screen.query_one("#kiosk-basket", DataTable)
    return (app.quote is not None and app.sale is not None and app.quote.subtotal == app.sale.basket.subtotal
            and table.row_count == len(app.sale.basket.lines) and not settling(table))


async def to_offer(pilot: Pilot, api: httpx.Client) -> None:
    await signed_in_with_basket(pilot, api)
    await pilot.click("#pay")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RewardOfferScreen))
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_welcome(snap_compare, kiosk, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await kiosk_ready(pilot)

    assert snap_compare(kiosk(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_identified_with_basket(snap_compare, kiosk, api: httpx.Client, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await signed_in_with_basket(pilot, api)

    assert snap_compare(kiosk(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_reward_offer(snap_compare, kiosk, api: httpx.Client, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await to_offer(pilot, api)

    assert snap_compare(kiosk(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_thank_you(snap_compare, kiosk, api: httpx.Client, size) -> None:
    async def run_before(pilot: Pilot) -> None:
        await to_offer(pilot, api)
        await pilot.click("#offer-yes")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, KioskPaymentScreen)
                       and pilot.app.screen.query("#pay-card"))  # its buttons composed, not only pushed
        await pilot.click("#pay-card")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ThankYouScreen))
        await pilot.pause()

    assert snap_compare(kiosk(), terminal_size=size, run_before=run_before)
