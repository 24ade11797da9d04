"""What can go wrong talking to the loyalty platform, as types the apps turn into plain words."""

from __future__ import annotations


class LoyaltyError(Exception):
    """Base class. ``code`` is the contract's error code when the service gave one."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class LoyaltyUnavailable(LoyaltyError):
    """No usable answer in time: refused, timed out, a 5xx, or a reply that is not the contract.

    ``retry_after`` is the service's own Retry-After (429, 503), in seconds, when it gave one.
    """

    def __init__(self, message: str, *, code: str = "", status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, code=code, status=status)
        self.retry_after = retry_after


class LoyaltyAuthError(LoyaltyError):
    """The service refused the till's API key (401)."""


class UnknownCustomer(LoyaltyError):
    """Nobody matches what the customer presented (404 unknown_customer)."""


class InvalidValue(LoyaltyError):
    """The service could not use a value: a malformed id, an invalid phone number (422)."""


class AlreadyEnrolled(LoyaltyError):
    """The phone number already has an account (409 already_enrolled)."""


class RewardNotAvailable(LoyaltyError):
    """A chosen reward is unknown, does not apply to the basket, or cannot be paid for."""


class IdempotencyConflict(LoyaltyError):
    """The sale id was already used for another sale (409 idempotency_conflict)."""


class RequestRefused(LoyaltyError):
    """Any other refusal (4xx): the request will not succeed by sending it again."""


class SaleBatchesUnsupported(LoyaltyError):
    """The service has no ``POST /v1/sales/batch`` (404 or 405 there): send sales one by one."""


class AnonymousSalesUnsupported(LoyaltyError):
    """The service has no ``POST /v1/anonymous-sales`` (404 or 405 there): sales without a
    customer stay queued for a service that counts them."""


class NotFound(LoyaltyError):
    """The account or sale does not exist (404 not_found)."""


class RewardsNeedTheService(LoyaltyError):
    """Rewards cannot be used while the service is away (two tills could spend the same points)."""
