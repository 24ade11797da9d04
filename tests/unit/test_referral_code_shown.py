"""The member's referral code where the customer reads it: the text receipt and the ESC/POS
bytes (with the referral bonus a first qualifying purchase paid, and the return slip of its full
return taking it back), the customer display's feed (basket and thank-you) and the pole display's
pages; and a code from data stays text."""

from __future__ import annotations

from dataclasses import replace

from devices.escpos_receipt import receipt_bytes
from pos_core.customer_view import build_view
from pos_core.loyalty_models import ReturnedLine, ReturnResult
from pos_core.pole_lines import pole_pages
from pos_core.printed_receipt import printed_return, printed_sale
from pos_core.receipt import ReceiptHeader, render_receipt
from tests.unit.test_receipt import CUSTOMER, completed, result

HEADER = ReceiptHeader("Demo Store", width=40)
CODE = "JZ6C-29KP"


def referred_sale(bonus: int = 100):  # noqa: ANN201 - a CompletedSale
    done = completed(replace(result(), referral_points=bonus, balance=598))
    return replace(done, sale=replace(done.sale, customer=replace(CUSTOMER, referral_code=CODE)))


def test_the_receipt_prints_the_code_and_the_bonus_as_text_and_as_escpos_bytes() -> None:
    lines = render_receipt(referred_sale(), HEADER)
    assert all(len(line) <= 40 for line in lines)
    assert [line for line in lines if line.startswith("Referral bonus")][0].endswith("+100")
    code_line = next(line for line in lines if line.startswith("Your referral code"))
    assert code_line.endswith(CODE)
    data = receipt_bytes(printed_sale(referred_sale(), HEADER), profile="TM-T88V")
    assert code_line.encode("cp858") + b"\n" in data
    # Without a code (a service from before referrals), nor a bonus: neither line.
    plain = render_receipt(completed(result()), HEADER)
    assert not any(line.startswith(("Your referral code", "Referral bonus")) for line in plain)


def test_the_return_slip_says_the_referral_bonus_went_back() -> None:
    whole = ReturnResult("ret-1", "3f2a9c1e-0000-4000-8000-000000000001", "acc_1", "GBP",
                         (ReturnedLine(0, "1031", "Red wine 75cl", 2, 1798),), 1798, 17, 0, 0, 3,
                         referral_points_reversed=100)
    slip = printed_return(whole, HEADER, terminal_id="till-1", when="2026-11-22T10:15:00Z")
    line = next(line for line in slip.lines if line.startswith("Referral bonus back"))
    assert line.endswith("-100")
    assert line.encode("cp858") + b"\n" in receipt_bytes(slip, profile="TM-T88V")


def test_the_customer_display_feed_and_the_pole_carry_the_code() -> None:
    done = referred_sale()
    basket = build_view(store="Demo Store", currency="GBP", sale=done.sale)
    assert basket["customer"]["referral_code"] == CODE
    thanks = build_view(store="Demo Store", currency="GBP", thanks=done)
    assert thanks["thank_you"]["referral_code"] == CODE and thanks["thank_you"]["referral_points"] == 100
    pages = pole_pages(thanks)
    assert ("YOUR REFERRAL CODE".center(20), CODE.center(20)) in [tuple(line.ljust(20) for line in p) for p in pages]
    # A code is data: control characters reach no display.
    hostile = replace(done, sale=replace(done.sale, customer=replace(CUSTOMER, referral_code="AB\x1b[2JCD")))
    assert "\x1b" not in build_view(store="S", currency="GBP", thanks=hostile)["thank_you"]["referral_code"]
