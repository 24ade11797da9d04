"""Fixtures shared by every test tier.

Autouse fixtures keep each test away from the user's real config and data directories.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from pathlib import Path

import os

import pytest

from pos_core import embedded_service
from pos_core.embedded_service import RunningService, start_service
from tests.cups_server import CupsServer, CupsUnavailable, start_cups
from tests.postgres_server import PostgresServer, PostgresUnavailable, start_postgres
from tests import service_fork_server
from tests.service_fork_server import ForkServer

T = TypeVar("T")

TEST_API_KEY = "test-key-0123456789abcdefgh"  # configured keys are at least 24 characters
# The secret managers' PIN hashes are keyed with (loyalty_service/pin_hashes.py), in every test's
# environment, so the services and add-manager the tests start share it.
TEST_PIN_SECRET = "test-pin-secret-0123456789abcdef0123456789"


@pytest.fixture(scope="session", autouse=True)
def services_forked() -> Iterator[ForkServer]:
    """Every loyalty service a test starts is forked from one process that imported the service
    once (tests/service_fork_server.py): a service starts in a fraction of the time."""
    server = ForkServer(embedded_service.spawn)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedded_service, "spawn", server.spawn)
        patch.setattr(service_fork_server, "ACTIVE", server)
        yield server
    server.close()


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point XDG config/data/cache at the test's own folder."""
    home = tmp_path / "home"
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = home / name.lower()
        path.mkdir(parents=True)
        monkeypatch.setenv(name, str(path))
    for name in ("LOYALTY_API_KEYS", "CASHIER_API_URL", "CASHIER_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOYALTY_PIN_SECRET", TEST_PIN_SECRET)
    return home


@pytest.fixture(autouse=True)
def utc_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC in every test, so receipts and snapshots read the same on any machine."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text cursors stay lit, so screenshots do not depend on when the blink timer fired."""
    from textual.widgets import Input

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: setattr(self, "_cursor_visible", True))


