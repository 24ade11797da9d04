"""Real sales of the demo store, queued in an outbox as the till queues them (for sender tests)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

from pos_core.outbox import ANONYMOUS, Outbox

ALICE, BEN, CHLOE = "acc_7f3a9c2e51d0", "acc_e48f54a256bf", "acc_4fbd1e48ddc1"
FLAT_WHITE = {"sku": "1001", "name": "Flat white", "category": "hot_drinks", "quantity": 1, "unit_price": 310}


def sale_body(account_id: str) -> dict:
    return {
        "account_id": account_id, "store_id": "demo-store", "terminal_id": "till-1", "currency": "GBP",
        "lines": [FLAT_WHITE], "rewards": [], "tender": [{"method": "card", "amount": 310}],
    }


def queue_sale(outbox: Outbox, sale_id: str, account_id: str) -> str:
    assert outbox.record_completed(
        sale_id, completed_at="2026-11-22T10:00:00Z", total=310, journal={"lines": [FLAT_WHITE]},
        account_id=account_id, body=sale_body(account_id), points_expected=3,
    )
    return sale_id


# A sale without a customer (POST /v1/anonymous-sales), as the till queues it: no name, no tender.
ANONYMOUS_BODY = {"store_id": "demo-store", "terminal_id": "till-1", "cashier_id": "c101", "currency": "GBP",
                  "lines": [{key: FLAT_WHITE[key] for key in ("sku", "category", "quantity", "unit_price")}],
                  "total": 310, "completed_at": "2026-11-22T10:00:00Z"}


def queue_anonymous(outbox: Outbox) -> str:
    sale_id = str(uuid.uuid4())
    assert outbox.record_completed(sale_id, completed_at="2026-11-22T10:00:00Z", total=310,
                                   journal={"lines": [FLAT_WHITE]}, body=ANONYMOUS_BODY, kind=ANONYMOUS)
    return sale_id


async def until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "the condition") -> float:
    """Wait until ``condition()`` holds (looking often); the seconds it took. Fails after ``timeout``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - start
