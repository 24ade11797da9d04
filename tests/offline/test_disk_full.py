"""A full disk, for real (SQLite's max_page_count caps the file where it stands): the customer
cache goes on answering what it can and never fails a lookup; an outbox write that fails says
the sale is not finished, and the outbox (and its sender) work again once there is room."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

import pytest

from pos_core.customer_cache import CustomerCache
from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient
from pos_core.outbox import Outbox, OutboxError
from pos_core.outbox_sender import Backoff, OutboxSender, SenderStatus
from tests.offline.demo_sales import ALICE, BEN, queue_sale, until

SUMMARY = {"account_id": "acc_1", "display_name": "Alice S.", "currency": "GBP", "balance": 640,
           "balance_as_of": "2026-11-22T10:00:00Z", "tier": None, "next_reward": None, "rewards_available": []}
PHONE = "+442079460001"


def fill_the_disk(conn) -> int:
    """No page beyond those the file has now: the next write that needs one fails "full"."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    return pages


def make_room(conn) -> None:
    conn.execute("PRAGMA max_page_count = 1073741823")


def test_the_cache_on_a_full_disk_answers_what_it_has(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = CustomerCache(tmp_path / "cache.db")
    cache.remember("phone", PHONE, SUMMARY)
    fill_the_disk(cache._conn)
    big = {**SUMMARY, "display_name": "B" * 20000}
    with caplog.at_level(logging.WARNING, logger="pos_core.customer_cache"):
        for n in range(20):  # enough new customers that the file must grow
            cache.remember("phone", f"+44207946{n:04d}", {**big, "account_id": f"acc_{n + 2}"})
        cache.remember_document("catalog", {"products": ["x" * 20000]})
        cache.update_balance("acc_1", 700, "2026-11-22T11:00:00Z")  # may fit: either way, no error
    assert "database or disk is full" in caplog.text
    assert PHONE not in caplog.text and "2079460001" not in caplog.text and "Alice" not in caplog.text
    assert cache.recall("phone", PHONE).document["display_name"] == "Alice S."  # still answered
    assert cache.recall("phone", "+442079460005") is None
    assert cache.recall_document("catalog") is None

    make_room(cache._conn)  # space is back: the cache takes writes again
    cache.remember("phone", "+442079460005", {**SUMMARY, "account_id": "acc_7"})
    assert cache.recall("phone", "+442079460005").document["account_id"] == "acc_7"


def test_an_outbox_write_on_a_full_disk_fails_the_sale_and_the_outbox_recovers(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    first = queue_sale(outbox, str(uuid.uuid4()), ALICE)
    fill_the_disk(outbox._conn)
    refused = 0
    with pytest.raises(OutboxError, match="disk is full"):
        for _ in range(200):  # until a write needs a page the disk does not have
            queue_sale(outbox, str(uuid.uuid4()), BEN)
            refused += 1
    waiting = outbox.pending_count()
    assert waiting == refused + 1  # the failed sale left nothing behind: it is not done
    assert outbox.next_pending().sale_id == first  # reading still works

    make_room(outbox._conn)
    later = queue_sale(outbox, str(uuid.uuid4()), BEN)
    assert outbox.is_recorded(later) and outbox.pending_count() == waiting + 1


async def test_the_sender_survives_a_full_disk_and_confirms_once_there_is_room(
    live_service: RunningService, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(live_service.url, live_service.api_key)
    statuses: list[SenderStatus] = []
    sender = OutboxSender(outbox, client, backoff=Backoff(first=0.02, longest=0.1), on_status=statuses.append,
                          storage_retry=0.05)
    for n in range(30):
        queue_sale(outbox, str(uuid.uuid4()), (ALICE, BEN)[n % 2])
    # The confirmations need pages too (answers are kept): the disk fills while delivering.
    fill_the_disk(outbox._conn)
    running = asyncio.create_task(sender.run())
    try:
        await until(lambda: bool(statuses) and statuses[-1].storage_error is not None, what="a storage error shown")
        assert "disk is full" in statuses[-1].storage_error
        assert not running.done()  # the worker is alive
        make_room(outbox._conn)
        await until(lambda: outbox.pending_count() == 0, what="everything confirmed")
        await until(lambda: statuses[-1].storage_error is None, what="the storage error cleared")
    finally:
        running.cancel()
        await client.aclose()
