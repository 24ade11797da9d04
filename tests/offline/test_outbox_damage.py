"""A damaged sales file at start: moved aside (never deleted), a fresh one opened, and
``cashier-tui recover-outbox`` delivers what the damaged file still holds, exactly once, also
when it is run twice. Real files damaged for real (pages overwritten), a real service."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from cashier_tui.__main__ import main as cashier_tui
from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient
from pos_core.outbox import Outbox, open_outbox
from pos_core.outbox_recovery import salvage
from tests.offline.demo_sales import ALICE, BEN, CHLOE, queue_anonymous, queue_sale

PAGE = 4096
AT = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def outbox_with_sales(path: Path, live: RunningService | None, count: int = 60, delivered: int = 0) -> list[str]:
    """``count`` sales queued; the first ``delivered`` really delivered and confirmed. Closed."""
    outbox = Outbox(path)
    ids = [queue_sale(outbox, str(uuid.uuid4()), (ALICE, BEN, CHLOE)[n % 3]) for n in range(count)]
    if delivered:
        async def deliver() -> None:
            async with LoyaltyClient(live.url, live.api_key) as client:
                for sale_id in ids[:delivered]:
                    outbox.confirm(sale_id, (await client.record_sale(sale_id, outbox_body(outbox, sale_id))).document)

        asyncio.run(deliver())
    outbox.close()
    return ids


def outbox_body(outbox: Outbox, sale_id: str) -> dict:
    return next(s.body for s in outbox.pending_heads() if s.sale_id == sale_id)


def overwrite_pages(path: Path, *pages: int) -> None:
    with open(path, "r+b") as handle:
        for page in pages:
            handle.seek((page - 1) * PAGE)
            handle.write(bytes([0xA5]) * PAGE)


def on_the_service(live: RunningService, sale_ids: list[str]) -> set[str]:
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {live.api_key}"}) as api:
        return {sale_id for sale_id in sale_ids if api.get(f"/v1/sales/{sale_id}").status_code == 200}


def credited_twice(live: RunningService) -> list[tuple[str]]:
    with sqlite3.connect(Path(live.log_path).parent / "loyalty.db") as ledger:
        return ledger.execute(
            # A return's reversal is an 'earn' row too, with its points taken off.
            "SELECT sale_id FROM ledger WHERE sale_id IS NOT NULL AND kind = 'earn' AND delta > 0"
            " GROUP BY sale_id HAVING COUNT(*) > 1"
        ).fetchall()


def recover(path: Path, live: RunningService, tmp_path: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> str:
    code = cashier_tui(["recover-outbox", "--api-url", live.url, "--api-key", live.api_key,
                        "--data-dir", str(tmp_path / "data"), *flags, str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def test_a_sound_outbox_is_opened_as_it_is(tmp_path: Path) -> None:
    ids = outbox_with_sales(tmp_path / "outbox.db", None, count=3)
    opened = open_outbox(tmp_path / "outbox.db")
    assert opened.moved_aside is None and opened.notice is None
    assert opened.outbox.next_pending().sale_id == ids[0]


def test_damaged_pages_are_moved_aside_and_their_sales_delivered_once(
    live_service: RunningService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "till" / "outbox.db"
    path.parent.mkdir()
    ids = outbox_with_sales(path, live_service, delivered=6)
    overwrite_pages(path, 12, 13)  # some of the outbox's rows; page 1 (the schema) is intact
    damaged = path.read_bytes()

    opened = open_outbox(path, now=lambda: AT)
    assert opened.moved_aside == path.with_name("outbox.damaged-20261122T100000Z.db")
    assert opened.moved_aside.read_bytes() == damaged  # kept as it was, never deleted or "repaired"
    assert "malformed" in opened.problem and "recover-outbox" in opened.notice
    fresh = opened.outbox  # a new, empty file where the old one was: selling goes on
    assert fresh.pending_count() == 0 and fresh.integrity_ok()
    queue_sale(fresh, str(uuid.uuid4()), ALICE)
    assert fresh.pending_count() == 1

    found = salvage(opened.moved_aside)
    assert 20 <= len(found.sales) < len(ids) - 6  # part of it can be read, part is gone
    assert set(found.sales) <= set(ids[6:])  # the confirmed ones are known to be on the service

    out = recover(opened.moved_aside, live_service, tmp_path, capsys)
    assert f"delivered {len(found.sales)}, already there 0, refused 0, not sent 0," in out
    assert on_the_service(live_service, ids) == set(ids[:6]) | set(found.sales)

    again = recover(opened.moved_aside, live_service, tmp_path, capsys)  # safe to run twice
    assert f"delivered 0, already there {len(found.sales)}, refused 0, not sent 0," in again
    assert credited_twice(live_service) == []
    assert opened.moved_aside.read_bytes() == damaged


def test_a_garbage_first_page_is_moved_aside_and_the_sales_still_found(
    live_service: RunningService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "outbox.db"
    ids = outbox_with_sales(path, live_service, count=20, delivered=2)
    overwrite_pages(path, 1)  # SQLite cannot open it at all: "file is not a database"
    with pytest.raises(Exception, match="not a database"):
        Outbox(path)

    opened = open_outbox(path, now=lambda: AT)
    assert opened.moved_aside is not None and opened.moved_aside.exists() and "not a database" in opened.problem
    assert open_outbox(path).moved_aside is None  # the fresh one is sound at the next start

    found = salvage(opened.moved_aside)
    assert found.whole_file_unreadable and found.from_raw_bytes == len(found.sales)
    # Every sale still queued is found; the two delivered ones may linger in freed space (the
    # raw scan cannot know they were confirmed): the service answers those as replays.
    assert set(ids[2:]) <= set(found.sales) <= set(ids)
    replays = len(found.sales) - 18
    out = recover(opened.moved_aside, live_service, tmp_path, capsys)
    assert f"delivered 18, already there {replays}, refused 0, not sent 0," in out
    assert on_the_service(live_service, ids) == set(ids)
    again = recover(opened.moved_aside, live_service, tmp_path, capsys)
    assert f"delivered 0, already there {len(found.sales)}," in again
    assert credited_twice(live_service) == []


def queue_return(outbox: Outbox, sale_id: str, account_id: str) -> str:
    """One flat white of ``sale_id`` returned, queued as the till queues it."""
    return_id = str(uuid.uuid4())
    assert outbox.record_return(
        return_id, sale_id=sale_id, account_id=account_id, completed_at="2026-11-22T10:05:00Z", refund=310,
        journal={"lines": [{"line": 0, "sku": "1001", "quantity": 1, "refund_amount": 310}]},
        body={"lines": [{"sku": "1001", "quantity": 1}], "store_id": "demo-store", "terminal_id": "till-1"},
    )
    return return_id


def test_returns_and_sales_without_a_customer_are_delivered_once_after_the_sales(
    live_service: RunningService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "outbox.db"
    first, second = outbox_with_sales(path, live_service, count=2, delivered=1)  # Alice's delivered, Ben's not
    outbox = Outbox(path)
    returns = [queue_return(outbox, first, ALICE), queue_return(outbox, second, BEN)]
    anonymous = queue_anonymous(outbox)
    nowhere = str(uuid.uuid4())  # a sale the service never had: its return is refused, and said to be a return
    stray = queue_return(outbox, nowhere, CHLOE)
    outbox.close()
    opened = open_outbox(path)
    assert opened.moved_aside is None
    opened.outbox.close()

    found = salvage(path)
    assert [(s.kind, s.return_of) for s in found.sales.values()] == [
        ("sale", None), ("return", first), ("return", second), ("anonymous", None), ("return", nowhere)]

    # A file whose returns were entered again by hand (as earlier versions said to): returns listed, not sent.
    held = recover(path, live_service, tmp_path, capsys, "--no-returns")
    assert "delivered 2, already there 0, refused 0, not sent 0," in held
    assert f"held back (--no-returns): return {returns[1]} of sale {second}" in held
    with httpx.Client(base_url=live_service.url, headers={"Authorization": f"Bearer {live_service.api_key}"}) as api:
        assert api.get(f"/v1/sales/{first}/returns").json()["returns"] == []

        out = recover(path, live_service, tmp_path, capsys)
        # Ben's sale went before the returns, the return of it included; each once.
        assert "delivered 2, already there 2, refused 1, not sent 0," in out
        assert f"refused: return {stray} of sale {nowhere}: " in out
        for sale_id, return_id in zip((first, second), returns):
            assert [r["return_id"] for r in api.get(f"/v1/sales/{sale_id}/returns").json()["returns"]] == [return_id]

    again = recover(path, live_service, tmp_path, capsys)
    assert "delivered 0, already there 4, refused 1, not sent 0," in again
    with sqlite3.connect(Path(live_service.log_path).parent / "loyalty.db") as ledger:
        assert ledger.execute("SELECT sale_id FROM anonymous_sales").fetchall() == [(anonymous,)]
        assert ledger.execute("SELECT COUNT(*) FROM sale_returns").fetchone() == (2,)
    assert credited_twice(live_service) == []


def test_moved_aside_names_never_overwrite_an_earlier_one(tmp_path: Path) -> None:
    for n in range(2):
        (tmp_path / "outbox.db").write_bytes(b"not a database at all" * 300)
        opened = open_outbox(tmp_path / "outbox.db", now=lambda: AT)
        opened.outbox.close()
    names = sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name)
    assert names == ["outbox.damaged-20261122T100000Z-2.db", "outbox.damaged-20261122T100000Z.db"]
