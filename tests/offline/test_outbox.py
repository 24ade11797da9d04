"""The till's sales file: atomic, durable, ordered, and only emptied by confirmations."""

import sqlite3
from pathlib import Path

import pytest

from pos_core.outbox import Outbox, OutboxError


def body(sale_id: str, account: str = "acc_1") -> dict:
    return {"account_id": account, "store_id": "s", "terminal_id": "t", "currency": "GBP", "lines": [], "rewards": [],
            "tender": [], "sale_id_for_test": sale_id}


def record(outbox: Outbox, sale_id: str, *, account: str | None = "acc_1", points: int = 5) -> bool:
    return outbox.record_completed(
        sale_id, completed_at="2026-11-22T10:00:00Z", total=100, journal={"lines": []}, account_id=account,
        body=body(sale_id, account) if account else None, points_expected=points,
    )


def test_sales_queue_in_order_and_leave_only_when_confirmed(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    for n in range(3):
        assert record(outbox, f"s{n}")
    assert not record(outbox, "s1")  # the same sale twice changes nothing
    assert record(outbox, "anonymous", account=None)
    assert outbox.pending_count() == 3
    assert outbox.pending_points("acc_1") == 15
    assert outbox.next_pending().sale_id == "s0"
    outbox.retry_later("s0", at=0, error="offline")
    assert outbox.next_pending().attempts == 1  # still first: order is kept through failures
    outbox.confirm("s0", {"points_earned": 5})
    assert outbox.next_pending().sale_id == "s1"
    assert outbox.loyalty_answer("s0") == {"points_earned": 5}
    outbox.set_aside("s1", "refused: reward not available")
    assert outbox.next_pending().sale_id == "s2"
    assert [(s.sale_id, s.reason) for s in outbox.set_aside_sales()] == [("s1", "refused: reward not available")]
    assert outbox.pending_count() == 1 and outbox.integrity_ok()


def test_a_recorded_sale_survives_the_process(tmp_path: Path) -> None:
    first = Outbox(tmp_path / "outbox.db")
    record(first, "s0")
    # No close(): as if the process died right after the commit.
    again = Outbox(tmp_path / "outbox.db")
    assert again.next_pending().sale_id == "s0"
    db = sqlite3.connect(tmp_path / "outbox.db")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sale_and_outbox_row_are_one_transaction(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    bad = body("s0")
    del bad["account_id"]  # the outbox insert fails after the sale row was written
    with pytest.raises(KeyError):
        outbox.record_completed("s0", completed_at="x", total=1, journal={}, account_id="acc_1", body=bad)
    assert not outbox.is_recorded("s0") and outbox.pending_count() == 0


def test_a_damaged_outbox_is_refused_and_never_thrown_away(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    damaged = b"SQLite format 3\x00" + b"\xff" * 4096
    path.write_bytes(damaged)
    with pytest.raises(OutboxError, match="cannot open"):
        Outbox(path)
    assert path.read_bytes() == damaged  # the sales in it may still be recovered by hand