@pytest.fixture(autouse=True)
def notices_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every notice an app gives is kept, in order, as ``app.notices_given`` (``told(app)``):
    Textual drops a toast once its timeout has run, so on a busy machine a test reading the
    toasts on screen could miss one the app did give."""
    from textual.app import App

    notify = App.notify

    def kept(self: App, message: str, *args: Any, **kwargs: Any) -> None:
        self.__dict__.setdefault("notices_given", []).append(str(message))
        notify(self, message, *args, **kwargs)

    monkeypatch.setattr(App, "notify", kept)


@pytest.fixture(autouse=True)
def clicks_wait_for_their_target(monkeypatch: pytest.MonkeyPatch) -> None:
    """A click waits, as a person's finger would, until what it clicks is on the screen and laid
    out: a busy machine shows a screen a frame or more before its children are placed, and a
    click then landed on nothing (and the test waited for a screen that never came). It also
    waits while the screen has a layout still to do: a label that grew (an error said in a
    centred dialog) moves what is below and above it, and a click aimed by the old layout landed
    on the neighbouring checkbox. Bounded at 30 s; then the click goes ahead and fails as it would
    have."""
    import asyncio
    import time

    from textual.pilot import Pilot
    from textual.widget import Widget

    click = Pilot.click

    def laid_out(pilot: Pilot, target: Any) -> bool:
        screen = pilot.app.screen
        if isinstance(target, Widget):
            widget = target
        else:
            found = screen.query(target) if target is not None else None
            if found is not None and not found:
                return False
            widget = found.first() if found is not None else screen
        # Textual keeps "a layout is due" on the screen until its update timer lays it out.
        # A widget keeps its own flag until it hands the layout to the screen (a label just updated).
        settled = not getattr(screen, "_layout_required", False) and not any(
            getattr(child, "_layout_required", False) for child in screen.walk_children())
        return widget.screen is screen and widget.region.area > 0 and settled

    async def waited(self: Pilot, widget: Any = None, *args: Any, **kwargs: Any) -> bool:
        deadline = time.monotonic() + 30
        while not laid_out(self, widget) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return await click(self, widget, *args, **kwargs)

    monkeypatch.setattr(Pilot, "click", waited)


def settling(widget: Any) -> bool:
    """Whether ``widget`` still looks other than it will in a moment. Only a button's "-active" is
    a press fading; a tab's is which tab is chosen. A table sizes its columns to rows just added
    when it is next idle: until then a long name is cut to the old width (seen once: the kiosk's
    "Sourdough loaf" under the reward offer)."""
    from textual.widgets import Button, DataTable

    if isinstance(widget, Button):
        return widget.has_class("-active")
    if isinstance(widget, DataTable):
        return bool(widget._require_update_dimensions or widget._new_rows or widget._updated_cells)
    return False


@pytest.fixture
def snap_compare(snap_compare: Callable[..., bool]) -> Callable[..., bool]:
    """pytest-textual-snapshot's ``snap_compare``, taking its picture only once the app is still:
    a button just pressed keeps its pressed look (a Button's ``-active`` class) for 0.2 s after the
    click, and a screen pushed by that click was pictured with the button behind it still pressed
    when the machine was quick (seen once in CI: the kiosk's Pay under the reward offer); and no
    table has rows it has not yet sized its columns for. Bounded at 30 s; then the picture is
    taken as it is and compared."""
    import asyncio
    import inspect
    import time

    def still(app: Any) -> bool:
        return not any(settling(widget) for screen in app.screen_stack for widget in screen.walk_children())

    def compare(app: Any, *args: Any, run_before: Callable[..., Any] | None = None,
                press: Any = (), **kwargs: Any) -> bool:
        async def then_still(pilot: Any) -> None:
            if run_before is not None:
                result = run_before(pilot)
                if inspect.isawaitable(result):
                    await result
            await pilot.press(*press)  # here, not after: a key may press a button too
            deadline = time.monotonic() + 30
            while not still(pilot.app) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await pilot.pause()

        return snap_compare(app, *args, run_before=then_still, press=(), **kwargs)

    return compare


def told(app: Any) -> list[str]:
    """Every notice ``app`` has given, oldest first (see ``notices_kept``)."""
    return list(app.__dict__.get("notices_given", ()))


def live_service_db(tmp_path: Path) -> Path:
    """Where ``live_service`` keeps its data."""
    return tmp_path / "service" / "loyalty.db"


@pytest.fixture
def live_service(tmp_path: Path) -> Iterator[RunningService]:
    """A real reference loyalty service on loopback, with the demo store, in a fresh SQLite file."""
    service = start_service(
        db_path=live_service_db(tmp_path),
        api_key=TEST_API_KEY,
        log_path=tmp_path / "service" / "service.log",
    )
    try:
        yield service
    finally:
        service.stop()


def private_server(start: Callable[[], T], unavailable: type[Exception], required_by: str, what: str) -> Iterator[T]:
    """A server the tests start for themselves (it has ``stop()``): skipped when it cannot be had
    here, failed instead when ``required_by`` is set (``./dev test`` sets it once the programs are installed)."""
    try:
        server = start()
    except unavailable as error:
        if os.environ.get(required_by):
            pytest.fail(f"{what} is required here ({required_by}) but: {error}")
        pytest.skip(f"no {what}: {error}")
    try:
        yield server
    finally:
        server.stop()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    yield from private_server(start_postgres, PostgresUnavailable, "LOYALTY_REQUIRE_POSTGRES", "PostgreSQL")


@pytest.fixture
def cups_server() -> Iterator[CupsServer]:
    """A private cupsd with no queues yet (tests/cups_server.py), one a test: it starts in a tenth of a second."""
    yield from private_server(start_cups, CupsUnavailable, "LOYALTY_REQUIRE_CUPS", "CUPS")
