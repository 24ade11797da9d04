"""A sale's e-mailed receipt rides with the sale through the outbox (the real Checkout, a real
service on loopback): made with the service away, the choice and the address are in the saved body
and the receipt says "Receipt will be e-mailed"; a till started again delivers it and the service
queues that very address. An e-mail the service refuses (none on file) never holds the sale up: it
goes again without. The address is never in the till's log. A service from before digital receipts
enrols and sells as it always did: the till offers no e-mail and sends none of the new fields."""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from pos_core.checkout import Checkout, till_dir
from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient
from pos_core.receipt_by_email import enrolled_email_words, receipt_words, takes_email_receipt
from pos_core.sale_session import SaleSession
from pos_core.sale import Tender
from pos_core.settings import Settings
from tests.conftest import live_service_db
from tests.service.api_calls import ALICE_PHONE
from tests.service.stored import rows

TYPED = "Sam.Taylor@example.org"
AWAY = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused


def till(url: str, key: str, folder: Path) -> Checkout:
    settings = Settings(api_url=url, api_key=key, data_dir=folder)
    settings = replace(settings, deadlines=replace(settings.deadlines, receipt=0.3, identify=2.0))
    return Checkout(LoyaltyClient(url, key, deadlines=settings.deadlines), settings)


async def closed(checkout: Checkout) -> None:
    await checkout.client.aclose()
    checkout.close()


async def test_an_offline_sale_keeps_its_email_choice_through_a_restart(
    live_service: RunningService, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    folder = tmp_path / "till"
    online = till(live_service.url, live_service.api_key, folder)
    try:
        await online.load_store()  # the programme and catalog, kept for the till offline
        alice = await online.identify("phone", ALICE_PHONE)
        await online.cache_written()
    finally:
        await closed(online)
    offline = till(AWAY, live_service.api_key, folder)
    try:
        await offline.load_store()
        assert offline.catalog is not None
        sale = offline.new_sale().with_customer(alice).with_email_receipt(True, TYPED)
        sale = sale.with_basket(sale.basket.add(offline.catalog.lookup("1005")))
        quote = await offline.quote(sale)
        done = await offline.complete(sale, (Tender("card", quote.total),), quote)
        assert done.points_pending and done.loyalty is None
        assert receipt_words(done) == "Receipt will be e-mailed"
    finally:
        await closed(offline)
    with sqlite3.connect(till_dir(offline.settings) / "outbox.db") as outbox:
        [(body,)] = outbox.execute("SELECT body FROM outbox WHERE sale_id = ?", (sale.sale_id,)).fetchall()
    saved = json.loads(body)
    assert (saved["email_receipt"], saved["receipt_email"]) == (True, TYPED)
    again = till(live_service.url, live_service.api_key, folder)  # the till started again, the service back
    try:
        assert await again.sender.drain(timeout=10)
    finally:
        await closed(again)
    assert rows(live_service_db(tmp_path), "SELECT address FROM receipt_emails WHERE sale_id = ?", (sale.sale_id,)) == [
        (TYPED,)]
    assert not any("Sam.Taylor" in record.getMessage() for record in caplog.records)


async def test_an_email_the_service_refuses_does_not_hold_the_sale_up(live_service: RunningService, tmp_path: Path) -> None:
    checkout = till(live_service.url, live_service.api_key, tmp_path / "till")
    try:
        await checkout.load_store()
        alice = await checkout.identify("phone", ALICE_PHONE)
        assert alice.email_masked is None  # nothing on file: "send it" is email_required
        sale = checkout.new_sale().with_customer(alice).with_email_receipt(True)
        sale = sale.with_basket(sale.basket.add(checkout.catalog.lookup("1005")))
        quote = await checkout.quote(sale)
        await checkout.complete(sale, (Tender("card", quote.total),), quote)
        assert await checkout.sender.drain(timeout=10)
        answer = checkout.outbox.loyalty_answer(sale.sale_id)
        assert checkout.outbox.set_aside_sales() == []
    finally:
        await closed(checkout)
    assert answer is not None and answer["digital_receipt"]["emailed_to"] is None  # recorded, on paper
    assert rows(live_service_db(tmp_path), "SELECT COUNT(*) FROM receipt_emails") == [(0,)]
    assert rows(live_service_db(tmp_path), "SELECT COUNT(*) FROM sales WHERE sale_id = ?", (sale.sale_id,)) == [(1,)]


class BeforeDigitalReceipts(httpx.AsyncBaseTransport):
    """The real service played as one from before digital receipts: a request with the new fields
    is refused as not the documented shape (as its ``extra="forbid"`` did), and answers lose them."""

    NEW_KEYS = ("email", "email_receipt", "receipt_email", "email_masked", "email_receipts", "digital_receipt")

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.bodies: list[dict] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(await request.aread() or b"null")
        if isinstance(body, dict):
            self.bodies.append(body)
            if set(body) & set(self.NEW_KEYS) or "email_receipts" in (body.get("consent") or {}):
                return httpx.Response(422, json={"error": {"code": "invalid_request", "message": "not the shape"}})
        answer = await self.real.handle_async_request(request)
        document = json.loads(await answer.aread() or b"null")
        if isinstance(document, dict):
            document = {key: value for key, value in document.items() if key not in self.NEW_KEYS}
        return httpx.Response(answer.status_code, json=document)

    async def aclose(self) -> None:
        await self.real.aclose()


async def test_a_service_from_before_digital_receipts_enrols_and_sells_as_before(
    live_service: RunningService, tmp_path: Path
) -> None:
    old = BeforeDigitalReceipts()
    settings = Settings(api_url=live_service.url, api_key=live_service.api_key, data_dir=tmp_path / "till")
    checkout = Checkout(LoyaltyClient(live_service.url, live_service.api_key, transport=old), settings)
    session = SaleSession(checkout)
    try:
        await checkout.load_store()
        member = await session.enrol(phone="020 7946 0994", name="Sam Taylor", marketing=False,
                                     email="sam@example.org", email_receipts=True)
        # Refused with the address, enrolled without it; the till says so and offers no e-mail.
        assert not takes_email_receipt(member) and "does not keep e-mail addresses" in enrolled_email_words(member, True)
        assert not session.choose_email_receipt(True, "sam@example.org")
        session.add("1005")
        payment = await session.begin_payment()
        done = await session.complete((Tender("card", payment.due),))
        assert done.loyalty is not None and done.loyalty.digital_receipt is None and receipt_words(done) is None
    finally:
        await session.close()
        await checkout.client.aclose()
        checkout.close()
    sent = [body for body in old.bodies if "lines" in body and "tender" in body]
    assert sent and not any(set(body) & set(BeforeDigitalReceipts.NEW_KEYS) for body in sent)
