"""Customers' data (issue 13, point 9), against a real service on both databases: an HQ key (or the
CLI) exports one customer's data and erases it; after erasure nothing the customer carried finds
the account, the points stay with it anonymously, and a till replaying the customer's sale from its
outbox credits nothing twice; marketing consent is withdrawn as a new consent row; sales' lines
older than the programme keeps them are pruned by the running service, and such a sale cannot be
returned."""

from __future__ import annotations

import json
import os
import re
import sqlite3  # an older database file, made by hand
import stat
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from loyalty_service import sale_line_retention
from loyalty_service.database import open_database
from loyalty_service.privacy import mask_card_numbers
from loyalty_service.schema import SCHEMA
from loyalty_service.sqlite_database import SqliteDatabase
from pos_core.embedded_service import RunningService, start_service
from pos_core.loyalty_client import LoyaltyClient
from pos_core.outbox import Outbox
from pos_core.outbox_sender import Backoff, OutboxSender
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, ALICE_PHONE, balance, error_code, identify, line, post_sale, sale_body
from tests.service.stored import everything_stored, execute, rows
from tests.service.test_chain_security import add_key, keyed, management
from tests.service.test_events import adjust
from tests.service.test_referrals import code_of
from tests.waiting import wait_until

# Alice's identifiers in the demo store (docs/demo-store.md).
ALICE_CARD, ALICE_QR, ALICE_NFC = "2991000000016", "LOYALTY:ZSKRIOZAAF25G5FS", "04F5117DF91705"
PAYMENT_CARD = "4111111111111111"  # a Luhn-valid test Visa number a careless import stored as a card
NORTH = {"store_id": "store-north", "terminal_id": "till-2"}


def add_hq_key(db: Path | str) -> str:
    result = management("add-key", "--db", str(db), "--role", "hq")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["key"]


def earn(till: httpx.Client, account_id: str, quantity: int = 3) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A sale at store-north's till-2 that only earns: (its id, the body sent, the answer)."""
    body = sale_body(till, account_id, [line(till, "1005", quantity), line(till, "1001")]) | NORTH
    sale_id = str(uuid.uuid4())
    answer = post_sale(till, body, sale_id)
    assert answer.status_code == 201, answer.text
    assert answer.json()["points_earned"] > 0
    return sale_id, body, answer.json()


def ledger(db: Path | str, account_id: str) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT delta, kind, sale_id FROM ledger WHERE account_id = ? ORDER BY id", (account_id,))


@pytest.fixture
def keys(live_service: RunningService, live_db: Path | str) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """(head office, store-north's till-2), each with a key from add-key."""
    with keyed(live_service, add_hq_key(live_db)) as hq, keyed(live_service, add_key(live_db, "store-north", "till-2")) as till:
        yield hq, till


# -- export -----------------------------------------------------------------------------------------


