from dataclasses import replace
from decimal import Decimal

from pos_core.basket import Basket
from pos_core.catalog import Product
from pos_core.loyalty_models import AccountSummary, Discount, NextReward, SaleResult, Tier
from pos_core.receipt import ReceiptHeader, render_receipt
from pos_core.sale import CompletedSale, Sale, Tender

DRINK = Product("1001", None, "Flat white", "hot_drinks", 310)
LOAF = Product("1002", None, "A very long sourdough loaf name indeed", "bakery", 349)
TIER = Tier("Silver", Decimal("1.25"), "Gold", 1860)
CUSTOMER = AccountSummary("acc_1", "Alice S.", "GBP", 640, None, TIER, None, ())


def completed(loyalty: SaleResult | None) -> CompletedSale:
    sale = Sale("demo-store", "till-1", "GBP", Basket().add(DRINK).add(LOAF, 2), CUSTOMER if loyalty else None,
                ("free-hot-drink",) if loyalty else (), sale_id="3f2a9c1e-0000-4000-8000-000000000001")
    total = 698 if loyalty else 1008
    return CompletedSale(sale, (Tender("cash", 2000),), total=total, change=2000 - total,
                         completed_at="2026-11-22T10:15:00Z", loyalty=loyalty,
                         discounts=loyalty.discounts if loyalty else ())


def result() -> SaleResult:
    return SaleResult("3f2a…", "acc_1", "GBP", 1008, (Discount("free-hot-drink", "Free hot drink", 310),), 310, 698,
                      1302, 8, 150, 498, TIER, NextReward("five-off", "£5 off your shop", 500, 2), None)


def test_receipt_has_the_loyalty_block_and_fits_the_width() -> None:
    lines = render_receipt(completed(result()), ReceiptHeader("Demo Store", privacy_notice="We keep your name and number.", width=40))
    text = "\n".join(lines)
    assert all(len(line) <= 40 for line in lines)
    assert "Receipt 3F2A9C1E" in text
    assert "Free hot drink" in text and "-£3.10" in text
    assert "TOTAL" in text and "£6.98" in text and "Change" in text and "£13.02" in text
    assert "Alice S. · Silver" in text
    assert [l for l in lines if l.startswith("Points earned")][0].endswith("+8")
    assert [l for l in lines if l.startswith("Points redeemed")][0].endswith("-150")
    assert [l for l in lines if l.startswith("Balance")][0].endswith("498 pts")
    assert "Only 2 points to £5 off your shop." in text
    assert "We keep your name and number." in text
    assert "A very long sourdough loaf name indeed"[:30] in text


def test_receipt_without_a_customer_has_no_loyalty_block() -> None:
    text = "\n".join(render_receipt(completed(None), ReceiptHeader("Demo Store", width=32)))
    assert "LOYALTY" not in text and "£10.08" in text


def test_pending_points_are_shown_as_pending_with_a_provisional_balance() -> None:
    sale = Sale("demo-store", "till-1", "GBP", Basket().add(LOAF, 2), CUSTOMER, (),
                sale_id="3f2a9c1e-0000-4000-8000-000000000001")
    done = CompletedSale(sale, (Tender("card", 698),), total=698, change=0, completed_at="2026-11-22T10:15:00Z",
                         points_pending=True, points_expected=8)
    lines = render_receipt(done, ReceiptHeader("Demo Store", privacy_notice="We keep your number."))
    text = "\n".join(lines)
    assert [l for l in lines if l.startswith("Points (pending)")][0].endswith("+8")
    assert [l for l in lines if l.startswith("Balance (provisional)")][0].endswith("648 pts")
    assert "as soon as" in text and "Points earned" not in text and "We keep your number." in text


def test_the_paper_names_the_customer_by_first_name_and_initial() -> None:
    done = completed(result())
    done = replace(done, sale=replace(done.sale, customer=replace(CUSTOMER, display_name="Alice Mary Smith")))
    text = "\n".join(render_receipt(done, ReceiptHeader("Demo Store", width=40)))
    assert "Alice S. · Silver" in text and "Smith" not in text and "Mary" not in text
