"""A digital receipt's page on a real service, both databases: ``GET /r/{token}`` shows only its
sale (no other customer's products, no name), escapes a hostile product name, sends the security
headers, shows a return; an unknown token is a plain 404; the survey asks the question tied to a
category only of a sale with it; answers are stored once with the store, till, cashier and SKUs,
and an answer not among the choices is refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loyalty_service.staff import DEMO_STAFF
from pos_core.embedded_service import start_service
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, error_code, line, post_sale, sale_body
from tests.service.conftest import BACKENDS, client_for, fresh_database
from tests.service.stored import rows
from tests.service.test_chain_security import add_key
from tests.service.test_referrals import BEN_ID
from tests.service.test_returns import give_back
from tests.service_fork_server import run_service_command

HOSTILE = "<img src=x onerror=alert(1)> Loaf"
CASHIER = DEMO_STAFF[0][0]


@pytest.fixture(scope="module", params=BACKENDS)
def page_service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[httpx.Client, Path | str]]:
    """A service with --public-url shared by the module's tests; each makes sales of its own."""
    folder = tmp_path_factory.mktemp("receipt-page")
    db = fresh_database(request.param, folder, request)
    with start_service(db_path=db, api_key=TEST_API_KEY, log_path=folder / "service.log",
                       extra_args=("--public-url", "http://receipts.test")) as service, client_for(service) as api:
        yield api, db


def keyed_till(db: Path | str, api: httpx.Client) -> httpx.Client:
    return httpx.Client(base_url=str(api.base_url), headers={"Authorization": f"Bearer {add_key(db, 'demo-store', 'till-5')}"})


def receipt(api: httpx.Client, account_id: str, lines: list[dict]) -> tuple[str, str]:
    """(the sale id, its page's path)."""
    key = str(uuid.uuid4())
    answer = post_sale(api, sale_body(api, account_id, lines) | {"cashier_id": CASHIER}, key).json()
    return key, answer["digital_receipt"]["url"].removeprefix("http://receipts.test")


def test_the_page_shows_its_sale_only_escaped_with_the_security_headers(
    page_service: tuple[httpx.Client, Path | str]
) -> None:
    api, _ = page_service
    _, page = receipt(api, ALICE_ID, [line(api, "1005") | {"name": HOSTILE}, line(api, "1001", 2)])
    receipt(api, BEN_ID, [line(api, "1011") | {"name": "Ben's own cheddar"}])
    shown = api.get(page, headers={"Authorization": ""})  # no key needed
    assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/html")
    html = shown.text
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt; Loaf" in html
    assert "demo-store" in html and "2 × Flat white" in html and "GBP 6.20" in html
    assert "Points earned:" in html and "Balance after this sale:" in html
    assert "Ben's own cheddar" not in html and "Alice" not in html and "Ben" not in html
    assert "<script" not in html
    headers = shown.headers
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert (headers["referrer-policy"], headers["x-content-type-options"], headers["x-frame-options"]) == (
        "no-referrer", "nosniff", "DENY")
    missing = api.get("/r/" + "A" * 32)
    assert missing.status_code == 404 and "There is no receipt at this address." in missing.text
    assert "demo-store" not in missing.text
    assert api.post("/r/" + "A" * 32, data={"visit": "Great"}).status_code == 404


def test_a_returned_sale_says_so_on_its_page(page_service: tuple[httpx.Client, Path | str]) -> None:
    api, _ = page_service
    sale_id, page = receipt(api, ALICE_ID, [line(api, "1005")])
    assert "Returned" not in api.get(page).text
    assert give_back(api, sale_id).status_code == 201
    assert "refunded." in api.get(page).text and "Returned " in api.get(page).text


def test_the_survey_asks_the_tied_question_first_and_only_of_a_sale_it_fits(
    page_service: tuple[httpx.Client, Path | str]
) -> None:
    api, _ = page_service
    _, bakery = receipt(api, ALICE_ID, [line(api, "1005")])
    _, drinks = receipt(api, ALICE_ID, [line(api, "1001")])
    with_bread = api.get(bakery).text
    assert with_bread.index("Was the bread fresh?") < with_bread.index("How was your visit today?")
    without = api.get(drinks).text
    assert "Was the bread fresh?" not in without and "How was your visit today?" in without


