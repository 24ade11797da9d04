"""The register's enrol form and the customer display's consent question, over real HTTP without a
browser: the form asks while it is open and takes the question down when it closes; a customer
who declines on the display leaves the cashier free to take consent out loud, recorded as the till's."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.widgets import Checkbox, Label

from cashier_tui.screens.enrol import EnrolScreen
from cashier_tui.screens.register import RegisterScreen
from pos_core.settings import CustomerDisplaySettings
from tests.app.conftest import wait_for
from tests.app.test_register_flow import SIZE, identify, ready, type_text
from tests.conftest import live_service_db
from tests.service.stored import rows


async def test_a_decline_on_the_display_leaves_spoken_consent_to_the_cashier(
    cashier, api: httpx.Client, tmp_path: Path
) -> None:
    app = cashier(customer_display=CustomerDisplaySettings(listen="127.0.0.1:0"))
    feed = app.customer_feed
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        server = await wait_for(pilot, lambda: app.display_server)
        await wait_for(pilot, lambda: server._server.started)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as web:
            await identify(pilot, "020 7946 0998")
            await wait_for(pilot, lambda: isinstance(app.screen, EnrolScreen))
            first = feed.consent
            assert first is not None and feed.view["phase"] == "enrolling"
            assert feed.view["enrolment"]["terms_version"] == app.checkout.program.terms_version
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
            assert feed.consent is None and feed.view["enrolment"] is None
            late = await web.post("/consent", json={"request_id": first.request_id, "accepted": True, "marketing": True})
            assert late.status_code == 409

            await identify(pilot, "020 7946 0998")
            form = await wait_for(pilot, lambda: isinstance(app.screen, EnrolScreen) and app.screen)
            question = feed.consent
            assert question is not None and question.request_id != first.request_id
            declined = await web.post("/consent", json={"request_id": question.request_id, "accepted": False,
                                                        "marketing": False})
            assert declined.status_code == 200
            said = form.query_one("#enrol-display-consent", Label)
            await wait_for(pilot, lambda: said.display and "Declined" in str(said.render()))
            terms = form.query_one("#enrol-terms", Checkbox)
            assert not terms.value and not terms.disabled
            # They changed their mind and said so: the cashier ticks, as without a display.
            await type_text(pilot, "Kim Lee")
            await pilot.click("#enrol-terms")
            await wait_for(pilot, lambda: terms.value)
            await pilot.click("#enrol-ok")
            await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen) and app.screen.sale.customer is not None)
            assert feed.consent is None
    account = api.post("/v1/identify", json={"method": "phone", "value": "020 7946 0998"}).json()["account_id"]
    assert rows(live_service_db(tmp_path), "SELECT given_at, marketing FROM consents WHERE account_id = ?",
                (account,)) == [("till", 0)]
