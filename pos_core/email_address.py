"""An e-mail address as the till handles one for an e-mailed receipt: checked (syntax only, with
``email-validator``: no DNS lookup from a till) before it is sent, and masked whenever it is shown.

The full address is typed once and goes to the service in the sale or enrolment body; a till or a
customer display only ever shows ``mask_email``'s form ("j•••@example.com"), the contract's mask.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254  # the contract's limit (and RFC 5321's)
MASK = "•••"


class InvalidEmail(ValueError):
    """An address that cannot be an e-mail address; the message is for the person at the till."""


def checked_email(text: str) -> str:
    """The address typed, normalised (the domain in lower case), or InvalidEmail in plain words."""
    address = text.strip()
    if not address:
        raise InvalidEmail("Type the customer's e-mail address.")
    if len(address) > MAX_LENGTH:
        raise InvalidEmail("That e-mail address is too long: check it with the customer.")
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        # email-validator's own words quote the address back: never shown, never logged.
        raise InvalidEmail("That is not an e-mail address: check it (like name@example.com).") from None


def mask_email(address: str) -> str:
    """The address as a till may show it: its first character, ``•••``, then the whole domain."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        return MASK
    return f"{local[0]}{MASK}@{domain}"
