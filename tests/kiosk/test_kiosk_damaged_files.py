"""The kiosk on a damaged sales file: it starts, says so, and the shopper still pays."""

from __future__ import annotations

from pathlib import Path

from pos_core.checkout import till_dir
from pos_core.settings import Settings
from tests.conftest import told
from tests.app.conftest import wait_for
from tests.app.test_damaged_files import damage
from tests.kiosk.conftest import kiosk_ready


async def test_the_kiosk_starts_on_a_damaged_sales_file_and_the_shopper_pays(kiosk, tmp_path: Path) -> None:
    from selfcheckout.screens.kiosk_payment import KioskPaymentScreen
    from selfcheckout.screens.thank_you import ThankYouScreen

    folder = till_dir(Settings(api_url="http://x", api_key="k", data_dir=tmp_path / "kiosk", terminal_id="kiosk-1"))
    damage(folder)
    app = kiosk()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await kiosk_ready(pilot)
        await wait_for(pilot, lambda: any("sales file was damaged" in m for m in told(app)))
        assert app.scan("1005") is None
        app.start_shopping()
        app.pay()
        await wait_for(pilot, lambda: isinstance(app.screen, KioskPaymentScreen))
        await pilot.click("#pay-card")
        await wait_for(pilot, lambda: isinstance(app.screen, ThankYouScreen))
        assert app.checkout.outbox.is_recorded(app.screen.done.sale.sale_id)
