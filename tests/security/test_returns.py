"""Issue 13, returns: a return that is late, or refunds a lot, needs a manager's PIN, checked on
the service; wrong PINs count against the adjustments' limit; a till's everyday return needs none.
Each case against a real service on both databases."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from pos_core.embedded_service import RunningService
from tests.service.api_calls import ALICE_ID, balance, error_code, line, post_sale, sale_body
from tests.service.stored import execute, rows
from tests.service.test_chain_security import add_key, keyed
from tests.service.test_events import MANAGER_PIN, adjust

CHLOE_ID = "acc_4fbd1e48ddc1"


def give_back(client: httpx.Client, sale_id: str, key: str | None = None, **body: Any) -> httpx.Response:
    return client.post(f"/v1/sales/{sale_id}/returns", json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def wine_sale(client: httpx.Client, bottles: int, **where: str) -> dict[str, Any]:
    """Bottles of wine at 8.99, by card: seven of them refund 62.93, above the demo's 50.00."""
    answer = post_sale(client, {**sale_body(client, CHLOE_ID, [line(client, "1031", bottles)]), **where})
    assert answer.status_code == 201, answer.text
    return answer.json()


def returned(client: httpx.Client, sale_id: str) -> list[dict[str, Any]]:
    return client.get(f"/v1/sales/{sale_id}/returns").json()["returns"]


def test_a_refund_above_return_pin_above_needs_a_manager_and_a_replay_does_not(api: httpx.Client) -> None:
    sale = wine_sale(api, 7)
    before = balance(api, CHLOE_ID)
    missing = give_back(api, sale["sale_id"])
    assert error_code(missing) == (403, "manager_pin_required")
    assert "GBP 50.00" in missing.json()["error"]["message"]
    assert error_code(give_back(api, sale["sale_id"], manager_pin="0000")) == (403, "wrong_manager_pin")
    assert (returned(api, sale["sale_id"]), balance(api, CHLOE_ID)) == ([], before)  # nothing moved
    key = str(uuid.uuid4())
    approved = give_back(api, sale["sale_id"], key, manager_pin=MANAGER_PIN, manager_id="mgr_demo")
    assert approved.status_code == 201, approved.text
    answer = approved.json()
    assert (answer["refund_amount"], answer["approved_by"]) == (6293, "Demo manager")
    assert answer["refunds"] == [{"method": "card", "amount": 6293}]
    # The till's outbox resends without the PIN: the same return, nothing twice.
    again = give_back(api, sale["sale_id"], key)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == answer


def test_a_return_after_return_days_needs_a_manager(api: httpx.Client, live_db: Path | str) -> None:
    sale = wine_sale(api, 1)
    old = (datetime.now(UTC) - timedelta(days=31)).isoformat(timespec="seconds").replace("+00:00", "Z")
    stored = json.loads(rows(live_db, "SELECT answer FROM sales WHERE sale_id = ?", (sale["sale_id"],))[0][0])
    execute(live_db, "UPDATE sales SET answer = ?, created_at = ? WHERE sale_id = ?",
            (json.dumps({**stored, "created_at": old}), old, sale["sale_id"]))
    late = give_back(api, sale["sale_id"])
    assert error_code(late) == (403, "manager_pin_required")
    assert "30 days" in late.json()["error"]["message"]
    done = give_back(api, sale["sale_id"], manager_pin=MANAGER_PIN)
    assert done.status_code == 201 and done.json()["refund_amount"] == 899


def test_wrong_return_pins_count_with_adjustments_wrong_pins(api: httpx.Client) -> None:
    sale = wine_sale(api, 7)
    for _ in range(3):
        assert error_code(give_back(api, sale["sale_id"], manager_pin="0000")) == (403, "wrong_manager_pin")
    for _ in range(2):
        assert error_code(adjust(api, ALICE_ID, 5, manager_pin="0000")) == (403, "wrong_manager_pin")
    # Five wrong in the window: the right PIN is not even tried, on either route.
    assert error_code(give_back(api, sale["sale_id"], manager_pin=MANAGER_PIN)) == (429, "rate_limited")
    assert error_code(adjust(api, ALICE_ID, 5)) == (429, "rate_limited")
    assert returned(api, sale["sale_id"]) == []


def test_a_till_key_returns_its_everyday_sale_with_no_pin(live_service: RunningService, live_db: Path | str) -> None:
    key = add_key(live_db, "demo-store", "till-9")
    with keyed(live_service, key) as till:
        sale = wine_sale(till, 2)
        answer = give_back(till, sale["sale_id"])
        assert answer.status_code == 201, answer.text
        assert (answer.json()["refund_amount"], answer.json()["approved_by"]) == (1798, None)
        assert answer.json()["refunds"] == [{"method": "card", "amount": 1798}]
        big = wine_sale(till, 7)
        assert error_code(give_back(till, big["sale_id"])) == (403, "manager_pin_required")
        assert give_back(till, big["sale_id"], manager_pin=MANAGER_PIN).status_code == 201
