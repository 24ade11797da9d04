"""The app's QR code: a signed, expiring, single-use token that names an account.

``LQR1.<account>.<expiry>.<nonce>.<signature>`` (docs/loyalty-api-v1.md, "App QR tokens"):

- ``account``: the account id in base32 (RFC 4648, upper case, no padding);
- ``expiry``: Unix seconds; the token is good while the service's clock is before it;
- ``nonce``: 80 random bits in base32 (16 characters), recorded when the token is used so it cannot
  be used twice;
- ``signature``: HMAC-SHA256 over everything before it (``LQR1.<account>.<expiry>.<nonce>``) under the
  service's secret, truncated to 160 bits, base32 (32 characters).

Every character is in QR's alphanumeric set (digits, A–Z, ``.``), so the code stays small; a token for
one of this service's account ids is 92 characters. The secret is ``LOYALTY_QR_SECRET`` when set
(every instance of a service sharing a database must then share it), otherwise 256 random bits made
once and kept in the database's ``meta`` table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from loyalty_service import accounts
from loyalty_service.database import Connection, IntegrityError
from loyalty_service.errors import ApiError
from loyalty_service.program import Program
from loyalty_service.schemas import AccountSummary, ErrorDetail, RequestBody

PREFIX = "LQR1"
DEFAULT_TTL_SECONDS = 300
MAX_TTL_SECONDS = 600
MAX_LENGTH = 120
SECRET_ENV = "LOYALTY_QR_SECRET"
_SECRET_KEY = "qr_token_secret"
_SIGNATURE_BYTES = 20  # 160 bits: well above the 128 a forger would have to guess
_TOKEN = re.compile(r"LQR1\.([A-Z2-7]{1,80})\.([0-9]{1,12})\.([A-Z2-7]{16})\.([A-Z2-7]{32})")


class QrTokenRequest(RequestBody):
    ttl_seconds: int = Field(
        default=DEFAULT_TTL_SECONDS, ge=1, le=MAX_TTL_SECONDS, description="how long the token is good for"
    )


class QrToken(BaseModel):
    token: str
    expires_at: str


def is_token(value: str) -> bool:
    """The value claims to be a signed token (as opposed to a card's static ``LOYALTY:`` payload)."""
    return value.strip().upper().startswith(PREFIX + ".")


def secret(conn: Connection) -> bytes:
    """The signing key: from the environment, or made once and kept in ``meta``."""
    configured = os.environ.get(SECRET_ENV, "")
    if configured:
        return configured.encode()
    # Insert if missing, then read: two first callers at once still end up with one key.
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                 (_SECRET_KEY, secrets.token_hex(32)))
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_SECRET_KEY,)).fetchone()
    return bytes.fromhex(row["value"])


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _signature(key: bytes, signed_part: str) -> str:
    return _b32(hmac.new(key, signed_part.encode("ascii"), hashlib.sha256).digest()[:_SIGNATURE_BYTES])


def sign(key: bytes, account_id: str, expires: int, nonce: str | None = None) -> str:
    """A token for ``account_id`` good until ``expires`` (Unix seconds)."""
    nonce = nonce or _b32(secrets.token_bytes(10))
    signed_part = f"{PREFIX}.{_b32(account_id.encode())}.{expires}.{nonce}"
    return f"{signed_part}.{_signature(key, signed_part)}"


def rfc3339(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).isoformat().replace("+00:00", "Z")


def issue(conn: Connection, account_id: str, ttl_seconds: int, now: float | None = None) -> QrToken:
    """Call inside a write transaction (the first call stores the secret)."""
    # An erased account (privacy.py) gets no new token.
    if conn.execute("SELECT 1 FROM accounts WHERE account_id = ? AND erased_at IS NULL", (account_id,)).fetchone() is None:
        raise ApiError(404, "not_found", "There is no such account.")
    expires = int(now if now is not None else time.time()) + ttl_seconds
    token = sign(secret(conn), account_id, expires)
    if len(token) > MAX_LENGTH:
        raise ApiError(422, "invalid_value", "That account id is too long for an app code.")
    return QrToken(token=token, expires_at=rfc3339(expires))


def verified(conn: Connection, value: str) -> tuple[str, int, str] | None:
    """(account id, expiry, nonce) of a token this service signed, expired or not, used or not;
    None for anything else. For a proof of presence (presence.py), not for identifying."""
    token = value.strip().upper()
    match = _TOKEN.fullmatch(token) if len(token) <= MAX_LENGTH else None
    if match is None:
        return None
    signed_part, _, signature = token.rpartition(".")
    if not hmac.compare_digest(_signature(secret(conn), signed_part), signature):
        return None
    try:
        account_id = base64.b32decode(match[1] + "=" * (-len(match[1]) % 8)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return account_id, int(match[2]), match[3]


def redeem(conn: Connection, value: str, now: float | None = None) -> str:
    """The account a token names, once: call inside a write transaction, which records its nonce."""
    named = verified(conn, value)
    if named is None:
        raise _invalid()
    account_id, expires, nonce = named
    current = int(now if now is not None else time.time())
    if current >= expires:
        raise ApiError(422, "qr_expired", "That app code has expired; the customer can show a fresh one.",
                       [ErrorDetail(field="value", problem="expired")])
    # Nonces of expired tokens are no longer needed: the expiry alone refuses those tokens.
    conn.execute("DELETE FROM qr_token_nonces WHERE expires_at <= ?", (current,))
    try:
        conn.execute("INSERT INTO qr_token_nonces (nonce, expires_at) VALUES (?, ?)", (nonce, expires))
    except IntegrityError:
        raise ApiError(422, "qr_replayed", "That app code was already used; the customer can show a fresh one.",
                       [ErrorDetail(field="value", problem="already used")]) from None
    return account_id


def identify(conn: Connection, program: Program, value: str) -> AccountSummary:
    """Identify by token; call inside a write transaction."""
    account_id = redeem(conn, value)
    if conn.execute("SELECT 1 FROM accounts WHERE account_id = ?", (account_id,)).fetchone() is None:
        raise ApiError(404, "unknown_customer", "No customer matches that qr.")
    return accounts.summary(conn, program, account_id)


def _invalid() -> ApiError:
    return ApiError(422, "invalid_value", "That qr value is malformed.",
                    [ErrorDetail(field="value", problem="not a valid app code")])
