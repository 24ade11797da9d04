"""The receipt by e-mail and on the web, as both the register and the kiosk say it: whether this
sale's receipt is to be e-mailed and to which (masked) address, the words for the sale, the
receipt and the thank-you, and the page's code for the paper.

The contract (docs/loyalty-api-v1.md, "Digital receipts (an addition, compatible)"): a sale carries ``email_receipt`` (None:
the customer's standing choice; True: send it; False: not this time) and ``receipt_email`` (an
address for this sale only); the service answers with ``digital_receipt`` (``emailed_to``, masked,
and ``url`` when it has a public URL). Only a masked address is ever shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pos_core.email_address import mask_email
from pos_core.loyalty_errors import LoyaltyError
from pos_core.loyalty_models import AccountSummary
from pos_core.sale import CompletedSale, Sale

EMAIL_FIELDS = ("email_receipt", "receipt_email")
# The service's refusals of the e-mail alone: the sale goes again without it (nothing blocks a sale).
EMAIL_REFUSALS = frozenset({"invalid_email", "email_required"})
# Printed above the page's QR code, apart from the receipt number's own code.
PAGE_CAPTION = "Scan for your receipt and a 10-second survey"


def emailed_to(sale: Sale) -> str | None:
    """The masked address this sale's receipt goes to, or None when it is not to be e-mailed."""
    if sale.receipt_email:
        return mask_email(sale.receipt_email)
    customer = sale.customer
    if customer is None or customer.email_masked is None:
        return None
    wanted = customer.email_receipts if sale.email_receipt is None else sale.email_receipt
    return customer.email_masked if wanted else None


def sale_words(sale: Sale) -> str | None:
    """What the till shows while the sale is open: where the receipt will go, when by e-mail, or
    that a standing e-mail choice is off this time."""
    if (address := emailed_to(sale)) is not None:
        return f"Receipt will be e-mailed to {address}"
    customer = sale.customer
    if customer is not None and customer.email_receipts and sale.email_receipt is False:
        return "Paper receipt only this time"
    return None


def receipt_words(done: CompletedSale) -> str | None:
    """The receipt's and the thank-you's line: e-mailed (the service's masked address), or will be
    (the sale still on the till, waiting to reach the service)."""
    loyalty = done.loyalty
    if loyalty is not None:
        digital = loyalty.digital_receipt
        return f"Receipt e-mailed to {digital.emailed_to}" if digital and digital.emailed_to else None
    if done.points_pending and emailed_to(done.sale) is not None:
        return "Receipt will be e-mailed"
    return None


def page_url(done: CompletedSale) -> str | None:
    """The sale's receipt page, when the service has a public URL, for the paper's QR code."""
    digital = done.loyalty.digital_receipt if done.loyalty is not None else None
    return digital.url if digital is not None else None


def without_email_receipt(body: Mapping[str, Any], error: LoyaltyError) -> dict[str, Any] | None:
    """The sale's body with its receipt on paper when the service refused the sale for its e-mail
    alone (a bad address, none on file, the customer's standing choice included), so it is sent
    again and its points are not held up; None for any other refusal, or one already on paper."""
    if error.code not in EMAIL_REFUSALS or (body.get("email_receipt") is False and "receipt_email" not in body):
        return None
    return {key: value for key, value in body.items() if key not in EMAIL_FIELDS} | {"email_receipt": False}


def takes_email_receipt(customer: AccountSummary | None) -> bool:
    """The customer's service takes a sale's e-mail choice: its summaries carry ``email_masked``
    (null or not). One that predates digital receipts would refuse the sale's new fields."""
    return customer is not None and "email_masked" in customer.document


def enrolled_email_words(customer: AccountSummary, asked: bool) -> str:
    """What to add to "X is now a member." about the e-mail address given at enrolment ("": nothing)."""
    if not asked:
        return ""
    if not takes_email_receipt(customer):
        return " This loyalty service does not keep e-mail addresses: their receipts are on paper."
    if customer.email_receipts and customer.email_masked:
        return f" Their receipts will be e-mailed to {customer.email_masked}."
    return f" E-mail on file: {customer.email_masked}." if customer.email_masked else ""
