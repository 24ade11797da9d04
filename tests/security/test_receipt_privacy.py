"""Digital receipts and the customer's rights, on a real service, both databases: the export holds
the e-mail address, the choice and the receipts; erasure removes the address, the addresses of
e-mails still queued and the receipts' pages, so no byte of the address is left in the database."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from pos_core.embedded_service import RunningService
from tests.security.test_privacy import add_hq_key
from tests.service.api_calls import line, post_sale, sale_body
from tests.service.stored import everything_stored, rows
from tests.service.test_api import enrol
from tests.service.test_chain_security import keyed

ADDRESS = "jo.private@example.net"
OTHER = "jo.work@example.org"


def test_export_holds_the_address_and_erasure_leaves_none_of_it(
    api: httpx.Client, live_service: RunningService, live_db: Path | str
) -> None:
    consent = {"terms_version": "2026-01", "marketing": False, "email_receipts": True}
    jo = enrol(api, email=ADDRESS, consent=consent).json()["account_id"]
    standing, once = str(uuid.uuid4()), str(uuid.uuid4())
    post_sale(api, sale_body(api, jo, [line(api, "1005")]), standing)
    post_sale(api, sale_body(api, jo, [line(api, "1005")]) | {"receipt_email": OTHER}, once)
    token = rows(live_db, "SELECT token FROM digital_receipts WHERE sale_id = ?", (standing,))[0][0]
    assert api.get(f"/r/{token}").status_code == 200
    with keyed(live_service, add_hq_key(live_db)) as hq:
        export = hq.get(f"/v1/accounts/{jo}/export").json()
        assert (export["account"]["email"], export["account"]["email_receipts"]) == (ADDRESS, True)
        assert {(r["sale_id"], r["emailed_to"], r["email_status"]) for r in export["digital_receipts"]} == {
            (standing, "j•••@example.net", "queued"), (once, "j•••@example.org", "queued")}
        assert hq.post(f"/v1/accounts/{jo}/erase").status_code == 200
    assert rows(live_db, "SELECT email, email_receipts FROM accounts WHERE account_id = ?", (jo,)) == [(None, 0)]
    assert sorted(rows(live_db, "SELECT sale_id, address, status, last_error FROM receipt_emails")) == sorted([
        (standing, None, "failed", "erased"), (once, None, "failed", "erased")])
    assert api.get(f"/r/{token}").status_code == 404
    stored = everything_stored(live_db)
    assert ADDRESS.encode() not in stored and OTHER.encode() not in stored
    assert b"jo.private" not in stored
