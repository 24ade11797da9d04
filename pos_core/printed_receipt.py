"""What goes on paper: a small document built from the very lines the screen shows, so the screen
and the paper never differ. Pure: no I/O; ``devices/escpos_receipt.py`` turns it into ESC/POS.

A document is its text lines at the paper's width, the code to print under them (the receipt
number, which F12 scans back), the sale's receipt page as a second code with its caption (when
the service has a public URL), and whether the cash drawer opens (cash taken or given back). It
is kept on the till as JSON until the printer has taken it (``pos_core/print_queue.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pos_core.loyalty_models import ReturnResult
from pos_core.pickup_order import OrderPickup
from pos_core.pickup_receipt import render_pickup_receipt
from pos_core.receipt_by_email import PAGE_CAPTION, page_url
from pos_core.receipt import ReceiptHeader, receipt_number, render_receipt
from pos_core.return_receipt import render_return_receipt
from pos_core.sale import CompletedSale


@dataclass(frozen=True, slots=True)
class PrintedReceipt:
    # The sale's or the return's id: one document per id, so a reprint replaces, never doubles.
    receipt_id: str
    kind: str  # "sale" | "return" | "pickup"
    lines: tuple[str, ...]
    width: int
    # Printed as a QR code under the text ("R-…"), or None.
    code: str | None = None
    open_drawer: bool = False
    # The sale's receipt page (``digital_receipt.url``), printed as its own QR code under
    # ``page_caption``, apart from the receipt number's; None: no page.
    page_code: str | None = None
    page_caption: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"receipt_id": self.receipt_id, "kind": self.kind, "lines": list(self.lines), "width": self.width,
                "code": self.code, "open_drawer": self.open_drawer, "page_code": self.page_code,
                "page_caption": self.page_caption}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PrintedReceipt:
        code = data.get("code")
        return cls(receipt_id=str(data["receipt_id"]), kind=str(data["kind"]),
                   lines=tuple(str(line) for line in data["lines"]), width=int(data["width"]),
                   code=None if code is None else str(code), open_drawer=bool(data.get("open_drawer")),
                   page_code=str(page) if (page := data.get("page_code")) else None,
                   page_caption=str(data.get("page_caption") or ""))


def printed_sale(done: CompletedSale, header: ReceiptHeader) -> PrintedReceipt:
    """A sale's receipt. Its number is printed as a code when the receipt shows it (a loyalty
    sale, which the service can find again for a return)."""
    code = receipt_number(done.sale.sale_id) if done.sale.customer is not None else None
    page = page_url(done)
    return PrintedReceipt(
        receipt_id=done.sale.sale_id,
        kind="sale",
        lines=tuple(render_receipt(done, header)),
        width=header.width,
        code=code,
        open_drawer=any(tender.method == "cash" for tender in done.tender),
        page_code=page,
        page_caption=PAGE_CAPTION if page else "",
    )


def printed_return(result: ReturnResult, header: ReceiptHeader, *, terminal_id: str, when: str) -> PrintedReceipt:
    """A return slip; the drawer opens when cash is given back."""
    return PrintedReceipt(
        receipt_id=result.return_id,
        kind="return",
        lines=tuple(render_return_receipt(result, header, terminal_id=terminal_id, when=when)),
        width=header.width,
        open_drawer=any(refund.method == "cash" and refund.amount > 0 for refund in result.refunds)
        or (not result.refunds and result.refund_amount > 0),
    )


def printed_pickup(pickup: OrderPickup, header: ReceiptHeader, *, customer_name: str, terminal_id: str) -> PrintedReceipt:
    """A click & collect slip, with the code of the sale its points are on (for a return); no
    drawer: nothing was paid at the till."""
    sale_id = pickup.order.sale_id
    return PrintedReceipt(
        receipt_id=f"pickup-{pickup.order.order_id}",
        kind="pickup",
        lines=tuple(render_pickup_receipt(pickup, header, customer_name=customer_name, terminal_id=terminal_id)),
        width=header.width,
        code=receipt_number(sale_id) if sale_id else None,
    )
