"""Errors in the words a shopper at a kiosk needs: what happened and what they can do, never a code."""

from __future__ import annotations

from pos_core.email_address import InvalidEmail
from pos_core.loyalty_errors import (
    AlreadyEnrolled,
    InvalidValue,
    LoyaltyError,
    LoyaltyUnavailable,
    RewardNotAvailable,
    RewardsNeedTheService,
    UnknownCustomer,
)
from pos_core.outbox import OutboxError
from pos_core.phone_number import InvalidPhoneNumber


def shopper_message(error: BaseException, method: str = "phone") -> str:
    """``method`` is how the shopper signed in, when the error is about that."""
    if method != "phone" and isinstance(error, UnknownCustomer):
        return "We couldn't find a rewards account for that card or code. Try your phone number instead."
    match error:
        case InvalidValue(code="qr_expired") | InvalidValue(code="qr_replayed"):
            return "That code has expired. Please refresh it in the app and scan again."
        case InvalidValue(code="unknown_referral_code"):
            return "We couldn't find that referral code. Please check it, or leave it empty."
        case InvalidValue(code="referral_own_phone"):
            return "That referral code belongs to this phone number, so it can't be used to join."
        case InvalidValue(code="invalid_email") | InvalidEmail():
            return "Please check your e-mail address (like name@example.com), or leave it empty."
        case InvalidPhoneNumber():
            return "That number doesn't look right. Please check it and try again."
        case UnknownCustomer():
            return "We couldn't find an account with that number."
        case AlreadyEnrolled():
            return "That number already has an account. Go back and enter it to sign in."
        case RewardsNeedTheService():
            return "Rewards can't be used just now. You'll still collect points for this shop."
        case RewardNotAvailable(code="presence_required"):
            return "Please scan your card or app again to use a reward."
        case RewardNotAvailable():
            return "That reward can't be used on this basket."
        case LoyaltyUnavailable():
            return "Rewards are taking a break. You can still pay, and your points will be added later."
        case OutboxError():
            return "Sorry, this kiosk can't finish your payment. Please call for assistance."
        case LoyaltyError():
            return "Sorry, we can't reach your rewards right now. You can still pay as normal."
        case _:
            return "Sorry, something went wrong. Please call for assistance."
