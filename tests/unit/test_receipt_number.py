"""The receipt number a return scans: printed on the receipt, read back by the classifier."""

from __future__ import annotations

import pytest

from devices.events import ReceiptScanned
from devices.hub import event_for
from devices.payload import classify, classify_command
from pos_core.receipt import ReceiptHeader, receipt_number, render_receipt, sale_id_from_receipt
from tests.unit.test_receipt import completed, result

SALE_ID = "3f2a9c1e-0000-4000-8000-000000000001"


@pytest.mark.parametrize("width", [32, 40, 56])
def test_a_customer_s_receipt_prints_its_number_within_the_width(width: int) -> None:
    lines = render_receipt(completed(result()), ReceiptHeader("Demo Store", width=width))
    text = "\n".join(lines)
    assert f"R-{SALE_ID}" in text
    assert all(len(line) <= width for line in lines if "R-" not in line)
    if width >= 50:
        assert f"Receipt no. R-{SALE_ID}" in text
    # Read back from the printed text, it names the sale.
    printed = next(line for line in lines if "R-" in line).split()[-1]
    assert sale_id_from_receipt(printed) == SALE_ID


def test_a_receipt_without_a_customer_has_no_return_number() -> None:
    # Only loyalty sales are on the service, so only they can be found for a return.
    assert "R-" not in "\n".join(render_receipt(completed(None), ReceiptHeader("Demo Store")))


@pytest.mark.parametrize("text", [f"R-{SALE_ID}", f"r-{SALE_ID.upper()}", f"  R-{SALE_ID}\r\n"])
def test_receipt_numbers_classify_as_receipts(text: str) -> None:
    payload = classify(text)
    assert (payload.kind, payload.receipt_sale_id, payload.shown, payload.message) == (
        "receipt", SALE_ID, receipt_number(SALE_ID), "")
    assert payload.identification is None and payload.product_code is None
    assert event_for(payload, "scanner") == ReceiptScanned(SALE_ID, f"R-{SALE_ID}", "scanner")
    assert classify_command(text)["kind"] == "receipt"


@pytest.mark.parametrize("text", ["R-", "R-1234", f"R-{SALE_ID}x", f"X-{SALE_ID}", f"R-{SALE_ID[:-1]}\x1b[31m"])
def test_things_that_are_not_receipt_numbers(text: str) -> None:
    payload = classify(text)
    assert payload.kind != "receipt" and payload.receipt_sale_id is None
    assert sale_id_from_receipt(text) is None
    assert "\x1b" not in payload.shown
