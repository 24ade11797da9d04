"""The cashier signed on travels with what the till sends: an enrolment, a sale and a return made
through the real Checkout reach a real service with the cashier's id, and it is stored with them."""

from __future__ import annotations

from pathlib import Path

from pos_core.checkout import Checkout
from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient
from pos_core.sale import Tender
from pos_core.settings import Settings
from tests.conftest import live_service_db
from tests.service.stored import rows


async def test_an_enrolment_a_sale_and_a_return_carry_the_cashier(live_service: RunningService, tmp_path: Path) -> None:
    settings = Settings(api_url=live_service.url, api_key=live_service.api_key, data_dir=tmp_path / "till")
    checkout = Checkout(LoyaltyClient(live_service.url, live_service.api_key), settings)
    try:
        await checkout.load_store()
        checkout.cashier_id = "c102"
        member = await checkout.enrol(phone="020 7946 0999", name="Sam Taylor", marketing=False)
        assert checkout.catalog is not None
        loaf = checkout.catalog.lookup("1005")
        assert loaf is not None
        sale = checkout.new_sale().with_customer(member)
        sale = sale.with_basket(sale.basket.add(loaf, 2))
        quote = await checkout.quote(sale)
        done = await checkout.complete(sale, (Tender("card", quote.total),), quote)
        assert done.loyalty is not None  # confirmed by the service within the deadline
        found = await checkout.sale_for_return(f"R-{sale.sale_id}")
        returned = await checkout.return_items(found, {"1005": 1})
        assert not getattr(returned, "estimated", False)
    finally:
        await checkout.client.aclose()
        checkout.close()
    db = live_service_db(tmp_path)
    assert rows(db, "SELECT enrolled_by FROM accounts WHERE account_id = ?", (member.account_id,)) == [("c102",)]
    assert rows(db, "SELECT cashier_id FROM sales WHERE sale_id = ?", (sale.sale_id,)) == [("c102",)]
    assert rows(db, "SELECT cashier_id FROM sale_returns WHERE sale_id = ?", (sale.sale_id,)) == [("c102",)]
