"""A till whose own files are damaged still starts and sells, and says what happened: the
register and the kiosk on a real service, with real files overwritten with garbage."""

from __future__ import annotations

from pathlib import Path

import httpx

from pos_core.checkout import till_dir
from pos_core.settings import Settings
from tests.app.conftest import find_customer, product_in, wait_for
from tests.app.test_register_flow import identify, notifications, ready, scan, type_text

SIZE = (80, 24)


def damage(folder: Path) -> None:
    """The till's sales file and customer cache, overwritten: not databases any more."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("outbox.db", "cache.db"):
        (folder / name).write_bytes(b"\xa5" * 8192)


async def test_the_register_starts_on_damaged_files_says_so_and_sells(
    cashier, api: httpx.Client, tmp_path: Path, monkeypatch
) -> None:
    from cashier_tui.screens.payment import PaymentScreen
    from cashier_tui.screens.receipt import ReceiptScreen

    folder = till_dir(Settings(api_url="http://x", api_key="k", data_dir=tmp_path / "till"))
    damage(folder)
    monkeypatch.setenv("TEXTUAL_LOG", str(tmp_path / "keys.log"))  # as if someone left Textual's log on
    phone, before = find_customer(api, lambda s: True)
    loaf = product_in(api, "bakery")
    app = cashier()
    assert app.checkout.outbox_notice is not None
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await ready(pilot)
        shown = notifications(app)
        assert any("sales file was damaged" in text and "cashier-tui recover-outbox" in text for text in shown)
        assert any("customer cache was damaged" in text for text in shown)
        assert any("Every key typed here is being recorded" in text for text in shown)
        moved = list(folder.glob("outbox.damaged-*.db"))
        assert len(moved) == 1 and moved[0].read_bytes() == b"\xa5" * 8192  # kept, not deleted
        await scan(pilot, loaf["sku"])
        await identify(pilot, phone)
        await wait_for(pilot, lambda: screen.quote is not None)
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await type_text(pilot, "10")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        done = app.screen.done
        assert done.loyalty is not None or done.points_pending
        await wait_for(pilot, lambda: app.checkout.outbox.loyalty_answer(done.sale.sale_id) is not None, timeout=20)
    assert api.get(f"/v1/sales/{done.sale.sale_id}").status_code == 200
