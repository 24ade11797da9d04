"""A basket change at the till → the customer display's web page showing it, in real headless Chromium.

    ./dev bench            (or: .venv/bin/python benchmarks/bench_customer_display.py [--changes N])

The register runs headless (Textual's test driver) on the embedded demo store with its customer
display on loopback; Chromium (Debian's, as the tests start it) opens the page. Each change is the
sale session's own (``session.add``: an item scanned, the first 20 products then more of each), made
once the page shows the one before. The clock runs from just before the change to the moment the
page's script has drawn it (a MutationObserver on ``data-version`` stamps it with the browser's wall
clock; both clocks are this machine's). Prints p50/p99/max in ms, the core count, and a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # the service child process imports loyalty_service from this checkout

from cashier_tui.app import make_app  # noqa: E402
from pos_core.embedded_service import start_demo_store  # noqa: E402
from pos_core.settings import CustomerDisplaySettings, Settings  # noqa: E402
from tests.display.browser import chromium  # noqa: E402

# Stamps each version the page draws with the browser's wall clock (ms since the epoch).
WATCH = """
window.shownAt = {};
new MutationObserver(() => {
  window.shownAt[document.body.dataset.version] = performance.timeOrigin + performance.now();
}).observe(document.body, {attributes: true, attributeFilter: ["data-version"]});
"""
# Resolves once the page shows version arguments[0] or later.
AWAIT_VERSION = """
const [wanted, done] = arguments;
const check = () => Number(document.body.dataset.version) >= wanted;
if (check()) { done(true); return; }
const watcher = new MutationObserver(() => { if (check()) { watcher.disconnect(); done(true); } });
watcher.observe(document.body, {attributes: true, attributeFilter: ["data-version"]});
"""


async def measure(driver, changes: int, data_dir: Path) -> list[float]:
    service = start_demo_store(data_dir)
    try:
        settings = replace(Settings(data_dir=data_dir), api_url=service.url, api_key=service.api_key,
                           customer_display=CustomerDisplaySettings(listen="127.0.0.1:0"))
        app = make_app(settings)
        async with app.run_test(size=(100, 30)) as pilot:
            while not (app.store_loaded and app.display_server and app.display_server._server.started):
                await pilot.pause(0.01)
            skus = [product.sku for product in app.checkout.catalog][:20]
            await asyncio.to_thread(driver.get, f"{app.display_server.url}/")
            await asyncio.to_thread(driver.execute_script, WATCH)
            driver.set_script_timeout(10)
            session, feed = app.session, app.customer_feed
            changed_at: dict[int, float] = {}
            for number in range(changes):
                began = time.time() * 1000
                refused = session.add(skus[number % len(skus)])
                if refused is not None:
                    raise SystemExit(f"the till refused the item: {refused}")
                changed_at[feed.version] = began
                await asyncio.to_thread(driver.execute_async_script, AWAIT_VERSION, feed.version)
            shown = await asyncio.to_thread(driver.execute_script, "return window.shownAt")
            await asyncio.to_thread(driver.get, "about:blank")
        return [shown[str(version)] - at for version, at in changed_at.items()]
    finally:
        service.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, chromium() as driver:
        samples = asyncio.run(measure(driver, args.changes, Path(folder)))
    cut = statistics.quantiles(samples, n=100, method="inclusive")
    figures = {"p50_ms": round(cut[49], 2), "p99_ms": round(cut[98], 2), "max_ms": round(max(samples), 2)}
    print(f"cores: {os.cpu_count()}, changes: {len(samples)} (loopback, headless Chromium)")
    print(f"basket change → page shows it: p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms,"
          f" max {figures['max_ms']:.1f} ms")
    print(json.dumps({"bench": "customer_display", "cores": os.cpu_count(), "changes": len(samples), **figures}))


if __name__ == "__main__":
    main()
