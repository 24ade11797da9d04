"""The till keeps going: a failing worker is told in plain words, a real crash exits non-zero with
a report that holds nobody's data, and the status says "online" only after the service answered."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx

from cashier_tui.screens.phone_entry import PhoneEntryScreen
from pos_core.checkout import till_dir
from tests.app.conftest import find_customer, product_in, wait_for
from tests.app.test_register_flow import identify, notifications, ready, scan

SIZE = (80, 24)
SECRET = "Zed Mallory 07700 900123 4111 1111 1111 1111"
ROOT = Path(__file__).resolve().parents[2]


async def test_a_failing_worker_is_told_and_the_till_sells_on(cashier, api: httpx.Client, monkeypatch) -> None:
    phone, _ = find_customer(api, lambda s: True)
    loaf = product_in(api, "bakery")
    app = cashier()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await ready(pilot)

        async def broken(method: str, value: str):
            raise RuntimeError(SECRET)  # an error nobody expected, with personal data in its text

        monkeypatch.setattr(app.checkout, "identify", broken)
        await identify(pilot, phone)
        await wait_for(pilot, lambda: any("still running" in text for text in notifications(app)))
        assert app.is_running and app.return_code is None
        assert not any(SECRET in text for text in notifications(app))
        await wait_for(pilot, lambda: app.screen is screen)
        await scan(pilot, loaf["sku"])  # selling goes on
        await wait_for(pilot, lambda: screen.sale is not None and len(screen.sale.basket.lines) == 1)


async def test_a_real_crash_exits_non_zero_and_leaves_a_report_without_personal_data(cashier) -> None:
    app = cashier()

    def explode() -> None:  # fails in the app's own message loop, outside any worker
        raise ValueError(SECRET)

    try:
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            app.call_later(explode)
            await wait_for(pilot, lambda: not app.is_running)
    except ValueError:
        pass  # run_test re-raises the app's crash for the test runner
    assert app.return_code == 1
    reports = list(till_dir(app.settings).glob("crash-*.txt"))
    assert len(reports) == 1 and reports[0] == app.crash_report
    text = reports[0].read_text()
    assert "ValueError" in text and "test_till_policy.py" in text and "in explode" in text
    for secret in (SECRET, "Zed", "4111", "07700"):
        assert secret not in text
    assert reports[0].stat().st_mode & 0o077 == 0


async def test_online_only_after_the_service_answers(cashier, api: httpx.Client, live_service) -> None:
    phone, _ = find_customer(api, lambda s: True)
    loaf = product_in(api, "bakery")
    app = cashier(health_interval=3600.0)  # only the check at start, and the till's own calls
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: app.service_state == "online")
        await identify(pilot, phone)  # online: the till keeps a copy of the customer
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        await pilot.press("f7")
        live_service.stop()
        await scan(pilot, loaf["sku"])
        await identify(pilot, phone)  # answered from the till's cache, not by the service
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        assert screen.sale.customer.provisional
        assert app.service_state == "offline"
        await wait_for(pilot, lambda: screen.quote is not None)  # worked out on the till
        assert screen.quote.estimated and app.service_state == "offline"


def test_every_worker_in_the_apps_follows_the_till_policy() -> None:
    """No bare ``@work`` or ``run_worker`` that would close the till on an error, in the register,
    the kiosk or training (``till_tui/workers.py`` is where the policy wraps Textual's ``work``)."""
    offenders = []
    for package in ("cashier_tui", "selfcheckout", "devices_tui", "till_tui"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "till_tui" / "workers.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for decorator in node.decorator_list:
                        target = decorator.func if isinstance(decorator, ast.Call) else decorator
                        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                        if name == "work":
                            offenders.append(f"{where} @work on {node.name}")
                if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "run_worker":
                    keywords = {k.arg: k.value for k in node.keywords}
                    quiet = keywords.get("exit_on_error")
                    if not (isinstance(quiet, ast.Constant) and quiet.value is False):
                        offenders.append(f"{where} run_worker without exit_on_error=False")
    assert offenders == []


async def test_the_phone_dialog_still_opens_after_a_failure(cashier, api: httpx.Client, monkeypatch) -> None:
    """The dialog group's worker ended quietly: the next F2 works as ever."""
    phone, _ = find_customer(api, lambda s: True)
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        real = app.checkout.identify
        calls = []

        async def once_broken(method: str, value: str):
            calls.append(method)
            if len(calls) == 1:
                raise RuntimeError("unexpected")
            return await real(method, value)

        monkeypatch.setattr(app.checkout, "identify", once_broken)
        await identify(pilot, phone)
        await wait_for(pilot, lambda: app.screen is screen and len(calls) == 1)
        await identify(pilot, phone)
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        assert not isinstance(app.screen, PhoneEntryScreen)
