"""The digital-receipt contract on a real service, both databases: the enrolment's e-mail address
(validated, normalised, only ever masked to a till) and standing choice, and a sale's choice of an
e-mailed receipt (the account's, this sale's, another address) with the ``digital_receipt`` the
answer carries, the same on a replay, in a batch too."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from pos_core.embedded_service import start_service
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, error_code, identify, line, post_sale, sale_body
from tests.service.conftest import client_for
from tests.service.stored import rows
from tests.service.test_api import enrol

ADDRESS = "Jo.Smith@EXAMPLE.com"  # stored as Jo.Smith@example.com: the domain is normalised


def test_enrolment_keeps_the_address_normalised_and_shows_a_till_only_its_mask(
    api: httpx.Client, live_db: Path | str
) -> None:
    assert error_code(enrol(api, email="not an address")) == (422, "invalid_email")
    assert enrol(api, email="jo@").json()["error"]["details"] == [
        {"field": "email", "problem": "not a valid e-mail address"}]
    consent = {"terms_version": "2026-01", "marketing": False, "email_receipts": True}
    assert error_code(enrol(api, consent=consent)) == (422, "email_required")
    summary = enrol(api, email=f"  {ADDRESS} ", consent=consent)
    assert summary.status_code == 201
    assert (summary.json()["email_masked"], summary.json()["email_receipts"]) == ("J•••@example.com", True)
    found = identify(api, "phone", "020 7946 0999").json()
    assert (found["email_masked"], found["email_receipts"]) == ("J•••@example.com", True)
    assert rows(live_db, "SELECT email, email_receipts FROM accounts WHERE account_id = ?",
                (found["account_id"],)) == [("Jo.Smith@example.com", 1)]
    alice = api.get(f"/v1/accounts/{ALICE_ID}").json()
    assert (alice["email_masked"], alice["email_receipts"]) == (None, False)


def test_a_sale_queues_its_receipt_as_chosen_and_a_replay_queues_nothing_more(
    api: httpx.Client, live_db: Path | str
) -> None:
    plain = post_sale(api, sale_body(api, ALICE_ID, [line(api, "1005")])).json()
    assert plain["digital_receipt"] == {"url": None, "emailed_to": None}
    wanted = sale_body(api, ALICE_ID, [line(api, "1005")]) | {"email_receipt": True}
    assert error_code(post_sale(api, wanted)) == (422, "email_required")  # Alice has no address on file
    bad = sale_body(api, ALICE_ID, [line(api, "1005")]) | {"receipt_email": "alice@@example.com"}
    assert post_sale(api, bad).json()["error"]["details"] == [
        {"field": "receipt_email", "problem": "not a valid e-mail address"}]
    once = sale_body(api, ALICE_ID, [line(api, "1005")]) | {"receipt_email": "alice@example.org"}
    key = str(uuid.uuid4())
    first = post_sale(api, once, key)
    replay = post_sale(api, once, key)
    assert first.json()["digital_receipt"] == {"url": None, "emailed_to": "a•••@example.org"}
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    assert rows(live_db, "SELECT sale_id, address, status FROM receipt_emails") == [
        (key, "alice@example.org", "queued")]
    assert rows(live_db, "SELECT email FROM accounts WHERE account_id = ?", (ALICE_ID,)) == [(None,)]  # not kept
    # A member who chose e-mailed receipts gets one unless the sale says not this time.
    consent = {"terms_version": "2026-01", "marketing": False, "email_receipts": True}
    jo = enrol(api, email=ADDRESS, consent=consent).json()["account_id"]
    standing = post_sale(api, sale_body(api, jo, [line(api, "1005")])).json()
    not_now = post_sale(api, sale_body(api, jo, [line(api, "1005")]) | {"email_receipt": False}).json()
    assert standing["digital_receipt"]["emailed_to"] == "J•••@example.com"
    assert not_now["digital_receipt"]["emailed_to"] is None
    assert [r[0] for r in rows(live_db, "SELECT address FROM receipt_emails ORDER BY created_at")] == [
        "alice@example.org", "Jo.Smith@example.com"]
    assert len(rows(live_db, "SELECT token FROM digital_receipts")) == 4  # every sale has its receipt
    # No answer to a till carries the address in full.
    for answer in (standing, not_now, api.get(f"/v1/accounts/{jo}").json(), api.get(f"/v1/sales/{key}").json()):
        assert "Jo.Smith" not in json.dumps(answer) and "alice@example.org" not in json.dumps(answer)


def test_with_a_public_url_the_answer_links_the_receipt_page_in_a_batch_too(
    service_db: Path | str, tmp_path: Path
) -> None:
    with start_service(db_path=service_db, api_key=TEST_API_KEY, log_path=tmp_path / "service.log",
                       extra_args=("--public-url", "https://receipts.example.com/")) as service, \
            client_for(service) as api:
        body = sale_body(api, ALICE_ID, [line(api, "1005")])
        key = str(uuid.uuid4())
        answer = post_sale(api, body, key).json()["digital_receipt"]
        token = rows(service_db, "SELECT token FROM digital_receipts WHERE sale_id = ?", (key,))[0][0]
        assert len(token) >= 32 and answer == {"url": f"https://receipts.example.com/r/{token}", "emailed_to": None}
        batch = api.post("/v1/sales/batch", json={"sales": [body | {"sale_id": key}]}).json()["results"][0]
        assert batch["replayed"] is True and batch["body"]["digital_receipt"] == answer


@pytest.mark.parametrize("wrong", [{"email_receipt": "yes"}, {"receipt_email": 7}])
def test_the_sale_fields_keep_their_types(reader: httpx.Client, wrong: dict[str, object]) -> None:
    body = sale_body(reader, ALICE_ID, [line(reader, "1005")]) | wrong
    assert error_code(post_sale(reader, body)) == (422, "invalid_request")
