"""An online order's pickup code (ORD-…) held up to the kiosk's scanner: the shopper is sent to the
service desk, where staff hand the order over; nothing is added and no sale starts."""

from __future__ import annotations

from selfcheckout.screens.welcome import WelcomeScreen
from tests.app.conftest import wait_for
from tests.app.wedge_keys import scanner_burst
from tests.conftest import told
from tests.kiosk.conftest import kiosk_ready

SIZE = (80, 24)


async def test_a_pickup_code_at_the_kiosk_sends_the_shopper_to_the_desk(kiosk) -> None:
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await scanner_burst(pilot, "ORD-7K2M9QXR4T8VZ1HC3N5P")
        await wait_for(pilot, lambda: any("service desk" in m for m in told(app)))
        assert app.sale is None and isinstance(app.screen, WelcomeScreen)
