"""What the customer facing the till may see, as one JSON-able document. Pure: no I/O.

Every customer display (the web page on a tablet, the second terminal, the pole display) reads
this document and nothing else, so what reaches the customer is decided here once:

- the basket (names, quantities, amounts) and what is due, with the rewards applied and what they
  save; the customer's first name and initial, tier, balance and progress to the next reward;
  the points this sale earns (``estimated`` while the service is away);
- while the cashier enrols them, the terms version, the privacy notice and the marketing question;
- after payment, the thank-you with the points earned and the new balance.

Never in it: the full name, the phone number, account ids, card numbers, tender details beyond
cash change, staff screens or another customer. Text in it is data: a display shows it as text.

The document (``version`` grows by one with each change; ``phase`` says which part to show):

    {"version": 7, "phase": "welcome" | "basket" | "paying" | "enrolling" | "thank_you",
     "store": "Demo Store", "training": false, "currency": "GBP",
     "lines": [{"name": "Milk 1L", "quantity": 2, "amount": 218, "amount_text": "£2.18"}],
     "last_item": {"name": …, "quantity": …, "amount": …, "amount_text": …} | null,
     "subtotal": 218, "subtotal_text": "£2.18",
     "discounts": [{"name": "£5 off your shop", "amount": 500, "amount_text": "-£5.00"}],
     "savings": 500, "savings_text": "£5.00",
     "total": 218, "total_text": "£2.18", "total_estimated": false,
     "customer": {"name": "Alice S.", "tier": "Gold", "balance": 1200, "balance_provisional": false,
                  "progress": "Only 2 points to £5 off your shop.",
                  "next_reward": {"name": …, "cost": 500, "points_needed": 2} | null,
                  "referral_code": "ABCD-EFGH" | null} | null,
     "points_this_sale": 12 | null, "points_estimated": false,
     "enrolment": {"request_id": "…", "terms_version": "2026-01", "privacy_notice": "…",
                   "marketing_question": "…", "answer": null | {"accepted": true, "marketing": false}} | null,
     "thank_you": {"total_text": "£2.18", "change_text": "£0.00" | null, "points_earned": 12 | null,
                   "points_pending": false, "balance": 1212 | null, "referral_points": 0,
                   "referral_code": "ABCD-EFGH" | null,
                   "emailed_text": "Receipt e-mailed to j•••@example.com" | ""} | null}

The referral code is the customer's own, to give friends (not a secret: it is on their receipts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pos_core.customer_words import held_for_review, progress_sentence, short_name
from pos_core.loyalty_models import AccountSummary, Quote
from pos_core.money import format_money
from pos_core.receipt_by_email import receipt_words
from pos_core.sale import CompletedSale, Sale
from pos_core.shown_text import printable

Json = dict[str, Any]

MARKETING_QUESTION = "Would you like offers by text or e-mail? (optional)"
# The customer gives the address to the cashier, who types it; only the choice is made here.
EMAIL_RECEIPTS_QUESTION = "E-mail me my receipts (tell the cashier your address)"


@dataclass(frozen=True, slots=True)
class ConsentQuestion:
    """The enrolment's consent, as asked on the customer's side of the till."""

    request_id: str
    terms_version: str
    privacy_notice: str
    # None until the customer answers on the display: {"accepted": bool, "marketing": bool}, with
    # "email_receipts": bool when the page asked it.
    answer: Json | None = None


def _line(name: str, quantity: int, amount: int, currency: str) -> Json:
    return {"name": printable(name), "quantity": quantity, "amount": amount,
            "amount_text": format_money(amount, currency)}


def _customer(customer: AccountSummary) -> Json:
    reward = customer.next_reward
    balance = customer.balance + customer.pending_points
    return {
        "name": short_name(customer.display_name),
        "tier": printable(customer.tier.name),
        "balance": balance,
        "balance_provisional": customer.provisional or bool(customer.pending_points),
        "progress": progress_sentence(customer),
        "next_reward": None if reward is None else {
            "name": printable(reward.name), "cost": reward.cost, "points_needed": reward.points_needed},
        "referral_code": _referral_code(customer),
    }


def _referral_code(customer: AccountSummary | None) -> str | None:
    code = customer.referral_code if customer is not None else None
    return printable(code) if code else None


def sale_begun(sale: Sale | None) -> bool:
    """A sale the customer can see under way: an item rung up or a customer identified. Until
    then the last customer's thank-you stays on their screen."""
    return sale is not None and (bool(sale.basket.lines) or sale.customer is not None)


