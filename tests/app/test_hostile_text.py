"""Hostile text from data, driven through the real register and kiosk against a real service:
markup (``[/]``, ``[@click=app.quit]…``), ANSI escapes, right-to-left marks, combining characters and
4 KB strings as customer names, tier and reward names and descriptions, product names (a catalog
file) and the store's name. Nothing crashes, no action runs, and the text shows as given (control
characters as their visible stand-ins, pos_core.shown_text).

Each Hypothesis example drives a whole app, so the counts are small; one service serves a test's
examples (every example enrols customers of its own), hence the function-scoped fixture is allowed.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import uuid
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from textual.geometry import Offset
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Static
from textual.widgets._toast import Toast

from cashier_tui.app import make_app as make_register
from cashier_tui.screens.adjust_points import AdjustPointsScreen
from cashier_tui.screens.enrol import EnrolScreen
from cashier_tui.screens.receipt import ReceiptScreen
from cashier_tui.screens.rewards import RewardsScreen
from cashier_tui.widgets.loyalty_panel import LoyaltyPanel
from cashier_tui.widgets.basket_view import BasketView
from loyalty_service.program import DEMO_PROGRAM
from pos_core.catalog import fitted_name
from pos_core.embedded_service import RunningService, start_service
from pos_core.settings import KioskSettings, Settings
from pos_core.shown_text import printable
from selfcheckout.app import make_app as make_kiosk
from selfcheckout.screens.reward_offer import RewardOfferScreen
from selfcheckout.screens.shopping import ShoppingScreen
from selfcheckout.screens.thank_you import ThankYouScreen
from tests.app.conftest import fixed_checkout, wait_for
from tests.app.test_register_flow import identify, ready, scan
from tests.conftest import TEST_API_KEY
from tests.kiosk.test_kiosk_flows import pay_by_card, sign_in_by_phone

SIZE = (100, 30)
ALICE = "02079460001"  # Silver, 640 points: the free hot drink and £5 off are hers to use

FRAGMENTS = [
    "[/]", "[bold]", "[@click=app.quit]x[/]", "[@click=app.quit]", "[b", "]", "\\[", "[$accent]", "[link=https://e.x]y[/]",
    "\u202e", "\u200f", "\u2066", "e\u0301\u0302", "\u0301", "👩\u200d🔬", "Zoë", "李", "שלום", "'", '"', "\\",
]
ANSI = ["\x1b[31m", "\x1b[0m", "\x1b]0;pwned\x07", "\x1b[2J", "\x9b1m", "\x00", "\t", "\n"]
# Names the service takes: anything but control characters (those it refuses, tests/service/test_api.py).
LEGAL = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
ANY = st.characters(blacklist_categories=("Cs",))


def hostile(chars: st.SearchStrategy[str], fragments: list[str], max_size: int) -> st.SearchStrategy[str]:
    pieces = st.one_of(st.sampled_from(fragments), st.text(chars, min_size=1, max_size=6))
    return st.lists(pieces, min_size=1, max_size=max_size).map("".join)


def name_strategy() -> st.SearchStrategy[str]:
    word = hostile(LEGAL, FRAGMENTS, 5).filter(lambda text: bool(text.split()))
    return st.tuples(word, word).map(lambda pair: f"{pair[0]} {pair[1]}"[:120]).filter(lambda n: len(n.split()) >= 1)


def long_text(chars: st.SearchStrategy[str], fragments: list[str]) -> st.SearchStrategy[str]:
    """Short, or about 4 KB."""
    short = hostile(chars, fragments, 6).filter(lambda text: bool(text.strip()))
    return st.one_of(short, short.map(lambda text: (text * (4096 // len(text) + 1))[:4096]))


# Each example drives a whole app: a few generated ones (derandomized, so CI sees the same), and the
# nastiest kinds of text as explicit examples on every run (markup, bidi marks, combining marks,
# joined emoji, other scripts, a name at its 120-character bound).
NASTY_NAMES = ["[/] Zed", "[@click=app.quit]Eve[/] Mallory", "\u202eMallory\u2066 \u200fZoë", "e\u0301\u0302 李\u0301",
               "👩\u200d🔬 שלום", ("[b" * 40 + " " + "\\[$accent]" * 12)[:120]]
EXAMPLES = settings(max_examples=5, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])
PHONES = (f"020 7946 {n:04d}" for n in itertools.count(200))


def shown(widget: Label | Static) -> str:
    return widget.visual.plain  # what the label renders, as text


def cell(table: DataTable, row: int) -> str:
    return table.get_row_at(row)[0].plain


def enrol(api: httpx.Client, name: str) -> tuple[str, dict]:
    phone = next(PHONES)
    response = api.post("/v1/accounts", json={"phone": phone, "name": name,
                                               "consent": {"terms_version": "2026-01", "marketing": False}})
    assert response.status_code == 201, response.text
    return phone.replace(" ", ""), response.json()


def client(service: RunningService) -> httpx.Client:
    return httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {service.api_key}"}, timeout=10)


def register_settings(service: RunningService, folder: Path, **more) -> Settings:
    return Settings(api_url=service.url, api_key=service.api_key, data_dir=folder / "till", **more)


def kiosk_settings(service: RunningService, folder: Path, **more) -> Settings:
    return Settings(api_url=service.url, api_key=service.api_key, data_dir=folder / "kiosk", terminal_id="kiosk-1",
                    kiosk=KioskSettings(thank_you_seconds=600), **more)


async def nothing_ran(pilot: Pilot, widget: Widget, offset: tuple[int, int] | Offset = (1, 0)) -> None:
    """A click on the text: had it been markup, ``[@click=app.quit]`` would close the app."""
    await pilot.click(widget, offset=offset)
    await pilot.pause()
    assert pilot.app.is_running and pilot.app.return_code is None


# -- customer names ------------------------------------------------------------------------------------


def nasty_names(test):
    for name in NASTY_NAMES:
        test = example(name=name)(test)
    return test


@EXAMPLES
@given(name=name_strategy())
@nasty_names
def test_customer_names_show_as_given_at_the_register(live_service: RunningService, tmp_path: Path, name: str) -> None:
    with client(live_service) as api:
        phone, summary = enrol(api, name)
    display = summary["display_name"]

    async def run() -> None:
        config = register_settings(live_service, tmp_path / uuid.uuid4().hex)
        app = make_register(config, checkout=fixed_checkout(config, "00000000-0000-4000-8000-"))
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            screen = await ready(pilot)
            await identify(pilot, phone)
            panel = screen.query_one(LoyaltyPanel)
            await wait_for(pilot, lambda: screen.sale.customer is not None and panel.drawn_text("customer-name"))
            assert panel.drawn_text("customer-name") == display
            await nothing_ran(pilot, panel, panel.offset_of("customer-name"))
            await pilot.press("f9")
            dialog = await wait_for(pilot, lambda: isinstance(app.screen, AdjustPointsScreen) and app.screen)
            assert display in shown(dialog.query_one(".dialog-title", Label))
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)

    asyncio.run(run())


@EXAMPLES
@given(name=name_strategy())
@nasty_names
def test_customer_names_show_as_given_at_the_kiosk(live_service: RunningService, tmp_path: Path, name: str) -> None:
    with client(live_service) as api:
        phone, summary = enrol(api, name)
    first = summary["display_name"].split()[0]

    async def run() -> None:
        # A till of its own for each example: the fixed sale ids start again at 1 each time, and a
        # sale id the till has recorded already is (rightly) never taken twice.
        config = kiosk_settings(live_service, tmp_path / uuid.uuid4().hex)
        app = make_kiosk(config, checkout=fixed_checkout(config, "00000000-0000-4000-9000-"))
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await wait_for(pilot, lambda: app.checkout.catalog is not None)
            await sign_in_by_phone(pilot, phone)
            hello = await wait_for(pilot, lambda: app.screen.query("#hello") and app.screen.query_one("#hello", Label))
            assert shown(hello).startswith(f"Hi {first}! Bronze member")
            await nothing_ran(pilot, hello)
            await scan_at_kiosk(pilot, "1001")
            thanks = await pay_by_card(pilot)
            assert shown(thanks.query_one(".title", Label)) == f"Thank you, {first}!"

    asyncio.run(run())


async def scan_at_kiosk(pilot: Pilot, code: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, ShoppingScreen)
    before = len(pilot.app.sale.basket.lines)
    screen.query_one("#scan-input", Input).focus()
    await pilot.press(*code, "enter")
    await wait_for(pilot, lambda: len(pilot.app.sale.basket.lines) > before)


async def test_a_customer_enrolled_at_the_register_with_brackets_in_their_name(cashier) -> None:
    app = cashier()
    async with app.run_test(size=SIZE, notifications=True) as pilot:  # toasts shown, as on a till
        screen = await ready(pilot)
        await identify(pilot, "020 7946 0999")
        form = await wait_for(pilot, lambda: isinstance(app.screen, EnrolScreen) and app.screen)
        form.query_one("#enrol-name", Input).value = "[/] Zed"
        form.query_one("#enrol-terms").value = True
        await pilot.click("#enrol-ok")
        panel = screen.query_one(LoyaltyPanel)
        await wait_for(pilot, lambda: screen.sale.customer is not None and panel.drawn_text("customer-name"))
        assert panel.drawn_text("customer-name") == "[/] Z."
        toast = await wait_for(pilot, lambda: next((t for t in app.screen.query(Toast) if "member" in t._notification.message), None))
        assert "[/] Z. is now a member." in toast.render().plain  # what the toast shows (MarkupError today)


# -- the programme, the catalog and the store's name ---------------------------------------------------


def toml_string(text: str) -> str:
    escaped = "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F or c in '"\\' else c for c in text)
    return f'"{escaped}"'


def programme_with(tmp_path: Path, tiers: list[str], rewards: list[tuple[str, str]]) -> Path:
    text = DEMO_PROGRAM.read_text(encoding="utf-8")
    for old, new in zip(["Bronze", "Silver", "Gold"], tiers, strict=True):
        text = text.replace(f'name = "{old}"', f"name = {toml_string(new)}", 1)
    demo_rewards = [("Free hot drink", "One hot drink free"), ("£5 off your shop", "£5.00 off"),
                    ("10% off your shop", "10% off, up to £20"), ("Pay with points", "200 points = £1 off, from 2,000 points")]
    for (old_name, old_description), (name, description) in zip(demo_rewards, rewards, strict=True):
        text = text.replace(f'name = "{old_name}"', f"name = {toml_string(name)}", 1)
        text = text.replace(f'description = "{old_description}"', f"description = {toml_string(description)}", 1)
    path = tmp_path / "program.toml"
    path.write_text(text, encoding="utf-8")
    return path


def catalog_with(tmp_path: Path, names: list[str]) -> Path:
    path = tmp_path / "catalog.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "ean", "name", "category", "unit_price"])
        for number, name in enumerate(names):
            writer.writerow([f"90{number:02d}", "", name, "hot_drinks" if number == 0 else "bakery", 250 + number])
    return path


# A tier or reward name stays legal (the programme is checked like any TOML); product names (a
# 4 KB one is cut to the contract's 200 on the sale line), store names and reward descriptions may
# be 4 KB; a catalog file and the settings may hold ANSI escapes too.
tier_names = st.lists(hostile(LEGAL, FRAGMENTS, 6).filter(lambda t: bool(t.strip())), min_size=3, max_size=3, unique=True)
reward_texts = st.lists(st.tuples(hostile(LEGAL, FRAGMENTS, 6).filter(lambda t: bool(t.strip())),
                                  long_text(LEGAL, FRAGMENTS)), min_size=4, max_size=4)
product_names = st.lists(hostile(ANY, FRAGMENTS + ANSI, 8).filter(lambda t: bool(t.strip())),
                         min_size=2, max_size=2)
store_names = long_text(ANY, FRAGMENTS + ANSI).filter(lambda t: bool(t.strip()))


@settings(max_examples=2, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(tiers=tier_names, rewards=reward_texts, products=product_names, store=store_names)
@example(tiers=["[/]", "[@click=app.quit]Silver[/]", "Gold\u202e"],
         rewards=[("[@click=app.quit]Free[/] drink", "[/]"), ("£5 [bold]off", "x" * 4096),
                  ("10%", "e\u0301"), ("Pay", "[$accent]")],
         products=["\x1b[31mRed tea\x1b[0m [/]" + "t" * 4096, "[@click=app.quit]Bun[/]\n\tnext"],
         store="\x1b]0;pwned\x07[/] Store \x1b[2J")
def test_programme_catalog_and_store_names_show_as_given(tmp_path_factory: pytest.TempPathFactory, tiers: list[str],
                                                          rewards: list[tuple[str, str]], products: list[str],
                                                          store: str) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    service = start_service(db_path=folder / "service" / "loyalty.db", api_key=TEST_API_KEY,
                            log_path=folder / "service" / "service.log",
                            extra_args=("--program", str(programme_with(folder, tiers, rewards))))
    catalog = catalog_with(folder, products)
    try:
        asyncio.run(_at_the_register(service, folder, tiers, rewards, products, store, catalog))
        asyncio.run(_at_the_kiosk(service, folder, tiers, rewards, products, catalog))
    finally:
        service.stop()


async def _at_the_register(service, folder, tiers, rewards, products, store, catalog) -> None:
    config = register_settings(service, folder, store_name=store, catalog_file=catalog)
    app = make_register(config, checkout=fixed_checkout(config, "00000000-0000-4000-8000-"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await ready(pilot)
        location = screen.query_one("#status-location", Label)
        assert shown(location).startswith(printable(store))
        await nothing_ran(pilot, location)
        for sku in ("9000", "9001"):
            await scan(pilot, sku)
        basket = screen.query_one(BasketView)
        await wait_for(pilot, lambda: basket.row_count == 2)
        for row, name in enumerate(products):
            assert printable(fitted_name(name)).startswith(cell(basket, row).rstrip("…"))
        await identify(pilot, ALICE)
        panel = screen.query_one(LoyaltyPanel)
        await wait_for(pilot, lambda: screen.sale.customer is not None and panel.drawn_text("customer-tier"))
        tier = panel.drawn_text("customer-tier")
        assert tier.startswith(f"{tiers[1]} · ") and tier.endswith(f" pts to {tiers[2]}")
        await nothing_ran(pilot, panel, panel.offset_of("customer-tier"))
        offered = [panel.drawn_text(key) for key in panel.shown() if key.startswith("reward-")]
        assert offered == [f"· {rewards[0][0]}  150", f"· {rewards[1][0]}  500"]
        assert panel.drawn_text("panel-next-reward") == f"360 pts to {rewards[2][0]}"
        await pilot.press("f3")
        picker = await wait_for(pilot, lambda: isinstance(app.screen, RewardsScreen) and app.screen)
        prompts = [option.prompt.plain for option in picker.query_one("#rewards-list").options]
        assert prompts == [f"{rewards[0][0]} · 150 pts · {rewards[0][1]}", f"{rewards[1][0]} · 500 pts · {rewards[1][1]}"]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen and screen.quote is not None)
        await pilot.press("f10")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.press("enter")  # cash, the exact amount
        receipt = await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen) and app.screen.query("#receipt-text")
                                 and app.screen)
        paper = shown(receipt.query_one("#receipt-text", Static))
        assert printable(store.rstrip()) in paper and "\x1b" not in paper  # the header is centred, then rstripped
        assert app.is_running and app.return_code is None


async def _at_the_kiosk(service, folder, tiers, rewards, products, catalog) -> None:
    config = kiosk_settings(service, folder, catalog_file=catalog)
    app = make_kiosk(config, checkout=fixed_checkout(config, "00000000-0000-4000-9000-"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.checkout.catalog is not None)
        await pilot.click("#welcome-skip")
        await wait_for(pilot, lambda: isinstance(app.screen, ShoppingScreen))
        await scan_at_kiosk(pilot, "9000")
        await scan_at_kiosk(pilot, "9001")
        table = app.screen.query_one("#kiosk-basket", DataTable)
        assert [cell(table, row) for row in range(2)] == [printable(fitted_name(name)) for name in products]
        await pilot.click("#add-rewards")
        await pilot.press(*ALICE)
        await pilot.press("enter")
        offer = await wait_for(pilot, lambda: isinstance(app.screen, RewardOfferScreen) and app.screen)
        assert shown(offer.query_one(".title", Label)) == f"Use your {rewards[1][0]} reward now?"
        await pilot.click("#offer-no")
        hello = await wait_for(pilot, lambda: isinstance(app.screen, ShoppingScreen) and app.screen.query("#hello")
                               and app.screen.query_one("#hello", Label))
        assert shown(hello).startswith(f"Hi Alice! {tiers[1]} member · ")
        next_reward = shown(app.screen.query_one("#next-reward", Label))  # she earned a few at the register
        assert next_reward.startswith("Only ") and next_reward.endswith(f" points to {rewards[2][0]}.")
        await nothing_ran(pilot, hello)
        thanks = await pay_by_card(pilot)
        assert isinstance(thanks, ThankYouScreen) and app.is_running and app.return_code is None
