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


async def enter_pin(pilot, pin: str) -> None:
    for digit in pin:
        await pilot.click(f"#key-{digit}")
    await pilot.click("#pin-ok")


async def test_the_staff_pin_locks_for_five_minutes_after_five_wrong_tries(kiosk) -> None:
    app = kiosk(staff_pin="4321")
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await pilot.click("#assist")
        await wait_for(pilot, lambda: isinstance(app.screen, AssistanceScreen))
        for n in range(4):
            await enter_pin(pilot, "1111")
            assert f"{4 - n} more tr" in shown(app, "#pin-problem")
        await enter_pin(pilot, "1111")
        assert "locked for 5 minutes" in shown(app, "#pin-problem")
        await enter_pin(pilot, "4321")  # the right PIN, while locked
        assert "locked for" in shown(app, "#pin-problem")
        assert app.screen.query_one("#staff-void_sale").disabled
        # Closing and calling again does not start the count afresh; the screen says so at once.
        await pilot.click("#assist-close")
        await wait_for(pilot, lambda: not isinstance(app.screen, AssistanceScreen))
        await pilot.click("#assist")
        await wait_for(pilot, lambda: isinstance(app.screen, AssistanceScreen))
        assert "locked for 5 minutes" in shown(app, "#pin-problem")
        # Five minutes on, the right PIN unlocks.
        started = app.staff_pin.clock()
        app.staff_pin.clock = lambda: started + 301
        await enter_pin(pilot, "4321")
        await wait_for(pilot, lambda: not app.screen.query_one("#staff-void_sale").disabled)
        assert shown(app, "#pin-problem") == ""
