"""Errors in the words a cashier needs: what happened, then what to do next."""

from __future__ import annotations

from pos_core.catalog import CatalogError
from pos_core.checkout import PaymentError
from pos_core.loyalty_errors import (
    AlreadyEnrolled,
    IdempotencyConflict,
    InvalidValue,
    LoyaltyAuthError,
    LoyaltyError,
    LoyaltyUnavailable,
    NotFound,
    RewardNotAvailable,
    RewardsNeedTheService,
    UnknownCustomer,
)
from pos_core.email_address import InvalidEmail
from pos_core.money import InvalidAmount
from pos_core.phone_number import InvalidPhoneNumber


# What the customer presented, in the words for "ask them for something else".
_PRESENTED = {"card": "card", "qr": "app code", "nfc": "card or tag", "phone": "number"}


def cashier_message(error: BaseException, method: str = "phone") -> str:
    """One or two plain sentences; never a stack trace, never the customer's number.

    ``method`` is how the customer identified, when the error is about that.
    """
    if method != "phone" and isinstance(error, UnknownCustomer):
        return (
            f"No member has this {_PRESENTED.get(method, 'card')}. Ask for their phone number (F2),"
            " or enrol them with it."
        )
    match error:
        case InvalidValue(code="qr_expired"):
            return "This app code has expired. Ask the customer to refresh it in their app, then scan again."
        case InvalidValue(code="qr_replayed"):
            return "This app code was already used. Ask the customer to refresh it in their app, then scan again."
        case InvalidValue(code="unknown_referral_code"):
            return "No member has that referral code. Check it with the customer, or leave it empty."
        case InvalidValue(code="referral_own_phone"):
            return "That referral code is this phone number's own account: a member cannot refer themselves."
        case InvalidValue(code="invalid_email"):
            return "The loyalty service says that is not an e-mail address. Check it with the customer, or leave it empty."
        case InvalidValue(code="email_required"):
            return "There is no e-mail address for this customer. Type one, or give a paper receipt."
        case InvalidPhoneNumber() | PaymentError() | InvalidAmount() | InvalidEmail():
            return str(error)
        case LoyaltyUnavailable(code="rate_limited"):
            wait = f"about {max(1, round(error.retry_after))} s" if error.retry_after else "a minute"
            return (
                f"Too many lookups on this till found nobody, so lookups are paused for {wait}."
                " Carry on with the sale; try the customer again then, or sell without points."
            )
        case LoyaltyUnavailable():
            return (
                "The loyalty service is not answering. Carry on with the sale; try the customer"
                " again in a moment, or sell without points."
            )
        case LoyaltyAuthError():
            return "This till's loyalty key was refused. Sell without points and call IT to check the key."
        case UnknownCustomer():
            return "No member has that number. Check it with the customer, or enrol them."
        case AlreadyEnrolled():
            return "That number is already a member. Press F2 and look them up instead."
        case InvalidValue():
            return "The loyalty service could not read that. Check it with the customer and try again."
        case RewardsNeedTheService():
            return "Rewards cannot be used while the loyalty service is offline. Press F3 and untick them, then pay."
        case RewardNotAvailable(code="presence_required"):
            return (
                "Rewards need the customer identified at this till. Scan their card or app, or type"
                " their number, then choose the reward again."
            )
        case RewardNotAvailable():
            return "That reward cannot be used on this basket. Check what it needs, or leave it off."
        case IdempotencyConflict():
            return "This sale's number was already used. Void the sale and ring it up again."
        case NotFound():
            return "The loyalty service no longer knows that customer. Identify them again."
        case LoyaltyError():
            return "The loyalty service refused the request. Sell without points; tell your supervisor."
        case CatalogError():
            return f"The product list could not be loaded ({error}). Call IT."
        case _:
            return "Something went wrong. The sale is still open; try again, or call your supervisor."
