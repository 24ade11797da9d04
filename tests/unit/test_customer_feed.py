"""The customer feed on its own: views published on change only, a slow reader skips to the
newest, and the consent question is answered once, only by its own id."""

from __future__ import annotations

import asyncio

from pos_core.basket import Basket
from pos_core.catalog import Product
from pos_core.customer_feed import CustomerFeed
from pos_core.sale import Sale


def sale_with(*names: str) -> Sale:
    basket = Basket()
    for n, name in enumerate(names):
        basket = basket.add(Product(sku=f"{1000 + n}", ean=None, name=name, category="bakery", unit_price=150), 1)
    return Sale(store_id="s", terminal_id="t", currency="GBP", basket=basket)


async def test_a_change_is_published_once_and_a_slow_reader_gets_the_newest() -> None:
    feed = CustomerFeed(store="Demo")
    sale = Sale(store_id="s", terminal_id="t", currency="GBP")
    feed.show(sale=sale)
    assert feed.version == 0  # an empty sale looks like the welcome already shown
    views = feed.follow()
    first = await anext(views)
    assert first["phase"] == "welcome"
    feed.show(sale=sale_with("Bread"))
    feed.show(sale=sale_with("Bread", "<b>Milk</b>"))
    feed.show(sale=sale_with("Bread", "<b>Milk</b>"))  # the same again: nothing new
    newest = await asyncio.wait_for(anext(views), 2)
    assert newest["version"] == 2 == feed.version
    assert newest["last_item"]["name"] == "<b>Milk</b>" and newest["total"] == 300
    assert feed.readers == 1
    await views.aclose()
    assert feed.readers == 0


async def test_consent_is_answered_once_by_the_question_on_show() -> None:
    feed = CustomerFeed(store="Demo")
    heard = []
    stop = feed.on_consent(heard.append)
    question = feed.ask_consent(terms_version="2026-01", privacy_notice="We keep your points.")
    assert feed.view["phase"] == "enrolling" and feed.view["enrolment"]["request_id"] == question.request_id
    assert not feed.answer_consent("not-the-id", accepted=True, marketing=True)
    assert feed.answer_consent(question.request_id, accepted=True, marketing=True)
    assert not feed.answer_consent(question.request_id, accepted=False, marketing=False)
    assert [q.answer for q in heard] == [{"accepted": True, "marketing": True}]
    stop()
    feed.end_consent()
    assert feed.view["enrolment"] is None and feed.view["phase"] == "welcome"
    # Marketing cannot be said yes to without the terms.
    again = feed.ask_consent(terms_version="2026-01", privacy_notice="")
    feed.answer_consent(again.request_id, accepted=False, marketing=True)
    assert feed.consent is not None and feed.consent.answer == {"accepted": False, "marketing": False}