def test_head_office_exports_everything_held_about_a_customer_and_a_till_cannot(
    api: httpx.Client, keys: tuple[httpx.Client, httpx.Client], live_service: RunningService, live_db: Path | str
) -> None:
    hq, till = keys
    sale_id, _, _ = earn(till, ALICE_ID)
    returned = till.post(f"/v1/sales/{sale_id}/returns", json={"lines": [{"sku": "1001", "quantity": 1}]},
                         headers={"Idempotency-Key": str(uuid.uuid4())})
    assert returned.status_code == 201, returned.text
    assert adjust(api, ALICE_ID, 25, reason="Alice's birthday, rang the shop").status_code == 201
    execute(live_db, "INSERT INTO identifiers (method, value, account_id) VALUES ('card', ?, ?)",
            (PAYMENT_CARD, ALICE_ID))

    # A click & collect order of hers (head office posts as a web shop may), and a friend she referred.
    ordered = [line(till, "1005")]
    order = hq.post("/v1/orders", json={"order_id": "web-1001", "account_id": ALICE_ID, "store_id": "store-north",
                                        "currency": "GBP", "lines": ordered, "paid_total": ordered[0]["unit_price"]})
    assert order.status_code == 201, order.text
    friend = till.post("/v1/accounts", json={"phone": "020 7946 0777", "name": "Ria Patel", "referral_code":
                                             code_of(till, ALICE_ID), "consent": {"terms_version": "2026-01",
                                                                                  "marketing": False}})
    assert friend.status_code == 201, friend.text
    assert error_code(till.get(f"/v1/accounts/{ALICE_ID}/export")) == (403, "hq_only")
    with httpx.Client(base_url=live_service.url) as anonymous:
        assert anonymous.get(f"/v1/accounts/{ALICE_ID}/export").status_code == 401
    assert error_code(hq.get("/v1/accounts/acc_000000000000/export")) == (404, "not_found")

    answer = hq.get(f"/v1/accounts/{ALICE_ID}/export")
    assert answer.status_code == 200, answer.text
    assert PAYMENT_CARD not in answer.text
    export = answer.json()
    assert export["account"] | {"created_at": None} == {
        "account_id": ALICE_ID, "name": "Alice Smith", "phone": "+442079460001", "created_at": None, "erased_at": None,
        "email": None, "email_receipts": False}
    assert export["points"]["balance"] == balance(api, ALICE_ID)
    assert [(c["terms_version"], c["marketing"]) for c in export["consents"]] == [("2026-01", False)]
    assert all(c["recorded_at"] for c in export["consents"])
    assert {(i["method"], i["value"]) for i in export["identifiers"]} == {
        ("card", "•••• 0016"), ("card", "•••• 1111"), ("qr", ALICE_QR), ("nfc", ALICE_NFC)}
    assert [s["sale_id"] for s in export["sales"]] == [sale_id]
    assert [(item["sku"], item["quantity"]) for item in export["sales"][0]["lines"]] == [("1005", 3), ("1001", 1)]
    assert [(r["sale_id"], [item["sku"] for item in r["lines"]]) for r in export["returns"]] == [(sale_id, ["1001"])]
    assert [a["reason"] for a in export["adjustments"]] == ["Alice's birthday, rang the shop"]
    assert {(entry["kind"], entry["sale_id"]) for entry in export["ledger"]} >= {("earn", sale_id), ("adjust", None)}
    assert sum(entry["delta"] for entry in export["ledger"]) == export["points"]["balance"]
    assert {"reservations", "flags", "events", "exported_at"} <= set(export)
    assert [(o["order_id"], o["status"], [item["sku"] for item in o["body"]["lines"]]) for o in export["orders"]] == [
        ("web-1001", "open", ["1005"])]
    assert export["referral_code"] == code_of(till, ALICE_ID)
    assert [(r["role"], r["status"]) for r in export["referrals"]] == [("referrer", "pending")]
    assert friend.json()["account_id"] not in answer.text  # the friend's account is theirs, not hers


def test_the_cli_exports_by_phone_into_a_file_only_its_owner_reads(live_db: Path | str, tmp_path: Path) -> None:
    target = tmp_path / "alice.json"
    done = management("export-customer", "--db", str(live_db), "--phone", ALICE_PHONE, "--out", str(target))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert json.loads(target.read_text())["account"]["name"] == "Alice Smith"
    nobody = management("export-customer", "--db", str(live_db), "--phone", "020 7946 0999")
    assert nobody.returncode == 1 and "no account" in nobody.stderr


# -- erasure ----------------------------------------------------------------------------------------