def build_view(
    *,
    store: str,
    currency: str,
    training: bool = False,
    sale: Sale | None = None,
    quote: Quote | None = None,
    paying: bool = False,
    consent: ConsentQuestion | None = None,
    thanks: CompletedSale | None = None,
) -> Json:
    """The document for the till as it stands (``version`` is the feed's to set)."""
    view: Json = {
        "version": 0, "phase": "welcome", "store": printable(store), "training": training, "currency": currency,
        "lines": [], "last_item": None, "subtotal": 0, "subtotal_text": format_money(0, currency),
        "discounts": [], "savings": 0, "savings_text": format_money(0, currency),
        "total": 0, "total_text": format_money(0, currency), "total_estimated": False,
        "customer": None, "points_this_sale": None, "points_estimated": False,
        "enrolment": None, "thank_you": None,
    }
    open_sale = sale_begun(sale)
    if thanks is not None and not open_sale:
        return view | _thank_you(thanks)
    if sale is not None:
        currency = sale.currency
        lines = [_line(line.product.name, line.quantity, line.line_total, currency) for line in sale.basket.lines]
        subtotal = sale.basket.subtotal
        priced = quote is not None and sale.customer is not None
        total = quote.total if priced else subtotal
        discounts = [
            {"name": printable(d.name), "amount": d.amount, "amount_text": format_money(-d.amount, currency)}
            for d in (quote.discounts if priced else ())
        ]
        savings = sum(d["amount"] for d in discounts)
        view |= {
            "phase": "paying" if paying else ("basket" if open_sale else "welcome"),
            "currency": currency,
            "lines": lines,
            "last_item": lines[-1] if lines else None,
            "subtotal": subtotal, "subtotal_text": format_money(subtotal, currency),
            "discounts": discounts,
            "savings": savings, "savings_text": format_money(savings, currency),
            "total": total, "total_text": format_money(total, currency),
            "total_estimated": bool(priced and quote.estimated),
            "customer": _customer(sale.customer) if sale.customer is not None else None,
            "points_this_sale": quote.points_earned if priced else None,
            "points_estimated": bool(priced and quote.estimated),
        }
    if consent is not None:
        view |= {
            "phase": "enrolling",
            "enrolment": {
                "request_id": consent.request_id,
                "terms_version": printable(consent.terms_version),
                "privacy_notice": printable(consent.privacy_notice),
                "marketing_question": MARKETING_QUESTION,
                "email_receipts_question": EMAIL_RECEIPTS_QUESTION,
                "answer": consent.answer,
            },
        }
    return view


def _thank_you(done: CompletedSale) -> Json:
    currency = done.sale.currency
    loyalty = done.loyalty
    customer = done.sale.customer
    if loyalty is not None:
        earned: int | None = loyalty.points_earned
        balance: int | None = loyalty.balance
    elif done.points_pending and customer is not None:
        earned = done.points_expected
        balance = None
    else:
        earned = balance = None
    return {
        "phase": "thank_you",
        "currency": currency,
        "thank_you": {
            "total_text": format_money(done.total, currency),
            "change_text": format_money(done.change, currency) if done.change else None,
            "points_earned": earned,
            "points_pending": bool(done.points_pending),
            "points_held_text": held_for_review(loyalty.points_held_for_review) if loyalty is not None else "",
            "balance": balance,
            "name": short_name(customer.display_name) if customer is not None else "",
            "referral_points": loyalty.referral_points if loyalty is not None else 0,
            "referral_code": _referral_code(customer),
            # Where the receipt was e-mailed, the address masked (pos_core/receipt_by_email.py).
            "emailed_text": printable(receipt_words(done) or ""),
        },
    }
