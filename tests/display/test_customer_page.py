"""The customer display's web page in real headless Chromium (one browser for the module): it
follows the register's sale as the Pilot rings it up, shows what the customer may see and nothing
as markup, fits a tablet and a phone, comes back by itself when the till restarts, and carries the
customer's consent tap back to the register's enrol form and into the account's record."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from textual.widgets import Checkbox, Input, Label

from cashier_tui.screens.email_receipt import EmailReceiptScreen
from cashier_tui.screens.enrol import EnrolScreen
from cashier_tui.screens.payment import PaymentScreen
from cashier_tui.screens.receipt import ReceiptScreen
from pos_core.customer_feed import CustomerFeed
from pos_core.customer_words import short_name
from pos_core.settings import CustomerDisplaySettings
from tests.app.conftest import find_customer, product_in, wait_for
from tests.app.test_register_flow import SIZE, identify, ready, scan, type_text
from tests.conftest import live_service_db
from tests.display.browser import PHONE, TABLET, Page, chromium
from tests.display.served_display import customer, sale_of, served
from tests.service.stored import rows

HOSTILE = "<img src=x onerror=alert(1)>"
LONG_NAME = "Extraordinarily-long-unbroken-product-name-from-a-supplier-feed-" * 2


@pytest.fixture(scope="module")
def page():
    with chromium() as driver:
        yield Page(driver)


def displayed(app) -> str:
    return f"{app.display_server.url}/"


async def started(pilot, app) -> str:
    await ready(pilot)
    server = await wait_for(pilot, lambda: app.display_server)
    await wait_for(pilot, lambda: server._server.started)
    return f"{server.url}/"


# -- from the register --------------------------------------------------------------------------


async def test_the_page_follows_the_sale_from_basket_to_thank_you(cashier, api: httpx.Client, page: Page) -> None:
    phone, summary = find_customer(api, lambda s: s["next_reward"] is not None)
    loaf, drink = product_in(api, "bakery"), product_in(api, "hot_drinks")
    app = cashier(customer_display=CustomerDisplaySettings(listen="127.0.0.1:0"))
    async with app.run_test(size=SIZE) as pilot:
        async with page.at(await started(pilot, app)):
            await page.following()
            assert await page.shown("#welcome") and not await page.shown("#sale")
            await scan(pilot, loaf["sku"])
            await page.wait_text("#lines li.last .name", loaf["name"])
            await scan(pilot, drink["sku"])
            await page.wait_text("#lines li.last .name", drink["name"])
            assert await page.js("return [...document.querySelectorAll('#lines li')].map(li => li.className)") == ["", "last"]
            total = f"£{(loaf['unit_price'] + drink['unit_price']) / 100:.2f}"
            assert await page.wait_text("#total", total)
            assert not await page.shown("#loyalty")

            await identify(pilot, phone)
            await page.wait_text("#customer-name", short_name(summary["display_name"]))
            assert await page.text("#customer-tier") == summary["tier"]["name"]
            reward = summary["next_reward"]
            assert (await page.text("#progress")).startswith(f"Only {reward['points_needed']:,} points to ")
            progress = await page.js("const p = document.getElementById('progress-bar'); return [p.value, p.max];")
            assert progress == [reward["cost"] - reward["points_needed"], reward["cost"]]
            screen = app.screen
            await wait_for(pilot, lambda: screen.quote is not None)
            earned = screen.quote.points_earned
            await page.wait_text("#points-this-sale", f"This shop earns you {earned:,} points")
            await pilot.press("ctrl+e")  # the receipt e-mailed, to an address for this sale only
            await wait_for(pilot, lambda: isinstance(app.screen, EmailReceiptScreen))
            await type_text(pilot, "sam@example.org")
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is screen)

            await pilot.press("f10")
            await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
            await page.wait_text("#paying", f"Please pay {total}")
            await type_text(pilot, "20")
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
            await page.wait_text("#thanks-points", f"You earned {earned:,} points")
            assert await page.text("#thanks-name") == f", {short_name(summary['display_name'])}"
            assert await page.text("#thanks-change") == f"£{(2000 - loaf['unit_price'] - drink['unit_price']) / 100:.2f}"
            assert await page.text("#thanks-balance") == f"Your balance: {summary['balance'] + earned:,} points"
            assert not await page.shown("#lines")
            # Only the masked address reaches the customer's screen.
            assert await page.wait_text("#thanks-emailed", "Receipt e-mailed to s•••@example.org")
            assert "sam@" not in await page.js("return document.body.innerText")


async def test_consent_tapped_on_the_page_reaches_the_enrol_form_and_the_record(
    cashier, api: httpx.Client, page: Page, tmp_path: Path
) -> None:
    new_phone = "020 7946 0999"
    assert api.post("/v1/identify", json={"method": "phone", "value": new_phone}).status_code == 404
    app = cashier(customer_display=CustomerDisplaySettings(listen="127.0.0.1:0"))
    async with app.run_test(size=SIZE) as pilot:
        async with page.at(await started(pilot, app), PHONE):
            await page.following()
            await identify(pilot, new_phone)
            form = await wait_for(pilot, lambda: isinstance(app.screen, EnrolScreen) and app.screen)
            program = app.checkout.program
            await page.wait_text("#terms-version", program.terms_version)
            assert await page.text("#privacy-notice") == program.privacy_notice
            # Big enough to tap on a phone.
            sizes = await page.js("return ['agree', 'decline', 'marketing-yes', 'marketing-no', 'email-receipts'].map("
                                  "id => document.getElementById(id).getBoundingClientRect().height)")
            assert min(sizes) >= 48
            assert await page.horizontal_overflow() == 0
            # The cashier's words say the customer may answer on the display.
            assert "customer display" in str(form.query_one("#enrol-display-consent", Label).render())

            await page.click("#marketing-yes")
            await page.click("#email-receipts")
            await page.click("#agree")
            await page.wait_text("#consent-status", lambda text: text.startswith(
                "Thank you: you have agreed, with offers, receipts by e-mail"))
            said = form.query_one("#enrol-display-consent", Label)
            await wait_for(pilot, lambda: "Agreed on the customer display" in str(said.render()))
            assert str(said.render()) == "Agreed on the customer display (offers: yes; receipts by e-mail: type their address)"
            for box in ("#enrol-terms", "#enrol-marketing", "#enrol-email-receipts"):
                assert form.query_one(box, Checkbox).value and form.query_one(box, Checkbox).disabled
            # A second tap (another tab, a replay) changes nothing.
            request_id = app.customer_feed.consent.request_id
            again = await page.js(
                "return fetch('/consent', {method: 'POST', headers: {'Content-Type': 'application/json'},"
                " body: JSON.stringify({request_id: arguments[0], accepted: true, marketing: false})})"
                ".then(r => r.status)", request_id)
            assert again == 409

            assert form.query_one("#enrol-name", Input).has_focus
            await type_text(pilot, "Sam Taylor")
            await pilot.press("enter")  # receipts by e-mail, the customer said, and no address yet
            await wait_for(pilot, lambda: "Type the customer's e-mail address." == str(
                form.query_one("#enrol-error", Label).render()))
            form.query_one("#enrol-email", Input).value = "sam@example.org"
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen.sale.customer is not None)
            assert app.screen.sale.customer.email_masked == "s•••@example.org" and app.screen.sale.customer.email_receipts
            # The form has closed: the question leaves the customer's screen, their name arrives.
            await page.wait_text("#customer-name", "Sam T.")
            assert not await page.shown("#enrolling")
    account = api.post("/v1/identify", json={"method": "phone", "value": new_phone}).json()["account_id"]
    assert rows(live_service_db(tmp_path), "SELECT given_at, marketing, terms_version FROM consents WHERE account_id = ?",
                (account,)) == [("customer_display", 1, program.terms_version)]


# -- from the feed alone ------------------------------------------------------------------------


async def test_names_are_text_never_markup_and_the_page_fits_a_tablet_and_a_phone(page: Page) -> None:
    feed = CustomerFeed(store="Corner <b>Shop</b>", training=True)
    async with served(feed) as server, page.at(f"{server.url}/"):
        await page.following()
        assert await page.shown("#training") and await page.text("#training") == "TRAINING: not a real sale"
        assert await page.text("#store") == "Corner <b>Shop</b>"
        sale = sale_of((LONG_NAME, 199), ("Milk 1L", 109), (HOSTILE, 250))
        feed.show(sale=sale)
        await page.wait_text("#lines li.last .name", HOSTILE)
        assert await page.js("return document.querySelectorAll('img, b').length") == 0
        assert not await page.alert_open()
        assert await page.text("#total") == "£5.58"

        views = {"basket": lambda: feed.show(sale=sale.with_customer(customer(HOSTILE + " " + LONG_NAME))),
                 "enrolling": lambda: feed.ask_consent(terms_version="2026-01", privacy_notice=LONG_NAME * 3)}
        for phase, show in views.items():
            show()
            await page.wait(lambda d, phase=phase: d.execute_script("return document.body.dataset.phase") == phase, phase)
            for size in (TABLET, PHONE):
                await page.resize(size)
                assert await page.js("return window.innerWidth") == size[0]
                assert await page.horizontal_overflow() == 0, f"{phase} scrolls sideways at {size}"
        assert await page.js("return document.querySelectorAll('img, b').length") == 0
        assert not await page.alert_open()


async def test_the_page_comes_back_by_itself_when_the_till_restarts(page: Page) -> None:
    before = CustomerFeed(store="Till before")
    async with served(before) as server:
        listen = re.sub(r"^http://", "", server.url)
        await page.open(f"{server.url}/")
        await page.wait_text("#store", "Till before")
        before.show(sale=sale_of(("Milk 1L", 109)))
        await page.wait_text("#lines li.last .name", "Milk 1L")
    # The till is down: the page says so and keeps trying.
    await page.wait(lambda d: d.execute_script("return document.body.dataset.connected") == "false", "disconnected")
    assert await page.wait_text("#connection", "Reconnecting to the till…")
    after = CustomerFeed(store="Till after")
    async with served(after, listen):  # the till again, on the same address
        await page.wait_text("#store", "Till after")
        assert await page.shown("#welcome") and not await page.shown("#lines")
        after.show(sale=sale_of(("Eggs 6", 189)))
        await page.wait_text("#lines li.last .name", "Eggs 6")
        await page.call(page.driver.get, "about:blank")
