"""Proof the customer is there: what a till key needs before it spends a customer's points.

Every identify and enrolment answers a ``presence`` token (``PRS1.<issued>.<nonce>.<signature>``):
HMAC-SHA256, under the service's presence secret, over the token's issue time and nonce, the
account and the till (its store and terminal; for a configured key, the key). It names neither:
the service checks it against the account a request is for and the till whose key sends it, so a
token is good only for that customer at that till.

- A reservation needs a token issued in the last ``RESERVE_SECONDS`` (the customer is at the till).
- A sale that spends points (``rewards`` or ``points_to_spend``) needs one of:
  - a live or expired reservation of the same account made by the same till and not redeemed by
    another sale (it was made with presence), named by ``reservation_id``;
  - a presence token issued in the last ``SALE_SECONDS`` (a sale made offline reaches the service
    later, from the till's outbox: ``offline_rewards = true``);
  - the customer's app QR code (``LQR1.…``, qr_tokens.py) for the same account, expired for at most
    ``SALE_SECONDS``: the signed code the customer showed is the proof, where the till had no way
    to ask the service.
  A proof backs one sale: its nonce is recorded with the sale (``presence_used``), so a captured
  token cannot spend a customer's points twice. A sale that only earns needs no proof.
- Only till keys are asked for proof; configured keys (a demo, one store's own service) are not,
  and HQ keys serve no customer at all.

The secret is ``LOYALTY_PRESENCE_SECRET`` when set, otherwise 256 random bits made once and kept in
the database's ``meta`` table, so every service process on one database shares it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time

from loyalty_service import qr_tokens
from loyalty_service.database import Connection, IntegrityError
from loyalty_service.errors import ApiError
from loyalty_service.schemas import ErrorDetail
from loyalty_service.terminal_keys import KeyHolder

PREFIX = "PRS1"
RESERVE_SECONDS = 30 * 60
SALE_SECONDS = 24 * 3600
SECRET_ENV = "LOYALTY_PRESENCE_SECRET"
_SECRET_KEY = "presence_secret"
_TOKEN = re.compile(r"PRS1\.([0-9]{1,12})\.([A-Z2-7]{16})\.([A-Z2-7]{32})")


def now() -> int:
    """Unix seconds; the tests move it."""
    return int(time.time())


def secret(conn: Connection) -> bytes:
    configured = os.environ.get(SECRET_ENV, "")
    if configured:
        return configured.encode()
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_SECRET_KEY,)).fetchone()
    if row is None:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                     (_SECRET_KEY, secrets.token_hex(32)))
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (_SECRET_KEY,)).fetchone()
    return bytes.fromhex(row["value"])


def _till(holder: KeyHolder) -> str:
    return f"till:{holder.store_id}/{holder.terminal_id}" if holder.bound else f"key:{holder.key_id}"


def _signature(key: bytes, issued: int, nonce: str, account_id: str, till: str) -> str:
    message = "\x1f".join((PREFIX, str(issued), nonce, account_id, till)).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:20]
    return base64.b32encode(digest).decode("ascii").rstrip("=")


def issue(conn: Connection, holder: KeyHolder, account_id: str) -> str:
    """A token saying this customer is at this till now. Call where a write is allowed (the first
    call stores the secret)."""
    issued = now()
    nonce = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    return f"{PREFIX}.{issued}.{nonce}.{_signature(secret(conn), issued, nonce, account_id, _till(holder))}"


def _checked(conn: Connection, holder: KeyHolder, account_id: str, token: str, max_age: int) -> str | None:
    """The token's nonce when it is a presence token of this customer at this till issued in the
    last ``max_age`` seconds; else None."""
    match = _TOKEN.fullmatch(token.strip().upper()) if len(token) <= 80 else None
    if match is None:
        return None
    issued, nonce, signature = int(match[1]), match[2], match[3]
    expected = _signature(secret(conn), issued, nonce, account_id, _till(holder))
    if not hmac.compare_digest(expected, signature):
        return None
    if not (now() - max_age <= issued <= now() + 60):  # a minute's grace for clocks between processes
        return None
    return nonce


def require_for_reservation(conn: Connection, holder: KeyHolder, account_id: str, token: str | None) -> None:
    """403 presence_required unless a till key shows this customer is at its till now."""
    if not holder.bound:
        return
    if token is None or _checked(conn, holder, account_id, token, RESERVE_SECONDS) is None:
        raise presence_required("presence")


def require_for_sale(
    conn: Connection, holder: KeyHolder, sale_id: str, account_id: str, token: str | None,
    reservation_id: str | None,
) -> None:
    """For a sale that spends points: 403 presence_required unless a till key proves the customer
    was there (see the module's opening). Call inside the sale's write transaction, after its
    replay check: a replay needs no new proof."""
    if not holder.bound:
        return
    if reservation_id is not None and _reserved_here(conn, holder, account_id, reservation_id, sale_id):
        return
    if token is None:
        raise presence_required("presence")
    nonce = _checked(conn, holder, account_id, token, SALE_SECONDS)
    if nonce is None:
        nonce = _app_code(conn, account_id, token)
    if nonce is None:
        raise presence_required("presence")
    conn.execute("DELETE FROM presence_used WHERE expires_at <= ?", (now(),))
    try:
        conn.execute("INSERT INTO presence_used (nonce, sale_id, expires_at) VALUES (?, ?, ?)",
                     (nonce, sale_id, now() + 2 * SALE_SECONDS))
    except IntegrityError:
        raise ApiError(403, "presence_required", "That proof of the customer's presence backed another sale.",
                       [ErrorDetail(field="presence", problem="used by another sale")]) from None


def _reserved_here(conn: Connection, holder: KeyHolder, account_id: str, reservation_id: str, sale_id: str) -> bool:
    row = conn.execute(
        "SELECT account_id, store_id, terminal_id, status, sale_id FROM reservations WHERE reservation_id = ?",
        (reservation_id,),
    ).fetchone()
    return (
        row is not None and row["account_id"] == account_id
        and (row["store_id"], row["terminal_id"]) == (holder.store_id, holder.terminal_id)
        and (row["status"] != "redeemed" or row["sale_id"] == sale_id)
    )


def _app_code(conn: Connection, account_id: str, token: str) -> str | None:
    """The nonce of the customer's signed app code for this account, good or expired for at most
    SALE_SECONDS; else None."""
    named = qr_tokens.verified(conn, token)
    if named is None:
        return None
    code_account, expires, nonce = named
    if code_account != account_id or expires + SALE_SECONDS < now():
        return None
    return "qr:" + nonce


def presence_required(field: str) -> ApiError:
    return ApiError(403, "presence_required",
                    "Spending points needs proof the customer is at this till: identify them here first.",
                    [ErrorDetail(field=field, problem="no proof the customer is here")])
