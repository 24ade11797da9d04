"""The customer display's web server over real loopback HTTP (httpx), no browser: the page and
its files with their security headers, requests by another name refused, and ``POST /consent``
(only the question on show, once; bad, oversized or cross-site bodies refused)."""

from __future__ import annotations

import json

import httpx
import pytest

from pos_core.customer_consent_route import MAX_BODY_BYTES
from pos_core.customer_feed import CustomerFeed
from tests.display.served_display import served

JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def display():
    feed = CustomerFeed(store="Demo Store")
    async with served(feed) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as web:
            yield feed, web


async def test_the_page_and_its_files_are_served_with_security_headers(display) -> None:
    feed, web = display
    page = await web.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/display.js" defer></script>' in page.text and "<script>" not in page.text
    for path, kind in [("/display.js", "text/javascript"), ("/display.css", "text/css")]:
        answer = await web.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
    for path in ("/", "/display.js", "/view"):
        headers = (await web.get(path)).headers
        policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
        assert policy["default-src"] == "'none'" and policy["script-src"] == "'self'"
        assert policy["connect-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert (await web.get("/nothing-here")).status_code == 404


def test_the_script_never_writes_markup() -> None:
    from pos_core.customer_page_routes import page_file

    script = page_file("display.js").decode()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script
    assert "textContent" in script


async def test_a_request_by_another_name_is_refused(display) -> None:
    """A site that points its own name at the till (DNS rebinding) reads nothing of the customer's."""
    feed, web = display
    for host in ("shop.example", "shop.example:8765", "127.0.0.1.nip.example"):
        answer = await web.get("/view", headers={"Host": host})
        assert answer.status_code == 421 and "Demo Store" not in answer.text
    for host in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765", "192.168.1.20"):
        assert (await web.get("/view", headers={"Host": host})).status_code == 200


async def test_the_answer_reaches_the_feed_once_and_only_for_the_question_on_show(display) -> None:
    feed, web = display
    heard = []
    feed.on_consent(heard.append)
    body = {"request_id": "no-question-yet", "accepted": True, "marketing": True}
    assert (await web.post("/consent", json=body)).status_code == 409
    question = feed.ask_consent(terms_version="2026-01", privacy_notice="We keep your points safe.")
    assert (await web.post("/consent", json=body)).status_code == 409  # the wrong id
    assert heard == []
    answer = await web.post("/consent", json={**body, "request_id": question.request_id})
    assert answer.status_code == 200 and answer.json() == {"answer": {"accepted": True, "marketing": True}}
    assert [q.answer for q in heard] == [{"accepted": True, "marketing": True}]
    again = await web.post("/consent", json={**body, "request_id": question.request_id, "marketing": False})
    assert again.status_code == 409
    assert feed.view["enrolment"]["answer"] == {"accepted": True, "marketing": True} and len(heard) == 1
    # The form closed: its question, answered or not, cannot be answered any more.
    later = feed.ask_consent(terms_version="2026-01", privacy_notice="")
    feed.end_consent(later.request_id)
    assert (await web.post("/consent", json={**body, "request_id": later.request_id})).status_code == 409
    assert feed.view["enrolment"] is None


async def test_a_declined_question_carries_no_marketing(display) -> None:
    feed, web = display
    question = feed.ask_consent(terms_version="2026-01", privacy_notice="")
    answer = await web.post("/consent", json={"request_id": question.request_id, "accepted": False, "marketing": True})
    assert answer.json() == {"answer": {"accepted": False, "marketing": False}}


@pytest.mark.parametrize("content", [
    b"{not json", b"\xff\xfe", b"[]", b'"yes"', b"{}",
    b'{"request_id": "x", "accepted": true}',
    b'{"request_id": "x", "accepted": "true", "marketing": false}',
    b'{"request_id": 7, "accepted": true, "marketing": false}',
    b'{"request_id": "x", "accepted": 1, "marketing": false}',
    b'{"request_id": "x", "accepted": true, "marketing": false, "phone": "020 7946 0999"}',
])
async def test_a_body_that_is_not_an_answer_is_refused(display, content: bytes) -> None:
    feed, web = display
    question = feed.ask_consent(terms_version="2026-01", privacy_notice="")
    answer = await web.post("/consent", content=content.replace(b'"x"', json.dumps(question.request_id).encode()),
                            headers=JSON)
    assert answer.status_code == 400
    assert feed.consent is not None and feed.consent.answer is None


async def test_an_oversized_cross_site_or_non_json_body_is_refused(display) -> None:
    feed, web = display
    question = feed.ask_consent(terms_version="2026-01", privacy_notice="")
    body = json.dumps({"request_id": question.request_id, "accepted": True, "marketing": False})
    padded = body[:-1] + ", " + " " * MAX_BODY_BYTES + "}"
    assert (await web.post("/consent", content=padded, headers=JSON)).status_code == 413

    async def chunks():
        yield body[:-1].encode()
        yield b" " * (MAX_BODY_BYTES + 1)
        yield b"}"

    # No Content-Length (chunked): cut off as it streams past the limit.
    assert (await web.post("/consent", content=chunks(), headers=JSON)).status_code == 413
    # A plain form post from another site cannot answer for the customer.
    assert (await web.post("/consent", content=body, headers={"Content-Type": "text/plain"})).status_code == 415
    other_site = JSON | {"Origin": "http://shop.example"}
    assert (await web.post("/consent", content=body, headers=other_site)).status_code == 403
    assert (await web.get("/consent")).status_code == 405
    assert feed.consent.answer is None
    own_page = JSON | {"Origin": str(web.base_url).rstrip("/")}
    assert (await web.post("/consent", content=body, headers=own_page)).status_code == 200