def test_answers_are_stored_once_with_the_sale_s_store_till_cashier_and_skus(
    page_service: tuple[httpx.Client, Path | str]
) -> None:
    api, db = page_service
    sale_id, page = receipt(api, ALICE_ID, [line(api, "1005"), line(api, "1001")])
    refused = api.post(page, data={"bread-fresh": "Yes", "visit": "Meh"})
    assert refused.status_code == 400 and "not one of the choices" in refused.text
    assert api.post(page, data={"smell": "Yes"}).status_code == 400  # a question it does not ask
    assert rows(db, "SELECT 1 FROM survey_answers WHERE sale_id = ?", (sale_id,)) == []
    first = api.post(page, data={"bread-fresh": "Yes", "visit": "Could be better"})
    assert first.status_code == 200 and "Thank you for your answers" in first.text
    again = api.post(page, data={"bread-fresh": "No", "visit": "Great"})
    assert again.status_code == 200 and "Thank you, already answered" in again.text
    stored = rows(db, "SELECT question_id, answer, store_id, terminal_id, cashier_id, skus FROM survey_answers"
                      " WHERE sale_id = ? ORDER BY question_id", (sale_id,))
    assert [(q, a, s, t, c, json.loads(k)) for q, a, s, t, c, k in stored] == [
        ("bread-fresh", "Yes", "demo-store", "till-9", CASHIER, ["1001", "1005"]),
        ("visit", "Could be better", "demo-store", "till-9", CASHIER, ["1001", "1005"]),
    ]
    shown = api.get(page).text
    assert "Thank you for your answers." in shown and "<form" not in shown


def test_head_office_reads_the_answers_counted_per_question_answer_and_store(
    page_service: tuple[httpx.Client, Path | str]
) -> None:
    api, db = page_service
    store = f"survey-{uuid.uuid4().hex[:8]}"
    for answers in ({"bread-fresh": "No", "visit": "Great"}, {"bread-fresh": "No"}, {"visit": "Good"}):
        key = str(uuid.uuid4())
        body = sale_body(api, ALICE_ID, [line(api, "1005")]) | {"store_id": store}
        page = post_sale(api, body, key).json()["digital_receipt"]["url"].removeprefix("http://receipts.test")
        assert api.post(page, data=answers).status_code == 200
    report = api.get("/v1/reports/survey", params={"store_id": store}).json()  # today, where the programme is
    assert set(report) == {"from", "to", "rows"} and report["from"] == report["to"]
    assert [(r["question_id"], r["answer"], r["count"]) for r in report["rows"]] == [
        ("bread-fresh", "Yes", 0), ("bread-fresh", "No", 2),
        ("visit", "Great", 1), ("visit", "Good", 1), ("visit", "Could be better", 0)]
    assert report["rows"][0]["question"] == "Was the bread fresh?"
    long_ago = api.get("/v1/reports/survey", params={"store_id": store, "from": "2001-01-01", "to": "2001-12-31"})
    assert {r["count"] for r in long_ago.json()["rows"]} == {0}
    assert error_code(api.get("/v1/reports/survey", params={"from": "yesterday"})) == (422, "invalid_request")
    assert error_code(api.get("/v1/reports/survey", params={"from": "2001-01-02", "to": "2001-01-01"})) == (
        422, "invalid_period")
    with keyed_till(db, api) as till:
        # A till reads its own store's answers only with a manager's PIN, as every report (report_access.py).
        assert error_code(till.get("/v1/reports/survey")) == (403, "manager_pin_required")


def test_a_store_manager_reads_its_own_stores_answers_and_the_command_prints_them(
    page_service: tuple[httpx.Client, Path | str]
) -> None:
    api, db = page_service
    store = f"survey-{uuid.uuid4().hex[:8]}"
    body = sale_body(api, ALICE_ID, [line(api, "1005")]) | {"store_id": store}
    page = post_sale(api, body, str(uuid.uuid4())).json()["digital_receipt"]["url"].removeprefix("http://receipts.test")
    assert api.post(page, data={"bread-fresh": "Yes"}).status_code == 200
    made = run_service_command("add-key", "--db", str(db), "--role", "manager", "--store", store)
    assert made.returncode == 0, made.stderr
    manager = httpx.Client(base_url=str(api.base_url), headers={"Authorization": f"Bearer {json.loads(made.stdout)['key']}"})
    with manager:
        mine = manager.get("/v1/reports/survey")  # its own store, without naming it
        assert mine.status_code == 200
        assert [(r["question_id"], r["answer"], r["count"]) for r in mine.json()["rows"]][:2] == [
            ("bread-fresh", "Yes", 1), ("bread-fresh", "No", 0)]
        assert error_code(manager.get("/v1/reports/survey", params={"store_id": "another"})) == (403, "other_store")
    printed = run_service_command("report", "--db", str(db), "survey", "--store", store, "--format", "csv")
    assert printed.returncode == 0, printed.stderr
    assert "bread-fresh,Was the bread fresh?,Yes,1" in printed.stdout.splitlines()

