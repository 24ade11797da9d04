"""The receipt e-mail queue's rules on a real SQLite database, without a service: a row leased to
one sender is no other's until its lease runs out (then it is sent again under the same Message-ID,
for the relay to drop); a sent row is never claimed again; which refusals are retried; --smtp-url."""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest

from loyalty_service.database import open_database, write_transaction
from loyalty_service.digital_receipts import keep
from loyalty_service.receipt_mail import Relay, claim, mark_sent, refusal
from loyalty_service.receipt_message import message_id

SALE = "0b6c1d7e-4a59-4f7e-9d2c-1e2f3a4b5c6d"


def test_a_leased_row_is_one_sender_s_until_the_lease_runs_out_and_a_sent_one_is_done(tmp_path: Path) -> None:
    database = open_database(tmp_path / "loyalty.db")
    database.create_schema()
    try:
        with database.connection() as conn:
            with write_transaction(conn):
                conn.execute("INSERT INTO accounts (account_id, name, phone, created_at) VALUES ('acc_1', 'A', '+1', 't')")
                conn.execute("INSERT INTO sales (sale_id, request_hash, account_id, store_id, terminal_id, answer,"
                             " created_at) VALUES (?, 'h', 'acc_1', 's', 't', '{}', 't')", (SALE,))
                keep(conn, SALE, "acc_1", "a@example.org")
            now = 10**13  # Unix ms, past the row's due time
            first = claim(conn, now, 1000)
            assert first is not None and (first.sale_id, first.address, first.attempts) == (SALE, "a@example.org", 1)
            assert claim(conn, now + 999, 1000) is None  # another sender, while the lease holds
            again = claim(conn, now + 1000, 1000)  # the first died between the relay's accept and the mark
            assert again is not None and again.attempts == 2
            assert message_id(SALE, "r@shop.example") == f"<receipt.{SALE}@shop.example>"  # the same both times
            mark_sent(conn, SALE)
            assert claim(conn, now + 10**9, 1000) is None
            row = conn.execute("SELECT status, address FROM receipt_emails").fetchone()
            assert (row["status"], row["address"]) == ("sent", None)
    finally:
        database.close()


@pytest.mark.parametrize(("error", "again", "reason"), [
    (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"5.1.1 no such user")}), False, "550 5.1.1 no such user"),
    (smtplib.SMTPDataError(451, b"4.3.0 try later"), True, "451 4.3.0 try later"),
    (smtplib.SMTPSenderRefused(553, b"5.7.1 not allowed", "r@x"), False, "553 5.7.1 not allowed"),
    (ConnectionRefusedError(111, "Connection refused"), True, "ConnectionRefusedError"),
    (TimeoutError("timed out"), True, "TimeoutError"),
    (smtplib.SMTPServerDisconnected("gone"), True, "SMTPServerDisconnected"),
])
def test_temporary_refusals_are_retried_and_permanent_ones_are_not(error: Exception, again: bool, reason: str) -> None:
    retried, said = refusal(error)
    assert retried is again and said.startswith(reason)


def test_the_smtp_url_names_the_relay_and_its_log_form_hides_the_password() -> None:
    relay = Relay.parse("smtp://mailer:p%40ss@relay.example:2525?starttls=true")
    assert (relay.host, relay.port, relay.starttls, relay.implicit_tls, relay.user, relay.password) == (
        "relay.example", 2525, True, False, "mailer", "p@ss")
    assert relay.shown() == "smtp://relay.example:2525"
    assert (Relay.parse("smtps://relay.example").port, Relay.parse("smtp://relay.example").port) == (465, 25)
    for wrong in ("http://relay.example", "smtp://", "smtp://relay.example?tls=1"):
        with pytest.raises(ValueError):
            Relay.parse(wrong)
