"""The register's points adjustment names its manager: the id goes with the PIN, so the service
charges wrong PINs to that manager, and a manager locked out is told so, in plain words."""

from __future__ import annotations

import httpx
from textual.widgets import Input, Label

from pos_core.embedded_service import RunningService
from tests.app.conftest import find_customer, wait_for
from tests.app.test_live_updates import MANAGER_ID, MANAGER_PIN, open_adjustment
from tests.app.test_register_flow import SIZE, type_text
from tests.service.test_chain_security import add_key, keyed


async def test_a_locked_out_manager_is_told_so_and_works_again_once_freed(
    cashier, api: httpx.Client, live_service: RunningService
) -> None:
    phone, summary = find_customer(api, lambda s: s["balance"] > 0)
    # Someone at another till tried five PINs for the demo manager.
    other_key = add_key(live_service.log_path.parent / "loyalty.db", "demo-store", "till-8")
    with keyed(live_service, other_key) as other:
        assert other.post("/v1/identify", json={"method": "phone", "value": phone}).status_code == 200
        for n in range(5):
            wrong = other.post(f"/v1/accounts/{summary['account_id']}/adjustments", json={
                "points": 1, "reason": "guess", "manager_pin": f"00000{n}", "manager_id": MANAGER_ID})
            assert wrong.json()["error"]["code"] == "wrong_manager_pin"
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen, dialog = await open_adjustment(pilot, phone)
        for text in ("100", "missed points", MANAGER_ID, MANAGER_PIN):
            await type_text(pilot, text)
            await pilot.press("enter")
        error = dialog.query_one("#adjust-error", Label)
        await wait_for(pilot, lambda: "locked out" in str(error.render()))
        assert app.screen is dialog and dialog.query_one("#adjust-pin", Input).value == ""
        assert api.get(f"/v1/accounts/{summary['account_id']}").json()["balance"] == summary["balance"]
        # Head office frees them (here the configured key, which may); the same form then goes through.
        assert api.post(f"/v1/managers/{MANAGER_ID}/unlock").status_code == 200
        dialog.query_one("#adjust-pin", Input).focus()
        await type_text(pilot, MANAGER_PIN)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert api.get(f"/v1/accounts/{summary['account_id']}").json()["balance"] == summary["balance"] + 100


async def test_the_form_asks_for_the_managers_id(cashier, api: httpx.Client) -> None:
    phone, _ = find_customer(api, lambda s: s["balance"] > 0)
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen, dialog = await open_adjustment(pilot, phone)
        for text in ("100", "missed points", ""):
            await type_text(pilot, text)
            await pilot.press("enter")
        await type_text(pilot, MANAGER_PIN)
        await pilot.press("enter")
        assert "types their id" in str(dialog.query_one("#adjust-error", Label).render())
        assert dialog.query_one("#adjust-manager", Input).has_focus
