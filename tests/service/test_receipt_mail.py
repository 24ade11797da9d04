"""The durable e-mail queue against a real SMTP server on loopback (aiosmtpd), both databases: a
sale's receipt reaches the relay once, a 451 retried, a replay and two service processes (or
``--workers 2``) sending it once still, a 550 marked failed with its reason; without
``--smtp-url`` it waits, and the log and /v1/health say so."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pos_core.embedded_service import RunningService, launch_service, start_service
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, line, post_sale, sale_body
from tests.service.conftest import client_for
from tests.service.smtp_relay import LoopbackRelay, free_port
from tests.service.stored import rows
from tests.service_fork_server import run_service_command
from tests.waiting import wait_until

HOSTILE = "<b>Loaf</b> & <script>alert(1)</script>"


@pytest.fixture(scope="module")
def relay() -> Iterator[LoopbackRelay]:
    started = LoopbackRelay().start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def mail_relay(relay: LoopbackRelay) -> LoopbackRelay:
    relay.reset()
    return relay


def mailing(relay: LoopbackRelay, *more: str) -> tuple[str, ...]:
    return ("--smtp-url", relay.url, "--smtp-retry-seconds", "0.05", "--mail-from", "receipts@shop.example",
            "--public-url", "https://receipts.shop.example", *more)


def mailing_service(relay: LoopbackRelay, db: Path | str, log_path: Path) -> RunningService:
    return start_service(db_path=db, api_key=TEST_API_KEY, log_path=log_path, extra_args=mailing(relay))


def status(db: Path | str, sale_id: str) -> tuple[str, int, str | None, str | None]:
    found = rows(db, "SELECT status, attempts, address, last_error FROM receipt_emails WHERE sale_id = ?", (sale_id,))
    return found[0] if found else ("", 0, None, None)


def emailed_sale(api: httpx.Client, name: str = "Sourdough loaf", address: str = "alice@example.org") -> dict:
    body = sale_body(api, ALICE_ID, [line(api, "1005") | {"name": name}]) | {"receipt_email": address}
    return body


def test_a_receipt_refused_for_now_is_retried_and_reaches_the_relay_once(
    mail_relay: LoopbackRelay, service_db: Path | str, tmp_path: Path
) -> None:
    mail_relay.refusals.append("451 4.3.0 Try again later")
    with mailing_service(mail_relay, service_db, tmp_path / "service.log") as service, client_for(service) as api:
        assert api.get("/v1/health").json()["receipt_email"] == "sending"
        key = str(uuid.uuid4())
        body = emailed_sale(api, HOSTILE)
        answer = post_sale(api, body, key).json()
        assert post_sale(api, body, key).headers["Idempotent-Replayed"] == "true"
        message_id = f"<receipt.{key}@shop.example>"
        wait_until(lambda: status(service_db, key)[0] == "sent", timeout=10, what="the receipt sent")
        assert status(service_db, key) == ("sent", 2, None, None)  # refused once, then accepted; address gone
        # A second sale's receipt arrives after: the first was not sent again meanwhile.
        later = str(uuid.uuid4())
        post_sale(api, emailed_sale(api), later)
        wait_until(lambda: mail_relay.to(f"<receipt.{later}@shop.example>"), timeout=10, what="the second receipt")
    [message] = mail_relay.to(message_id)
    assert len(mail_relay.accepted) == 2 and mail_relay.attempts == 3
    assert (message["To"], message["From"], message["X-Envelope-To"]) == (
        "alice@example.org", "receipts@shop.example", "alice@example.org")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"1 x {HOSTILE}  GBP 3.49" in text and "Total  GBP 3.49" in text
    assert f"Balance: {answer['balance']} points" in text and "Points earned: " in text
    assert answer["digital_receipt"]["url"] in text and answer["digital_receipt"]["url"] in html
    assert "<script>" not in html and "<b>Loaf" not in html
    assert "&lt;b&gt;Loaf&lt;/b&gt; &amp; &lt;script&gt;" in html
    assert "more points to" in text  # the next reward as a sentence
    log = (tmp_path / "service.log").read_text()
    assert "alice@example.org" not in log


def test_a_permanent_refusal_marks_the_receipt_failed_with_its_reason(
    mail_relay: LoopbackRelay, service_db: Path | str, tmp_path: Path
) -> None:
    mail_relay.refusals.append("550 5.1.1 <alice@example.org>: mailbox unavailable")
    with mailing_service(mail_relay, service_db, tmp_path / "service.log") as service, client_for(service) as api:
        key = str(uuid.uuid4())
        post_sale(api, emailed_sale(api), key)
        wait_until(lambda: status(service_db, key)[0] == "failed", timeout=10, what="the receipt failed")
    assert status(service_db, key) == ("failed", 1, None, "550 5.1.1 <a•••@example.org>: mailbox unavailable")
    assert mail_relay.accepted == [] and mail_relay.attempts == 1
    assert "alice@example.org" not in (tmp_path / "service.log").read_text()


def test_a_relay_that_is_down_is_tried_again_until_it_is_up(service_db: Path | str, tmp_path: Path) -> None:
    port = free_port()
    down = LoopbackRelay()
    with start_service(db_path=service_db, api_key=TEST_API_KEY, log_path=tmp_path / "service.log",
                       extra_args=("--smtp-url", f"smtp://127.0.0.1:{port}", "--smtp-retry-seconds", "0.05",
                                   "--mail-from", "receipts@shop.example")) as service, client_for(service) as api:
        key = str(uuid.uuid4())
        post_sale(api, emailed_sale(api), key)
        wait_until(lambda: status(service_db, key)[1] >= 2, timeout=10, what="two tries refused")
        assert status(service_db, key)[0] == "queued" and "ConnectionRefusedError" in str(status(service_db, key)[3])
        up = down.start(port)
        try:
            wait_until(lambda: status(service_db, key)[0] == "sent", timeout=15, what="sent once the relay is up")
        finally:
            up.stop()
    assert [m["Message-ID"] for m in up.accepted] == [f"<receipt.{key}@shop.example>"]


@pytest.mark.parametrize("layout", ["two processes", "--workers 2"])
def test_several_service_processes_send_each_receipt_once(
    mail_relay: LoopbackRelay, service_db: Path | str, tmp_path: Path, layout: str
) -> None:
    workers = ("--workers", "2") if layout == "--workers 2" else ()
    services: list[RunningService] = [start_service(
        db_path=service_db, api_key=TEST_API_KEY, log_path=tmp_path / "first.log", extra_args=mailing(mail_relay, *workers))]
    try:
        if layout == "two processes":
            services.append(launch_service(db_path=service_db, api_key=TEST_API_KEY, demo=False,
                                           log_path=tmp_path / "second.log", extra_args=mailing(mail_relay)).ready())
        keys = [str(uuid.uuid4()) for _ in range(8)]
        clients = [client_for(service) for service in services]
        for n, key in enumerate(keys):
            api = clients[n % len(clients)]
            post_sale(api, emailed_sale(api), key)
            post_sale(clients[(n + 1) % len(clients)], emailed_sale(api), key)  # a replay at the other
        for client in clients:
            client.close()
        wait_until(lambda: all(status(service_db, key)[0] == "sent" for key in keys), timeout=20,
                   what="every receipt sent")
    finally:
        for service in services:
            service.stop()
    assert sorted(m["Message-ID"] for m in mail_relay.accepted) == sorted(f"<receipt.{k}@shop.example>" for k in keys)


def test_without_a_relay_the_receipt_waits_and_the_service_says_so(
    api: httpx.Client, live_service: RunningService, live_db: Path | str
) -> None:
    assert api.get("/v1/health").json()["receipt_email"] == "not_configured"
    key = str(uuid.uuid4())
    post_sale(api, emailed_sale(api), key)
    assert status(live_db, key) == ("queued", 0, "alice@example.org", None)
    assert live_service.log_path is not None
    assert live_service.log_path.read_text().count("no --smtp-url: digital receipts' e-mails wait") == 1


@pytest.mark.parametrize("url", ["http://relay.example", "smtp://relay.example?tls=1"])
def test_a_malformed_smtp_url_is_refused_at_start(tmp_path: Path, url: str) -> None:
    done = run_service_command("--db", str(tmp_path / "loyalty.db"), "--demo", "--port", "0", "--smtp-url", url)
    assert done.returncode == 2 and "--smtp-url" in done.stderr
