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
    outbox.retry_later("s0", "offline")
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


def test_every_commit_that_records_a_sale_is_synced_while_the_sender_confirms(tmp_path: Path) -> None:
    """Sales recorded while the sender confirms others in a tight loop: each one commits with
    synchronous=FULL (2), so each is fsync'd before the cashier is told "done"."""
    import threading

    outbox = Outbox(tmp_path / "outbox.db")
    seen: list[int] = []

    def watch(statement: str) -> None:
        # Runs on the recording thread, inside record_completed's own transaction.
        if statement.startswith("INSERT INTO completed_sales"):
            seen.append(outbox._conn.execute("PRAGMA synchronous").fetchone()[0])

    outbox._conn.set_trace_callback(watch)
    confirming, recorded = threading.Event(), threading.Event()

    def confirm_in_a_loop() -> None:
        n = 0
        while not recorded.is_set():
            outbox.confirm(f"s{n % 300}", {"points_earned": 5})
            n += 1
            confirming.set()

    confirmer = threading.Thread(target=confirm_in_a_loop)
    confirmer.start()
    try:
        assert confirming.wait(10)
        for n in range(300):
            record(outbox, f"s{n}")
    finally:
        recorded.set()
        confirmer.join()
    assert len(seen) == 300
    assert set(seen) == {2}, f"{seen.count(1)} of 300 sales committed without an fsync"


def test_a_file_from_before_the_stuck_columns_opens_and_keeps_its_sales(tmp_path: Path) -> None:
    old = sqlite3.connect(tmp_path / "outbox.db")
    old.executescript("""
        CREATE TABLE completed_sales (sale_id TEXT PRIMARY KEY, completed_at TEXT NOT NULL, account_id TEXT,
            total INTEGER NOT NULL, journal TEXT NOT NULL, loyalty_answer TEXT);
        CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT,
            sale_id TEXT NOT NULL UNIQUE REFERENCES completed_sales(sale_id), account_id TEXT NOT NULL,
            body TEXT NOT NULL, points_expected INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'set_aside')),
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0, last_error TEXT);
        INSERT INTO completed_sales VALUES ('s0', 'x', 'acc_1', 100, '{}', NULL);
        INSERT INTO outbox (sale_id, account_id, body, points_expected, attempts, next_attempt_at)
            VALUES ('s0', 'acc_1', '{"account_id": "acc_1"}', 5, 3, 9999999999);
    """)
    old.close()
    outbox = Outbox(tmp_path / "outbox.db")
    assert outbox.next_pending().attempts == 3 and not outbox.next_pending().stuck
    assert outbox.retry_later("s0", "boom", status=500) == 1
    assert record(outbox, "s1") and [s.sale_id for s in outbox.pending_heads()] == ["s0"]