async def test_an_erased_customer_is_found_by_nothing_and_their_points_add_up_as_before(
    api: httpx.Client, keys: tuple[httpx.Client, httpx.Client], live_service: RunningService, live_db: Path | str,
    tmp_path: Path,
) -> None:
    hq, till = keys
    qr_token = api.post(f"/v1/accounts/{ALICE_ID}/qr-token").json()["token"]
    # A till's outbox holds two of Alice's sales: the first reached the service but its answer was
    # lost (the till will send it again); the second was made offline and has not been sent yet.
    outbox = Outbox(tmp_path / "outbox.db")
    delivered_id, delivered_body, delivered = earn(till, ALICE_ID)
    offline_id = str(uuid.uuid4())
    offline_body = sale_body(till, ALICE_ID, [line(till, "1005")]) | NORTH
    for sale_id, body in ((delivered_id, delivered_body), (offline_id, offline_body)):
        assert outbox.record_completed(sale_id, completed_at="2026-11-22T10:00:00Z", total=0, journal={},
                                       account_id=ALICE_ID, body=body, points_expected=1)
    books = ledger(live_db, ALICE_ID)
    points_before = balance(api, ALICE_ID)
    all_points = rows(live_db, "SELECT COUNT(*), SUM(delta) FROM ledger")

    assert error_code(till.post(f"/v1/accounts/{ALICE_ID}/erase")) == (403, "hq_only")
    erased = hq.post(f"/v1/accounts/{ALICE_ID}/erase")
    assert erased.status_code == 200, erased.text
    assert erased.json() | {"erased_at": None} == {
        "account_id": ALICE_ID, "erased_at": None, "already_erased": False, "identifiers_removed": 3,
        "sales_stripped": 1, "events_removed": erased.json()["events_removed"], "balance": points_before}
    again = hq.post(f"/v1/accounts/{ALICE_ID}/erase").json()
    assert again["already_erased"] is True and again["erased_at"] == erased.json()["erased_at"]

    for client in (api, till):
        for method, value in (("phone", ALICE_PHONE), ("card", ALICE_CARD), ("nfc", ALICE_NFC), ("qr", ALICE_QR)):
            assert error_code(identify(client, method, value)) == (404, "unknown_customer"), (method, value)
    assert identify(api, "qr", qr_token).status_code == 404  # the app's signed token names the account
    assert error_code(api.post(f"/v1/accounts/{ALICE_ID}/qr-token")) == (404, "not_found")  # and no new one
    assert error_code(api.get(f"/v1/accounts/{ALICE_ID}")) == (404, "not_found")
    stored = everything_stored(live_db)
    for gone in (b"Alice Smith", b"+442079460001", ALICE_CARD.encode(), ALICE_QR.encode(), ALICE_NFC.encode()):
        assert gone not in stored, gone
    kept = api.get(f"/v1/sales/{delivered_id}").json()
    assert (kept["lines"], kept["breakdown"], kept["lines_removed"]) == ([], [], "erased")
    assert (kept["total"], kept["points_earned"]) == (delivered["total"], delivered["points_earned"])
    assert ledger(live_db, ALICE_ID) == books
    assert rows(live_db, "SELECT COUNT(*), SUM(delta) FROM ledger") == all_points

    # The till's outbox: the replay is answered as recorded (without lines), credits nothing; the
    # new sale is refused (404) and set aside for the cashier's office, not retried for ever.
    async with LoyaltyClient(live_service.url, till.headers["Authorization"].removeprefix("Bearer ")) as client:
        sender = OutboxSender(outbox, client, backoff=Backoff(first=0.02, longest=0.1))
        assert await sender.drain(timeout=20)
    answer = outbox.loyalty_answer(delivered_id)
    assert answer is not None and answer["lines_removed"] == "erased"
    assert answer["points_earned"] == delivered["points_earned"]
    assert [s.sale_id for s in outbox.set_aside_sales()] == [offline_id]
    assert ledger(live_db, ALICE_ID) == books
    replayed = post_sale(till, delivered_body, delivered_id)
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    assert error_code(post_sale(till, offline_body)) == (404, "not_found")
    assert error_code(till.post(f"/v1/sales/{delivered_id}/returns", headers={
        "Idempotency-Key": str(uuid.uuid4())})) == (409, "sale_lines_erased")

    # The same number enrols again as somebody new, with none of the old points.
    enrolled = till.post("/v1/accounts", json={
        "name": "Alice Smith", "phone": ALICE_PHONE, "consent": {"terms_version": "2026-01", "marketing": False}})
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["account_id"] != ALICE_ID and enrolled.json()["balance"] == 0
    assert identify(till, "phone", ALICE_PHONE).json()["account_id"] == enrolled.json()["account_id"]


def test_the_cli_erases_by_phone_only_when_told_yes(api: httpx.Client, live_db: Path | str) -> None:
    refused = management("erase-customer", "--db", str(live_db), "--phone", ALICE_PHONE)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert identify(api, "phone", ALICE_PHONE).status_code == 200
    done = management("erase-customer", "--db", str(live_db), "--phone", ALICE_PHONE, "--yes")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["account_id"] == ALICE_ID
    assert error_code(identify(api, "card", ALICE_CARD)) == (404, "unknown_customer")
    again = management("erase-customer", "--db", str(live_db), "--account", ALICE_ID, "--yes")
    assert again.returncode == 0 and json.loads(again.stdout)["already_erased"] is True
    assert rows(live_db, "SELECT name, phone FROM accounts WHERE account_id = ?", (ALICE_ID,)) == [
        ("", f"erased:{ALICE_ID}")]


