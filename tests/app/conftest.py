"""Driving the real register against a real loyalty service on loopback."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot

from cashier_tui.app import CashierApp, make_app
from pos_core.checkout import Checkout
from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient
from pos_core.settings import Settings
from tests.conftest import live_service_db, told
from tests.till_keys import till_key

FIXED_TIME = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)


@pytest.fixture
def api(live_service: RunningService) -> Iterator[httpx.Client]:
    """A plain HTTP client on the same service, to check what the register did."""
    with httpx.Client(
        base_url=live_service.url, headers={"Authorization": f"Bearer {live_service.api_key}"}, timeout=10
    ) as client:
        yield client


def fixed_checkout(settings: Settings, id_prefix: str) -> Checkout:
    """The real Checkout with a fixed clock and predictable sale ids, so screens snapshot the same."""
    numbers = itertools.count(1)
    return Checkout(
        LoyaltyClient(settings.api_url, settings.api_key, deadlines=settings.deadlines),
        settings,
        clock=lambda: FIXED_TIME,
        new_sale_id=lambda: f"{id_prefix}{next(numbers):012d}",
    )


@pytest.fixture
def cashier(live_service: RunningService, tmp_path: Path) -> Callable[..., CashierApp]:
    """Make a register on the live service, with a fixed clock and predictable sale ids."""

    def build(**settings: Any) -> CashierApp:
        config = Settings(api_url=live_service.url, api_key="", data_dir=tmp_path / "till", **settings)
        # The register carries a till key of its own store and terminal, as a chain's tills do.
        config = replace(config, api_key=till_key(live_service_db(tmp_path), config.store_id, config.terminal_id))
        return make_app(config, checkout=fixed_checkout(config, "00000000-0000-4000-8000-"))

    return build


async def wait_for(pilot: Pilot, condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Let the app run until ``condition()`` is truthy (workers talk to a real service), and the
    screen on top has its children: a screen is the app's screen as soon as it is pushed, but
    composes and mounts its widgets a moment later, so a test reading it at once found nothing
    on a busy machine."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if value and _screen_composed(pilot):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {condition} ({'true' if value else 'false'} at the end)"
                                 f"\n{app_state(pilot.app)}")
        await pilot.pause(0.02)


def app_state(app: Any) -> str:
    """What a test that timed out needs to know of the app: its screens, workers and service."""
    try:
        screens = ", ".join(f"{type(screen).__name__}{'' if screen.is_mounted else ' (not mounted)'}"
                            for screen in app.screen_stack)
        workers = ", ".join(f"{worker.name}:{worker.state.name}" for worker in app.workers) or "none"
        sale = getattr(getattr(app, "session", None), "sale", None)
        customer = getattr(getattr(sale, "customer", None), "account_id", None)
        return (f"screens: {screens}; workers: {workers}; service: {getattr(app, 'service_state', '?')}; "
                f"customer: {customer}; notices: {told(app)[-3:]}")
    except Exception as error:  # the state is a help, never a second failure
        return f"(the app's state could not be read: {error!r})"


def _screen_composed(pilot: Pilot) -> bool:
    try:
        return pilot.app.screen.is_mounted
    except Exception:  # no screen yet (the app is starting) or any more (it is closing)
        return True


def find_customer(api: httpx.Client, predicate: Callable[[dict[str, Any]], bool]) -> tuple[str, dict[str, Any]]:
    """A demo customer's national phone number and summary, the first that fits ``predicate``."""
    for n in range(1, 20):
        phone = f"020 7946 {n:04d}"
        response = api.post("/v1/identify", json={"method": "phone", "value": phone})
        if response.status_code == 200 and predicate(response.json()):
            return phone, response.json()
    raise LookupError("no demo customer fits")


def product_in(api: httpx.Client, category: str) -> dict[str, Any]:
    return next(p for p in api.get("/v1/catalog").json()["products"] if p["category"] == category)
