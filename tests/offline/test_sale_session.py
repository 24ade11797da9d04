"""The sale session on a real service: a sale being paid for is frozen (nothing scanned, presented
or pushed by a live update changes what is paid), a payment is taken once, and an abandoned one
opens the sale again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pos_core.checkout import Checkout, PaymentError, SaleAlreadyPaid
from pos_core.loyalty_client import LoyaltyClient
from pos_core.sale import Tender
from pos_core.sale_session import SaleSession
from pos_core.settings import Settings
from tests.offline.demo_sales import until

ALICE_PHONE = "020 7946 0001"


@pytest.fixture
async def session(live_service, tmp_path: Path):
    settings = Settings(api_url=live_service.url, api_key=live_service.api_key, data_dir=tmp_path / "till")
    checkout = Checkout(LoyaltyClient(live_service.url, live_service.api_key), settings)
    await checkout.load_store()
    session = SaleSession(checkout)
    yield session
    await session.close()
    await checkout.client.aclose()
    checkout.close()


async def test_a_sale_being_paid_for_is_frozen_and_opens_again_when_abandoned(session: SaleSession) -> None:
    session.start()
    assert session.add("1005") is None
    customer = await session.identify("phone", ALICE_PHONE)
    await until(lambda: session.following == customer.account_id, what="the live follow")
    payment = await session.begin_payment()
    assert payment is not None and payment.quote is not None and payment.due == payment.quote.total
    assert session.paying and session.following is None  # its own points change is not news
    refused = session.add("1001")
    assert refused is not None and refused.reason == "paying"
    session.set_customer(None)
    session.void_line(0)
    assert session.sale is payment.sale  # nothing changed what is being paid for
    session.cancel_payment()
    assert not session.paying and session.add("1001") is None
    await until(lambda: session.following == customer.account_id, what="the live follow again")


async def test_a_payment_is_taken_once(session: SaleSession) -> None:
    session.start()
    session.add("1005")
    payment = await session.begin_payment()
    assert payment is not None
    tender = (Tender("card", payment.due),)
    done = await session.complete(tender)
    assert done.sale.sale_id == payment.sale.sale_id
    with pytest.raises(PaymentError):
        await session.complete(tender)  # no payment open any more
    with pytest.raises(SaleAlreadyPaid):
        await session.checkout.complete(payment.sale, tender, payment.quote)  # the same sale id again


async def test_a_payment_survives_its_caller_being_cancelled(session: SaleSession) -> None:
    """The window's worker may be cancelled (the app closing): the sale is saved whole, or not at all."""
    session.start()
    session.add("1005")
    payment = await session.begin_payment()
    assert payment is not None
    paying = asyncio.create_task(session.complete((Tender("card", payment.due),)))
    await asyncio.sleep(0)  # one turn of the loop: the task is now inside its write
    assert session.paying and not paying.done()
    paying.cancel()
    with pytest.raises(asyncio.CancelledError):
        await paying
    await until(lambda: session.checkout.outbox.is_recorded(payment.sale.sale_id), what="the sale saved")


async def test_a_quote_on_its_way_is_kept_when_only_the_email_choice_changes(session: SaleSession) -> None:
    """The quote is made of the basket, rewards and customer: choosing an e-mailed receipt while
    it is being fetched makes a new Sale, and the quote must still land on it (it was dropped,
    leaving the panel without its points until the next scan)."""
    session.start()
    session.add("1005")
    await session.identify("phone", ALICE_PHONE)
    quote_task = session._quote_task
    assert quote_task is not None and not quote_task.done()  # on its way
    assert session.choose_email_receipt(True, "alice@example.com")
    await until(lambda: session.quote is not None, what="the quote")
    assert session.sale is not None and session.sale.email_receipt is True
