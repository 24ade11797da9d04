"""Customers' e-mail addresses: checked (syntax only, no DNS), stored normalised, and masked for a
till, which never gets one in full ("j•••@example.com")."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from loyalty_service.errors import ApiError
from loyalty_service.schemas import ErrorDetail

MAX_LENGTH = 254


def normalised_email(text: str, field: str) -> str:
    """The address normalised, or 422 invalid_email with a detail on ``field``."""
    try:
        checked = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError:
        # The address itself is never echoed back: it is personal data.
        raise ApiError(422, "invalid_email", "That is not a valid e-mail address.",
                       [ErrorDetail(field=field, problem="not a valid e-mail address")]) from None
    if len(checked.normalized) > MAX_LENGTH:
        raise ApiError(422, "invalid_email", "That e-mail address is too long.",
                       [ErrorDetail(field=field, problem=f"longer than {MAX_LENGTH} characters")])
    return checked.normalized


def email_required(field: str) -> ApiError:
    return ApiError(422, "email_required", "An e-mailed receipt needs an e-mail address.",
                    [ErrorDetail(field=field, problem="no e-mail address given or on file")])


def masked(address: str | None) -> str | None:
    """The first character of the local part, •••, then the whole domain; None for None."""
    if not address:
        return None
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}"
