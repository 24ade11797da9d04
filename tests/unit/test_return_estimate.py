"""The till's own estimate of a return, offline: from its journal (and the service's answer once it
confirmed the sale), never more than the service will refund, card first."""

from __future__ import annotations

from pos_core.return_estimate import estimate, from_journal, refund_words, with_unconfirmed

DRINK = {"sku": "1001", "name": "Flat white", "category": "hot_drinks", "quantity": 1, "unit_price": 310}
LOAVES = {"sku": "1005", "name": "Sourdough loaf", "category": "bakery", "quantity": 10, "unit_price": 349}


def journal(tender: list[dict]) -> dict:
    return {"lines": [DRINK, LOAVES], "rewards": ["free-hot-drink"], "tender": tender, "change": 0}


def test_a_confirmed_free_drink_stays_on_its_line() -> None:
    answer = {"total": 3490, "discounts": [{"reward_id": "free-hot-drink", "amount": 310,
                                            "lines": [{"line": 0, "amount": 310}]}]}
    found = from_journal("s", "acc", "2026-11-22T10:00:00Z", 3490,
                         journal([{"method": "card", "amount": 3490}]), answer, "GBP")
    assert estimate(found, {"1001": 1}).refund_amount == 0
    loaves = estimate(found, {"1005": 10})
    assert (loaves.refund_amount, [(r.method, r.amount) for r in loaves.refunds]) == (3490, [("card", 3490)])
    assert loaves.estimated and refund_words(loaves) == "Refund £34.90 to the card."


def test_unconfirmed_the_discount_is_spread_and_rounded_down() -> None:
    found = from_journal("s", "acc", "2026-11-22T10:00:00Z", 3490,
                         journal([{"method": "card", "amount": 2000}, {"method": "cash", "amount": 1490}]), None, "GBP")
    drink, loaves = estimate(found, {"1001": 1}), estimate(found, {"1005": 10})
    assert drink.refund_amount + loaves.refund_amount <= 3490  # never more than was paid
    assert (drink.refund_amount, loaves.refund_amount) == (284, 3205)
    # Card first, up to what the card paid; this till's earlier unconfirmed return counted.
    earlier = {"lines": [{"line": 1, "quantity": 6}], "refunds": [{"method": "card", "amount": 1923}]}
    rest = estimate(with_unconfirmed(found, [earlier]), {"1005": 4})
    assert [(r.method, r.amount) for r in rest.refunds] == [("card", 77), ("cash", 1205)]
    assert refund_words(rest) == "Refund £0.77 to the card and £12.05 in cash."
