"""The bytes a receipt printer is sent, gathered by python-escpos's Dummy printer: initialise, the
code page and £/€ as its bytes, the loyalty lines, the receipt number's QR code (also rendered as
a picture and read back with the project's real decoder), cut, and the drawer kick on cash only.
Hostile names never reach the printer as commands."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from devices.barcode_decoder import ZxingDecoder
from devices.escpos_receipt import receipt_bytes
from pos_core.basket import Basket
from pos_core.catalog import Product
from pos_core.loyalty_models import ReturnedLine, ReturnResult, TenderRefund
from pos_core.printed_receipt import printed_return, printed_sale
from pos_core.receipt import ReceiptHeader, receipt_number, render_receipt, sale_id_from_receipt
from pos_core.sale import Tender
from tests.unit.test_receipt import CUSTOMER, completed, result

HEADER = ReceiptHeader("Demo Store", privacy_notice="We keep your name and number.", width=40)
SALE_ID = "3f2a9c1e-0000-4000-8000-000000000001"
NUMBER = receipt_number(SALE_ID)


def cp858(text: str) -> bytes:
    return text.encode("cp858")


def test_a_loyalty_receipt_in_the_printers_code_page_with_its_qr_cut_and_drawer() -> None:
    printed = printed_sale(completed(result()), HEADER)
    assert printed.lines == tuple(render_receipt(completed(result()), HEADER))  # the screen's lines
    data = receipt_bytes(printed, profile="TM-T88V")
    # ESC @, then ESC t 19: CP858, where £ is 0x9C (never UTF-8's C2 A3).
    assert data.startswith(b"\x1b@\x1bt\x13")
    assert "£".encode() not in data
    assert cp858(next(line for line in printed.lines if line.startswith("TOTAL"))) + b"\n" in data
    for start in ("Points earned", "Points redeemed", "Balance", "Alice S. · Silver"):
        line = next(line for line in printed.lines if line.startswith(start))
        assert cp858(line) + b"\n" in data, start
    assert b"Only 2 points to \x9c5 off your shop.\n" in data
    # At 40 characters the number has a line of its own, never clipped.
    assert cp858("Receipt no.".center(40).rstrip() + "\n" + NUMBER.center(40).rstrip()) + b"\n" in data
    # GS ( k: the QR code's data is the receipt number, then print it; GS V cuts; ESC p kicks the drawer.
    qr = b"\x1d(k" + (len(NUMBER) + 3).to_bytes(2, "little") + b"1P0" + NUMBER.encode()
    assert data.index(qr) < data.index(b"\x1d(k\x03\x001Q0") < data.index(b"\x1dV\x00") < data.index(b"\x1bp\x00")
    assert data.count(b"\x1b@") == 1


def test_a_card_sale_does_not_open_the_drawer_and_a_sale_without_a_customer_has_no_code() -> None:
    card = replace(completed(result()), tender=(Tender("card", 698),), change=0)
    data = receipt_bytes(printed_sale(card, HEADER), profile="TM-T88V")
    assert b"\x1bp" not in data and b"\x1dV\x00" in data
    cash_no_customer = completed(None)
    printed = printed_sale(cash_no_customer, HEADER)
    assert printed.code is None and printed.open_drawer
    assert b"\x1d(k" not in receipt_bytes(printed, profile="TM-T88V")


def test_euros_in_another_printers_code_page_and_the_training_marks() -> None:
    euro = completed(result())
    euro = replace(euro, sale=replace(euro.sale, currency="EUR"))
    data = receipt_bytes(printed_sale(euro, replace(HEADER, training=True)), profile="TSP600")
    # The Star TSP600 numbers CP858 4: ESC t 4, and € is CP858's 0xD5.
    assert data.startswith(b"\x1b@\x1bt\x04")
    assert b"TOTAL" in data and b"\xd56.98\n" in data and "€".encode() not in data
    # The marks at top and bottom; CP858 has no dash, so python-escpos switches to a page that has (ESC t n, 0x97).
    assert len(re.findall(rb"\*\*\* TRAINING \x1bt.\x97 NOT A RECEIPT \*\*\*", data)) == 2


def test_hostile_names_never_reach_the_printer_as_commands() -> None:
    evil = "\x1b@\x1dV\x00[b]Evil\x1bp\x00\x07\n"
    product = Product("6666", None, evil, "bakery", 100)
    done = completed(result())
    done = replace(done, tender=(Tender("card", 698),), change=0,
                   sale=replace(done.sale, basket=Basket().add(product),
                                customer=replace(CUSTOMER, display_name=f"Eve{evil}")))
    data = receipt_bytes(printed_sale(done, replace(HEADER, store_name=f"Shop{evil}")), profile="TM-T88V")
    # Each control character prints as "?": the names are there, as text, and do nothing.
    assert b"??@?V?[b]Evil?p???" in data or b"?@?V?[b]Evil?p???" in data
    assert data.count(b"\x1b@") == 1 and data.count(b"\x1dV") == 1 and b"\x1bp" not in data and b"\x07" not in data


def test_a_qr_code_sent_as_a_picture_reads_back_as_the_receipt_number() -> None:
    data = receipt_bytes(printed_sale(completed(result()), HEADER), profile="TM-T88V", native_qr=False)
    assert b"\x1d(k" not in data  # not drawn by the printer: a raster picture (GS v 0) instead
    picture = raster_image(data)
    [read] = ZxingDecoder().decode(picture)
    assert (read.format, read.text) == ("qr", NUMBER)
    assert sale_id_from_receipt(read.text) == SALE_ID  # what F12 does with it


def test_a_return_slip_opens_the_drawer_only_when_cash_goes_back() -> None:
    def slip(refunds: tuple[TenderRefund, ...]) -> bytes:
        returned = ReturnResult("ret-1", SALE_ID, "acc_1", "GBP", (ReturnedLine(0, "1005", "Sourdough loaf", 1, 349),),
                                349, 5, 0, 0, 645, refunds=refunds)
        printed = printed_return(returned, HEADER, terminal_id="till-1", when="2026-11-22T10:15:00Z")
        return receipt_bytes(printed, profile="TM-T88V")

    cash = slip((TenderRefund("cash", 349),))
    assert b"RETURN" in cash and NUMBER.encode() in cash and b"1 x Sourdough loaf" in cash and b"\x9c3.49" in cash
    assert cash.index(b"\x1dV") < cash.index(b"\x1bp\x00")
    assert b"\x1bp" not in slip((TenderRefund("card", 349),))


def raster_image(data: bytes) -> np.ndarray:
    """The GS v 0 raster picture in ``data`` as a grayscale image (black dots on white), with a margin."""
    at = data.index(b"\x1dv0")
    width_bytes = int.from_bytes(data[at + 4:at + 6], "little")
    height = int.from_bytes(data[at + 6:at + 8], "little")
    raster = np.frombuffer(data[at + 8:at + 8 + width_bytes * height], dtype=np.uint8).reshape(height, width_bytes)
    dots = np.unpackbits(raster, axis=1)
    return np.pad(np.where(dots == 1, 0, 255).astype(np.uint8), 16, constant_values=255)
