"""The till's rules for e-mailed receipts, pure: an address checked (syntax only) and masked; the
new fields read from a service that has them and defaulted from one that does not; a sale's choice
in its body only when made (and dropped with its customer); what the screens and the paper say;
the page's QR code on paper (read back with zxing-cpp) apart from the receipt number's."""

from __future__ import annotations

from dataclasses import replace

import pytest

from devices.barcode_decoder import ZxingDecoder
from devices.escpos_receipt import receipt_bytes
from pos_core.email_address import InvalidEmail, checked_email, mask_email
from pos_core.loyalty_errors import InvalidValue
from pos_core.loyalty_models import AccountSummary, DigitalReceipt, SaleResult
from pos_core.printed_receipt import PrintedReceipt, printed_sale
from pos_core.receipt import ReceiptHeader, receipt_number
from pos_core.receipt_by_email import (
    emailed_to, receipt_words, sale_words, takes_email_receipt, without_email_receipt,
)
from pos_core.sale import Tender
from tests.unit.test_escpos_receipt import raster_image
from tests.unit.test_receipt import CUSTOMER, completed, result

URL = "https://receipts.example.com/r/" + "x" * 32
SUMMARY = {"account_id": "acc_1", "display_name": "Jo S.", "currency": "GBP", "balance": 10,
           "tier": {"name": "Bronze", "multiplier": "1"}}


def test_an_address_is_checked_normalised_and_masked() -> None:
    assert checked_email("  Jo.Smith@Example.COM ") == "Jo.Smith@example.com"
    assert mask_email("Jo.Smith@example.com") == "J•••@example.com"
    for bad in ("", "jo", "jo@", "jo smith@example.com", "jo@@example.com", "a" * 250 + "@example.com"):
        with pytest.raises(InvalidEmail) as refused:
            checked_email(bad)
        assert bad.strip() == "" or bad not in str(refused.value)  # never echoed back


def test_a_service_without_digital_receipts_is_read_as_before() -> None:
    old = AccountSummary.from_json(SUMMARY)
    assert (old.email_masked, old.email_receipts, takes_email_receipt(old)) == (None, False, False)
    new = AccountSummary.from_json(SUMMARY | {"email_masked": "j•••@example.com", "email_receipts": True})
    assert (new.email_masked, new.email_receipts, takes_email_receipt(new)) == ("j•••@example.com", True, True)
    assert takes_email_receipt(AccountSummary.from_json(SUMMARY | {"email_masked": None}))
    sale = result().document | {"sale_id": "s", "account_id": "a", "currency": "GBP", "subtotal": 1, "total": 1,
                                "points_earned": 0, "balance": 0}
    assert SaleResult.from_json(sale).digital_receipt is None
    answer = SaleResult.from_json(sale | {"digital_receipt": {"url": URL, "emailed_to": "j•••@example.com"}})
    assert answer.digital_receipt == DigitalReceipt(URL, "j•••@example.com")
    assert DigitalReceipt.from_json({"url": "javascript:alert(1)", "emailed_to": None}) == DigitalReceipt(None, None)
    hostile = AccountSummary.from_json(SUMMARY | {"email_masked": "[b]j\x1b[2J•••@example.com"})
    assert hostile.email_masked == "[b]j\u241b[2J•••@example.com"  # data: shown as typed, its ESC made visible


def test_the_choice_rides_in_the_body_only_when_made_and_goes_with_its_customer() -> None:
    member = replace(CUSTOMER, email_masked="a•••@example.com", email_receipts=True)
    sale = completed(result()).sale.with_customer(member)
    tender = (Tender("card", 100),)
    assert "email_receipt" not in sale.loyalty_body(tender)  # the standing choice: as before the fields
    assert emailed_to(sale) == "a•••@example.com" and sale_words(sale) == "Receipt will be e-mailed to a•••@example.com"
    off = sale.with_email_receipt(False)
    assert off.loyalty_body(tender)["email_receipt"] is False and sale_words(off) == "Paper receipt only this time"
    typed = sale.with_email_receipt(True, "sam@example.org")
    assert {k: typed.loyalty_body(tender)[k] for k in ("email_receipt", "receipt_email")} == {
        "email_receipt": True, "receipt_email": "sam@example.org"}
    assert "sam@example.org" not in repr(typed)  # never in a log line or a traceback
    assert emailed_to(typed) == "s•••@example.org"
    other = typed.with_customer(replace(member, account_id="acc_2"))
    assert (other.email_receipt, other.receipt_email) == (None, None)


def test_an_email_refused_alone_is_dropped_from_the_body_anything_else_is_not() -> None:
    body = {"account_id": "a", "email_receipt": True, "receipt_email": "x@example.org"}
    assert without_email_receipt(body, InvalidValue("no", code="email_required")) == {
        "account_id": "a", "email_receipt": False}
    assert without_email_receipt(body, InvalidValue("no", code="invalid_value")) is None
    standing = {"account_id": "a"}  # the customer's standing choice, refused: paper this time
    assert without_email_receipt(standing, InvalidValue("no", code="email_required")) == {"account_id": "a", "email_receipt": False}
    paper = {"account_id": "a", "email_receipt": False}  # refused again on paper: not tried once more
    assert without_email_receipt(paper, InvalidValue("no", code="email_required")) is None


def test_the_receipt_says_where_it_went_and_the_paper_carries_the_page_s_code() -> None:
    emailed = replace(result(), digital_receipt=DigitalReceipt(URL, "a•••@example.com"))
    done = completed(emailed)
    assert receipt_words(done) == "Receipt e-mailed to a•••@example.com"
    assert receipt_words(completed(result())) is None  # a service that predates it: nothing said
    pending = replace(completed(None), sale=done.sale.with_email_receipt(True, "sam@example.org"),
                      points_pending=True)
    assert receipt_words(pending) == "Receipt will be e-mailed"
    header = ReceiptHeader("Demo Store", width=40)
    printed = printed_sale(done, header)
    assert "Receipt e-mailed to a•••@example.com" in printed.lines
    assert (printed.page_code, PrintedReceipt.from_json(printed.to_json())) == (URL, printed)
    native = receipt_bytes(printed, profile="TM-T88V")
    qr = b"\x1d(k" + (len(URL) + 3).to_bytes(2, "little") + b"1P0" + URL.encode()
    number = receipt_number(done.sale.sale_id).encode()
    assert native.index(number) < native.index(b"Scan for your receipt") < native.index(qr)
    pictures = receipt_bytes(printed, profile="TM-T88V", native_qr=False)
    second = pictures[pictures.index(b"Scan for your receipt"):]
    [read] = ZxingDecoder().decode(raster_image(second))
    assert (read.format, read.text) == ("qr", URL)
    plain = printed_sale(completed(result()), header)
    assert plain.page_code is None and b"Scan for your receipt" not in receipt_bytes(plain, profile="TM-T88V")
