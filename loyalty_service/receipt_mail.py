"""The sender of the durable e-mail queue (``receipt_emails``): digital receipts to the SMTP relay
given by ``--smtp-url``, retried, never twice.

Every service process may run a sender; each row is claimed with a lease in a write transaction
(a conditional UPDATE, so of processes racing for it one wins), sent, then marked sent. Should a
process die between the relay's accept and the mark, the lease runs out and the row is sent again
with the same ``Message-ID`` (made from the sale), so a relay can drop the duplicate. Temporary
refusals (4xx, connection refused, a timeout) are retried after a growing delay; permanent ones
(5xx) mark the row failed with the reason. Without ``--smtp-url`` nothing is sent: rows wait.
"""

from __future__ import annotations

import argparse
import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from loyalty_service import digital_receipts
from loyalty_service.clock import utc_now
from loyalty_service.database import Connection, Database, write_transaction
from loyalty_service.email_addresses import masked
from loyalty_service.program import Program
from loyalty_service.receipt_message import receipt_message
from loyalty_service.receipt_view import receipt_view
from loyalty_service.schemas import Sale

log = logging.getLogger("loyalty_service.receipt_mail")

MAX_ATTEMPTS = 10
MAX_DELAY_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Relay:
    """Where e-mail goes: ``smtp://[user:pass@]host[:port][?starttls=true]`` or ``smtps://…``."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    user: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> Relay:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("--smtp-url takes smtp://[user:pass@]host[:port][?starttls=true] or smtps://…")
        query = parse_qs(parts.query)
        unknown = set(query) - {"starttls"}
        if unknown:
            raise ValueError(f"--smtp-url: unknown parameter {', '.join(sorted(unknown))}")
        starttls = query.get("starttls", ["false"])[-1].lower() in ("1", "true", "yes")
        implicit = parts.scheme == "smtps"
        return cls(parts.hostname, parts.port or (465 if implicit else 587 if starttls else 25), implicit, starttls,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)

    def shown(self) -> str:
        """For the log: never the password."""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class MailSettings:
    relay: Relay | None  # None: nothing is sent, rows wait
    mail_from: str
    public_url: str | None
    retry_seconds: float = 30.0  # the first retry's delay; doubled each time
    timeout_seconds: float = 20.0
    lease_seconds: float = 120.0  # a claimed row is another sender's again after this


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smtp-url", metavar="URL",
                        help="the relay digital receipts are e-mailed through: smtp://[user:pass@]host[:port]"
                             "[?starttls=true] or smtps://… (default: none; e-mails wait in the queue)")
    parser.add_argument("--mail-from", default="receipts@localhost", metavar="ADDRESS",
                        help="the receipts' From address (default receipts@localhost)")
    parser.add_argument("--smtp-retry-seconds", type=float, default=30.0, metavar="SECONDS",
                        help="the delay before a refused e-mail is tried again, doubled each time up to an hour"
                             " (default 30)")


def settings_from(args: argparse.Namespace) -> MailSettings:
    """ValueError for a malformed --smtp-url."""
    relay = Relay.parse(args.smtp_url) if args.smtp_url else None
    return MailSettings(relay, args.mail_from, args.public_url, retry_seconds=max(0.01, args.smtp_retry_seconds))


# -- the queue ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claimed:
    sale_id: str
    address: str
    attempts: int  # this one included


def claim(conn: Connection, now_ms: int, lease_ms: int) -> Claimed | None:
    """The next row due, leased to this sender; None when none is. Of senders racing for a row
    the conditional UPDATE lets one have it."""
    with write_transaction(conn):
        row = conn.execute(
            "SELECT sale_id, address, attempts FROM receipt_emails WHERE status = 'queued' AND next_attempt_ms <= ?"
            " AND lease_until_ms <= ? ORDER BY next_attempt_ms LIMIT 1", (now_ms, now_ms)).fetchone()
        if row is None:
            return None
        taken = conn.execute(
            "UPDATE receipt_emails SET lease_until_ms = ?, attempts = attempts + 1"
            " WHERE sale_id = ? AND status = 'queued' AND lease_until_ms <= ?",
            (now_ms + lease_ms, row["sale_id"], now_ms)).rowcount
    if not taken or row["address"] is None:
        return None
    return Claimed(row["sale_id"], row["address"], int(row["attempts"]) + 1)


def mark_sent(conn: Connection, sale_id: str) -> None:
    with write_transaction(conn):
        conn.execute("UPDATE receipt_emails SET status = 'sent', sent_at = ?, address = NULL, last_error = NULL,"
                     " lease_until_ms = 0 WHERE sale_id = ?", (utc_now(), sale_id))


def mark_failed(conn: Connection, sale_id: str, reason: str) -> None:
    with write_transaction(conn):
        conn.execute("UPDATE receipt_emails SET status = 'failed', address = NULL, last_error = ?, lease_until_ms = 0"
                     " WHERE sale_id = ? AND status = 'queued'", (reason[:300], sale_id))


def retry_later(conn: Connection, sale_id: str, reason: str, delay_seconds: float) -> None:
    with write_transaction(conn):
        conn.execute("UPDATE receipt_emails SET next_attempt_ms = ?, last_error = ?, lease_until_ms = 0"
                     " WHERE sale_id = ? AND status = 'queued'",
                     (int((time.time() + delay_seconds) * 1000), reason[:300], sale_id))


def waiting(conn: Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) AS n FROM receipt_emails WHERE status = 'queued'").fetchone()["n"])


# -- sending ----------------------------------------------------------------------------------------


def refusal(error: Exception) -> tuple[bool, str]:
    """(whether to try again, the reason) for what the relay or the network did."""
    code: int | None = None
    text = ""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, raw = next(iter(error.recipients.values()))
        text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    elif isinstance(error, smtplib.SMTPResponseException):
        code = error.smtp_code
        raw = error.smtp_error
        text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    if code is not None:
        return 400 <= code < 500, f"{code} {' '.join(text.split())}"
    # Disconnected, refused, timed out, TLS failed, no such host: the relay may be back later.
    return True, f"{type(error).__name__}: {error}"


class RelaySession:
    """One connection to the relay, opened when first needed and kept while the queue has more
    (a new connection per e-mail costs more than sending it); dropped on any error."""

    def __init__(self, relay: Relay, timeout: float) -> None:
        self.relay = relay
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: object) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._open()
            else:
                self._smtp.rset()  # a kept connection the relay may have closed meanwhile: found out here
            self._smtp.send_message(message)  # type: ignore[arg-type]
        except smtplib.SMTPServerDisconnected:
            self.close()
            self._smtp = self._open()  # once more on a fresh connection
            self._smtp.send_message(message)  # type: ignore[arg-type]
        except BaseException:
            self.close()
            raise

    def _open(self) -> smtplib.SMTP:
        relay = self.relay
        smtp_class = smtplib.SMTP_SSL if relay.implicit_tls else smtplib.SMTP
        smtp = smtp_class(relay.host, relay.port, timeout=self.timeout)
        try:
            if relay.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if relay.user:
                smtp.login(relay.user, relay.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def send_one(database: Database, program: Program, settings: MailSettings, session: RelaySession) -> bool:
    """Send the next row due through ``session``, if any; whether there was one."""
    with database.connection() as conn:
        claimed = claim(conn, int(time.time() * 1000), int(settings.lease_seconds * 1000))
        if claimed is None:
            return False
        row = conn.execute("SELECT s.answer, d.token FROM sales s JOIN digital_receipts d ON d.sale_id = s.sale_id"
                           " WHERE s.sale_id = ?", (claimed.sale_id,)).fetchone()
        if row is None:
            mark_failed(conn, claimed.sale_id, "the receipt is gone")
            return True
        view = receipt_view(conn, program, Sale.model_validate_json(row["answer"]))
    page = digital_receipts.page_url(settings.public_url, row["token"])
    message = receipt_message(view, claimed.address, settings.mail_from, page)
    try:
        session.send(message)
    except (smtplib.SMTPException, OSError) as error:
        again, reason = refusal(error)
        # The relay's words may quote the address: only its mask is kept or logged.
        reason = reason.replace(claimed.address, masked(claimed.address) or "")
        with database.connection() as conn:
            if again and claimed.attempts < MAX_ATTEMPTS:
                delay = min(MAX_DELAY_SECONDS, settings.retry_seconds * 2 ** (claimed.attempts - 1))
                retry_later(conn, claimed.sale_id, reason, delay)
                log.info("receipt e-mail of sale %s refused for now (%s); again in %.1f s", claimed.sale_id, reason, delay)
            else:
                mark_failed(conn, claimed.sale_id, reason if not again else f"gave up after {claimed.attempts} tries: {reason}")
                log.warning("receipt e-mail of sale %s failed: %s", claimed.sale_id, reason)
        return True
    with database.connection() as conn:
        mark_sent(conn, claimed.sale_id)
    return True


def run_sender(
    database: Database, program: Program, settings: MailSettings, stopping: Callable[[], bool]
) -> threading.Thread | None:
    """The sender's thread, until ``stopping()``; None (said once in the log) without a relay."""
    if settings.relay is None:
        log.warning("no --smtp-url: digital receipts' e-mails wait in the queue, unsent")
        return None
    log.info("digital receipts are e-mailed through %s", settings.relay.shown())
    idle = min(1.0, settings.retry_seconds)
    session = RelaySession(settings.relay, settings.timeout_seconds)

    def loop() -> None:
        while not stopping():
            try:
                if send_one(database, program, settings, session):
                    continue
            except Exception as error:  # noqa: BLE001 - a failed pass (the database away) must not end the sender
                log.warning("the receipt e-mail sender failed: %s", error)
            session.close()  # the queue is empty (or the pass failed): no connection held while idle
            digital_receipts.mail_queued.wait(idle)
            digital_receipts.mail_queued.clear()

    thread = threading.Thread(target=loop, name="receipt-mail", daemon=True)
    thread.start()
    return thread