# -- marketing consent ------------------------------------------------------------------------------


def test_marketing_consent_is_withdrawn_as_a_new_consent_row_by_a_till_head_office_or_the_cli(
    keys: tuple[httpx.Client, httpx.Client], live_db: Path | str
) -> None:
    hq, till = keys
    customers = []
    for number in ("020 7946 0901", "020 7946 0902", "020 7946 0903"):
        enrolled = till.post("/v1/accounts", json={
            "name": "Pat Doe", "phone": number, "consent": {"terms_version": "2026-01", "marketing": True}})
        assert enrolled.status_code == 201, enrolled.text
        customers.append(enrolled.json()["account_id"])
    at_till, by_hq, by_cli = customers

    withdrawn = till.post(f"/v1/accounts/{at_till}/withdraw-marketing")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json() | {"recorded_at": None} == {
        "account_id": at_till, "terms_version": "2026-01", "marketing": False, "recorded_at": None,
        "store_id": "store-north", "terminal_id": "till-2", "recorded": True}
    assert till.post(f"/v1/accounts/{at_till}/withdraw-marketing").json()["recorded"] is False
    assert error_code(till.post(f"/v1/accounts/{at_till}/withdraw-marketing", json={"store_id": "store-south"})) == (
        403, "wrong_terminal")
    assert hq.post(f"/v1/accounts/{by_hq}/withdraw-marketing").json()["terminal_id"] == "hq"
    done = management("withdraw-marketing", "--db", str(live_db), "--phone", "020 7946 0903")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["recorded"] is True

    for account_id, where in ((at_till, ("store-north", "till-2")), (by_hq, (None, "hq")), (by_cli, (None, "cli"))):
        assert rows(live_db, "SELECT terms_version, marketing, store_id, terminal_id FROM consents"
                             " WHERE account_id = ? ORDER BY id", (account_id,)) == [
            ("2026-01", 1, "store-north", "till-2"), ("2026-01", 0, *where)]
    assert error_code(hq.post("/v1/accounts/acc_000000000000/withdraw-marketing")) == (404, "not_found")


# -- pruning old sales' lines -----------------------------------------------------------------------


def test_the_running_service_prunes_the_lines_of_old_sales_and_keeps_their_totals_and_points(
    api: httpx.Client, keys: tuple[httpx.Client, httpx.Client], live_db: Path | str, tmp_path: Path
) -> None:
    _, till = keys
    old_id, old_body, old = earn(till, ALICE_ID)
    new_id, _, _ = earn(till, ALICE_ID, quantity=1)
    # Twenty-five months ago, as far as the database knows; the programme keeps lines for 24.
    execute(live_db, "UPDATE sales SET created_at = '2024-10-01T09:00:00Z' WHERE sale_id = ?", (old_id,))
    books = ledger(live_db, ALICE_ID)
    points_before = balance(api, ALICE_ID)

    # A service started now prunes at once (and then hourly).
    with start_service(db_path=live_db, api_key=TEST_API_KEY, log_path=tmp_path / "second.log") as second:
        with httpx.Client(base_url=second.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}) as client:
            pruned = wait_until(lambda: (s := client.get(f"/v1/sales/{old_id}").json())["lines_removed"] and s,
                                timeout=30, what="the old sale's lines to be pruned")
    assert (pruned["lines"], pruned["breakdown"], pruned["lines_removed"]) == ([], [], "pruned")
    assert {key: pruned[key] for key in ("total", "subtotal", "points_earned", "tender", "balance")} == {
        key: old[key] for key in ("total", "subtotal", "points_earned", "tender", "balance")}
    recent = api.get(f"/v1/sales/{new_id}").json()
    assert recent["lines_removed"] is None and len(recent["lines"]) == 2
    assert ledger(live_db, ALICE_ID) == books and balance(api, ALICE_ID) == points_before

    refused = till.post(f"/v1/sales/{old_id}/returns", headers={"Idempotency-Key": str(uuid.uuid4())})
    assert error_code(refused) == (409, "sale_lines_pruned")
    replayed = post_sale(till, old_body, old_id)
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json()["lines_removed"] == "pruned" and ledger(live_db, ALICE_ID) == books
    assert api.get(f"/v1/accounts/{ALICE_ID}/sales").json()["sales"][-1]["total"] == old["total"]

    # The CLI does the same on demand; there is nothing more to prune.
    done = management("prune-sale-lines", "--db", str(live_db))
    assert done.returncode == 0 and json.loads(done.stdout) == {"sales_pruned": 0}


