"""What the kiosk shows its staff: sales the loyalty service refused, kept here for a supervisor."""

from __future__ import annotations

from textual.widgets import Label

from selfcheckout.screens.assistance import AssistanceScreen
from tests.app.conftest import wait_for
from tests.kiosk.conftest import kiosk_ready

SIZE = (100, 30)
SALE_ID = "abcdef12-0000-4000-8000-000000000001"


def shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Label).render())


async def test_set_aside_sales_are_shown_to_staff(kiosk) -> None:
    app = kiosk()
    outbox = app.checkout.outbox
    outbox.record_completed(
        SALE_ID, completed_at="2026-11-22T10:15:00Z", total=250, journal={"lines": []},
        account_id="acct-1", body={"account_id": "acct-1", "lines": []}, points_expected=2,
    )
    outbox.set_aside(SALE_ID, "the service refused this sale id")
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await wait_for(pilot, lambda: app.screen.query_one("#staff-attention", Label).display)
        assert "1 sale(s) refused by the loyalty service are kept here" in shown(app, "#staff-attention")
        await pilot.click("#assist")
        await wait_for(pilot, lambda: isinstance(app.screen, AssistanceScreen))
        assert shown(app, "#staff-set-aside") == ""  # nothing for a shopper to read before the PIN
        for digit in app.settings.kiosk.staff_pin:
            await pilot.click(f"#key-{digit}")
        await pilot.click("#pin-ok")
        await wait_for(pilot, lambda: "ABCDEF12" in shown(app, "#staff-set-aside"))
        assert "Tell your supervisor" in shown(app, "#staff-set-aside")


async def test_no_staff_line_when_all_is_well(kiosk) -> None:
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        assert not app.screen.query_one("#staff-attention", Label).display
