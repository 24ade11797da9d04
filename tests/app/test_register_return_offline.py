"""A return taken with the loyalty service away: only a sale this till made itself, on the till's
own estimate (marked so), kept in its outbox and delivered once when the service is back."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import httpx
from textual.widgets import Input, Static

from cashier_tui.app import make_app
from cashier_tui.screens.register import RegisterScreen
from cashier_tui.screens.return_sale import AWAY, ESTIMATED, OWN_RECORD, ReturnScreen
from pos_core.embedded_service import RunningService
from pos_core.settings import Settings
from tests.app.conftest import fixed_checkout, wait_for
from tests.app.test_register_flow import SIZE, type_text
from tests.app.test_register_return import FIRST_SALE, label, pay_by_card, rung_up_for_alice
from tests.offline.fault_proxy import FaultProxy

ALICE_ID = "acc_7f3a9c2e51d0"


async def open_receipt(pilot, number: str) -> ReturnScreen:
    await pilot.press("f12")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReturnScreen))
    returns = pilot.app.screen
    returns.query_one("#return-receipt", Input).value = ""
    await type_text(pilot, number)
    await pilot.press("enter")
    return returns


async def test_a_return_made_offline_is_kept_and_delivered_once(
    live_service: RunningService, api: httpx.Client, tmp_path
) -> None:
    where = urlsplit(live_service.url)
    proxy = FaultProxy(where.hostname or "127.0.0.1", where.port or 80)
    try:
        config = Settings(api_url=proxy.url, api_key=live_service.api_key, data_dir=tmp_path / "till",
                          health_interval=0.5)
        app = make_app(config, checkout=fixed_checkout(config, "00000000-0000-4000-8000-"))
        async with app.run_test(size=SIZE) as pilot:
            await rung_up_for_alice(pilot, "2*1005", "1006")
            await pay_by_card(pilot)
            assert app.screen.done.loyalty is not None  # the sale reached the service
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))

            proxy.set_faults(refuse=1)  # the service is away from here on
            returns = await open_receipt(pilot, f"R-{uuid.uuid4()}")  # not a sale of this till
            await wait_for(pilot, lambda: label(returns, "#return-error") == AWAY)
            returns.query_one("#return-receipt", Input).value = ""
            await type_text(pilot, f"R-{FIRST_SALE}")
            await pilot.press("enter")
            await wait_for(pilot, lambda: returns.query("#return-qty-0"))
            assert label(returns, "#return-error") == OWN_RECORD
            returns.query_one("#return-qty-0", Input).value = "1"
            await pilot.press("f10")
            await wait_for(pilot, lambda: returns.result is not None)
            result = returns.result
            assert result.estimated and result.refund_amount == 349
            shown = label(returns, "#return-result")
            assert "Refund £3.49 to the card." in shown and ESTIMATED in shown
            paper = str(returns.query_one("#return-slip", Static).render())
            assert "Refunded to card" in paper and "Estimated by this till" in paper
            # In the till's own records, queued, and not on the service yet.
            outbox = app.checkout.outbox
            own = outbox.completed(result.return_id)
            assert own["journal"]["kind"] == "return" and own["journal"]["sale_id"] == FIRST_SALE
            assert own["total"] == -349 and own["answer"] is None
            assert outbox.pending_count() == 1
            assert api.get(f"/v1/sales/{FIRST_SALE}/returns").json()["returns"] == []

            # Back, but an answer may be lost on the way (the service committed; the till cannot know).
            proxy.set_faults(**{"pass": 2, "drop_reply": 1})
            await wait_for(pilot, lambda: outbox.pending_count() == 0 and outbox.completed(result.return_id)["answer"],
                           timeout=60)
            proxy.set_faults(**{"pass": 1})
            answer = outbox.completed(result.return_id)["answer"]
            assert (answer["return_id"], answer["refund_amount"], answer["refunds"]) == (
                result.return_id, 349, [{"method": "card", "amount": 349}])
        done = api.get(f"/v1/sales/{FIRST_SALE}/returns").json()
        assert [r["return_id"] for r in done["returns"]] == [result.return_id]  # once
        assert [(line["sku"], line["returned"]) for line in done["lines"]] == [("1005", 1), ("1006", 0)]
        assert api.get(f"/v1/accounts/{ALICE_ID}").json()["balance"] == 650 - 5
    finally:
        proxy.close()