def test_pruning_goes_through_every_old_sale_a_batch_at_a_time(
    service_db: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sale_line_retention, "BATCH", 2)
    database = open_database(service_db, pool_size=2)
    try:
        database.create_schema()
        with database.connection() as conn:
            conn.execute("INSERT INTO accounts (account_id, name, phone, created_at) VALUES ('acc_1', 'A B', '+1', 'x')")
            for number, created_at in enumerate(["2024-01-01T00:00:00Z"] * 5 + ["2026-11-30T23:00:00Z"]):
                answer = json.dumps({"sale_id": f"s{number}", "lines": [{"sku": "1"}], "breakdown": [{}], "total": 7})
                conn.execute("INSERT INTO sales (sale_id, request_hash, account_id, store_id, terminal_id, answer,"
                             " created_at) VALUES (?, 'h', 'acc_1', 's', 't', ?, ?)", (f"s{number}", answer, created_at))
            now = datetime(2026, 12, 1, tzinfo=UTC)
            assert sale_line_retention.prune(conn, 24, now) == 5
            assert sale_line_retention.prune(conn, 24, now) == 0
            kept = {row["sale_id"]: (json.loads(row["answer"]), row["lines_removed"])
                    for row in conn.execute("SELECT sale_id, answer, lines_removed FROM sales").fetchall()}
    finally:
        database.close()
    assert kept.pop("s5") == ({"sale_id": "s5", "lines": [{"sku": "1"}], "breakdown": [{}], "total": 7}, None)
    assert all(answer == {"sale_id": sale_id, "lines": [], "breakdown": [], "total": 7, "lines_removed": "pruned"}
               and removed == "pruned" for sale_id, (answer, removed) in kept.items())


@pytest.mark.parametrize(("moment", "months", "before"), [
    (datetime(2026, 12, 1, 9, tzinfo=UTC), 24, datetime(2024, 12, 1, 9, tzinfo=UTC)),
    (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
    (datetime(2026, 1, 15, tzinfo=UTC), 13, datetime(2024, 12, 15, tzinfo=UTC)),
    (datetime(2028, 2, 29, tzinfo=UTC), 12, datetime(2027, 2, 28, tzinfo=UTC)),
])
def test_months_back_are_calendar_months(moment: datetime, months: int, before: datetime) -> None:
    assert sale_line_retention.months_before(moment, months) == before


@pytest.mark.parametrize(("text", "shown"), [
    ("4111111111111111", "•••• 1111"),
    ("4111 1111 1111 1111", "•••• 1111"),
    ("LOYALTY:4111-1111-1111-1111", "LOYALTY:•••• 1111"),
    ("LOYALTY:ZSKRIOZAAF25G5FS", "LOYALTY:ZSKRIOZAAF25G5FS"),
    ("2991000000023", "2991000000023"),  # not Luhn-valid: no payment card
    ("12345", "12345"),
])
def test_an_export_never_gives_a_number_that_could_be_a_payment_card(text: str, shown: str) -> None:
    assert mask_card_numbers(text) == shown


def test_a_database_file_made_before_erasure_pruning_and_consent_places_gets_their_columns(tmp_path: Path) -> None:
    older = re.sub(r",\n    erased_at TEXT[^\n]*\n", "\n", SCHEMA)
    older = re.sub(r",\n    -- 'pruned'[^\n]*\n    lines_removed TEXT\n", "\n", older)
    older = re.sub(r",\n    -- 'given_at'[^\n]*\n    given_at TEXT\n", "\n", older)
    assert "erased_at" not in older and "lines_removed" not in older and "given_at" not in older
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(older)
        conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    database = SqliteDatabase(path)
    try:
        database.create_schema()
        with database.connection() as conn:
            columns = {(table, row["name"]) for table in ("accounts", "sales", "consents")
                       for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}
    finally:
        database.close()
    assert {("accounts", "erased_at"), ("sales", "lines_removed"), ("consents", "given_at")} <= columns
