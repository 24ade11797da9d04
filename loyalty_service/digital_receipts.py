"""Each member sale's digital receipt: a row with its page's unguessable token (``GET /r/{token}``,
receipt_page.py), and the e-mail queued for it when the customer chose one (receipt_mail.py sends it).

Made in the sale's own transaction, so a replay finds the same token and queues nothing new. What
the page and the e-mail show is read from the sale as stored; only the token and the masked address
are kept here. The sale's answer carries ``digital_receipt`` (its url only with ``--public-url``).
"""

from __future__ import annotations

import secrets
import threading
import time

from loyalty_service.clock import utc_now
from loyalty_service.database import Connection
from loyalty_service.email_addresses import email_required, masked, normalised_email
from loyalty_service.schemas import DigitalReceipt, SaleRequest

TOKEN_BYTES = 24  # 192 random bits

# Set once a sale queued an e-mail in this process, so its sender need not wait for its next look.
mail_queued = threading.Event()


def receipt_address(conn: Connection, body: SaleRequest) -> str | None:
    """Where this sale's receipt is e-mailed, or None: the sale's own address, else the account's
    when the sale or the account's standing choice asks for one; 422 when none can be had."""
    if body.receipt_email is not None:
        return normalised_email(body.receipt_email, "receipt_email")
    if body.email_receipt is False:
        return None
    row = conn.execute("SELECT email, email_receipts FROM accounts WHERE account_id = ? AND erased_at IS NULL",
                       (body.account_id,)).fetchone()
    if row is None:
        return None  # the sale is refused as for an unknown account
    wanted = body.email_receipt if body.email_receipt is not None else bool(row["email_receipts"])
    if not wanted:
        return None
    if not row["email"]:
        raise email_required("email_receipt")
    return row["email"]


def keep(conn: Connection, sale_id: str, account_id: str, address: str | None) -> None:
    """The new sale's receipt, and its e-mail queued when ``address``. In the sale's transaction."""
    stamp = utc_now()
    conn.execute(
        "INSERT INTO digital_receipts (sale_id, token, account_id, emailed_to, created_at) VALUES (?, ?, ?, ?, ?)",
        (sale_id, secrets.token_urlsafe(TOKEN_BYTES), account_id, masked(address), stamp),
    )
    if address is not None:
        conn.execute(
            "INSERT INTO receipt_emails (sale_id, address, status, next_attempt_ms, created_at)"
            " VALUES (?, ?, 'queued', ?, ?)",
            (sale_id, address, int(time.time() * 1000), stamp),
        )


def answer_for(conn: Connection, sale_id: str, public_url: str | None) -> DigitalReceipt:
    """What the sale's answer says of its receipt. A sale from before receipts, or whose customer's
    data was erased (privacy.py), has none: no link, no e-mail."""
    row = conn.execute("SELECT token, emailed_to FROM digital_receipts WHERE sale_id = ?", (sale_id,)).fetchone()
    if row is None:
        return DigitalReceipt(url=None, emailed_to=None)
    return DigitalReceipt(url=page_url(public_url, row["token"]), emailed_to=row["emailed_to"])


def page_url(public_url: str | None, token: str) -> str | None:
    return f"{public_url.rstrip('/')}/r/{token}" if public_url else None


def exported(conn: Connection, account_id: str) -> list[dict[str, object]]:
    """The account's digital receipts for its export (privacy.py): which sale, e-mailed where
    (masked) and how the e-mail fared."""
    return [{key: row[key] for key in row.keys()} for row in conn.execute(
        "SELECT d.sale_id, d.emailed_to, d.created_at, e.status AS email_status, e.sent_at AS email_sent_at"
        " FROM digital_receipts d LEFT JOIN receipt_emails e ON e.sale_id = d.sale_id WHERE d.account_id = ?"
        " ORDER BY d.created_at, d.sale_id", (account_id,)).fetchall()]


def erase(conn: Connection, account_id: str) -> None:
    """The customer's erasure (privacy.py): their address and choice, the addresses of their e-mails
    still queued (never sent now), and their receipts (the pages answer 404). Survey answers stay:
    they name a store, a till and SKUs, not the customer."""
    conn.execute("UPDATE accounts SET email = NULL, email_receipts = 0 WHERE account_id = ?", (account_id,))
    conn.execute(
        "UPDATE receipt_emails SET address = NULL, status = CASE WHEN status = 'queued' THEN 'failed' ELSE status END,"
        " last_error = CASE WHEN status = 'queued' THEN 'erased' ELSE last_error END"
        " WHERE sale_id IN (SELECT sale_id FROM digital_receipts WHERE account_id = ?)", (account_id,))
    conn.execute("DELETE FROM digital_receipts WHERE account_id = ?", (account_id,))
