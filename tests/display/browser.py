"""Real headless Chromium for the customer display's page tests (Debian's chromium and
chromium-driver, driven by selenium), and awaitable calls on it for tests whose till runs on
their own event loop: every browser call runs in a thread, so the till keeps serving meanwhile.

Missing Chromium skips the tests, unless LOYALTY_REQUIRE_CHROMIUM is set (./dev test and CI set it
once the browser is installed): then it fails them."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest

# Without these Chromium looks for the internet this machine lacks, and hangs on refused connections.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,800",
)
# A bound for a loaded 2-core machine, not a pause: every wait returns as soon as its condition holds.
WAIT_SECONDS = 30.0
TABLET = (1280, 800)
PHONE = (390, 844)


def _missing(why: str) -> None:
    if os.environ.get("LOYALTY_REQUIRE_CHROMIUM"):
        pytest.fail(f"headless Chromium is required here (LOYALTY_REQUIRE_CHROMIUM) but {why}")
    pytest.skip(f"no headless Chromium: {why}")


@contextmanager
def chromium() -> Iterator[Any]:
    """A fresh headless Chromium (its own profile folder), quit and removed afterwards."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        _missing(f"selenium is not installed ({error})")
    browser, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not browser or not driver_path:
        _missing("Debian's chromium and chromium-driver are not installed (./dev test installs them)")
    profile = tempfile.mkdtemp(prefix="display-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
    except WebDriverException as error:
        shutil.rmtree(profile, ignore_errors=True)
        _missing(f"it did not start: {error.msg}")
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Page:
    """The browser's one tab, with awaitable calls (each in a thread)."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def call(self, action: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(action, *args)

    async def open(self, url: str, size: tuple[int, int] = TABLET) -> None:
        await self.resize(size)
        await self.call(self.driver.get, url)

    @asynccontextmanager
    async def at(self, url: str, size: tuple[int, int] = TABLET) -> AsyncIterator[Page]:
        """The page open at ``url`` until the block ends, then left (its event stream closed, so
        the till's server stops at once)."""
        await self.open(url, size)
        try:
            yield self
        finally:
            await self.call(self.driver.get, "about:blank")

    async def following(self, timeout: float = WAIT_SECONDS) -> None:
        """Until the page follows the till's event stream and has drawn the view it sent first
        (connected alone is not enough: the first message may still be on its way)."""
        await self.wait(lambda d: d.execute_script(
            "return !!document.body && document.body.dataset.connected === 'true'"
            " && document.body.dataset.version !== undefined"), "the page following the till", timeout)

    async def resize(self, size: tuple[int, int]) -> None:
        """The page's viewport, as a device of that size shows it (a phone: mobile, 3× pixels)."""
        width, height = size
        phone = width < 600
        await self.call(self.driver.execute_cdp_cmd, "Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 3 if phone else 1, "mobile": phone})

    async def js(self, script: str, *args: Any) -> Any:
        return await self.call(self.driver.execute_script, script, *args)

    async def text(self, css: str) -> str:
        return await self.js("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css)

    async def shown(self, css: str) -> bool:
        return await self.js("const e = document.querySelector(arguments[0]);"
                             " return !!e && e.getClientRects().length > 0;", css)

    async def wait(self, condition: Callable[[Any], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
        """Until ``condition(driver)`` is truthy (polled by selenium, never a fixed sleep)."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        def waited() -> Any:
            try:
                return WebDriverWait(self.driver, timeout, poll_frequency=0.02).until(condition)
            except TimeoutException:
                raise AssertionError(f"not within {timeout:g} s on the page: {what}") from None

        return await self.call(waited)

    async def wait_text(self, css: str, wanted: Callable[[str], bool] | str, timeout: float = WAIT_SECONDS) -> str:
        """The text of ``css`` once it is ``wanted`` (equal to it, or passing it)."""
        check = wanted if callable(wanted) else (lambda text: text == wanted)

        def ready(driver: Any) -> str | None:
            text = driver.execute_script(
                "const e = document.querySelector(arguments[0]);"
                " return e && e.getClientRects().length > 0 ? e.textContent : null;", css)
            return text if text is not None and check(text) else None

        return await self.wait(ready, f"{css} showing {wanted!r}", timeout)

    async def click(self, css: str) -> None:
        from selenium.webdriver.common.by import By

        await self.call(lambda: self.driver.find_element(By.CSS_SELECTOR, css).click())

    async def alert_open(self) -> bool:
        from selenium.common.exceptions import NoAlertPresentException

        def probe() -> bool:
            try:
                self.driver.switch_to.alert  # noqa: B018 - raises when there is none
            except NoAlertPresentException:
                return False
            return True

        return await self.call(probe)

    async def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than its viewport (0: no horizontal scroll)."""
        return await self.js("const d = document.documentElement;"
                             " return Math.max(d.scrollWidth, document.body.scrollWidth) - d.clientWidth;")
