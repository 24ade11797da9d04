"""``POST /consent``: the customer's tap on the enrolment's consent question, from the customer
display's page, handed to the customer feed (``CustomerFeed.answer_consent``).

Body: ``{"request_id": "…", "accepted": true, "marketing": false}`` (JSON, exactly these keys, and
optionally ``"email_receipts": true|false``: every receipt by e-mail; the cashier types the address).
Answers: ``200 {"answer": {...}}``; ``400`` for a body that is not that; ``409`` unless it answers the
question on show, once; ``413`` over ``MAX_BODY_BYTES``; ``415`` unless sent as JSON (which also
keeps another site's plain form from posting it); ``403`` from another site (its ``Origin``).
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pos_core.customer_feed import CustomerFeed

MAX_BODY_BYTES = 1024
_FIELDS = {"request_id": str, "accepted": bool, "marketing": bool}
_OPTIONAL = {"email_receipts": bool}
_NO_STORE = {"Cache-Control": "no-store"}


class _TooLarge(Exception):
    pass


def _problem(status: int, problem: str) -> Response:
    return JSONResponse({"problem": problem}, status_code=status, headers=_NO_STORE)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _TooLarge
    return bytes(body)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


def consent_route(feed: CustomerFeed) -> Route:
    async def consent(request: Request) -> Response:
        if not _same_origin(request):
            return _problem(403, "not from the customer display's own page")
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return _problem(415, "send the answer as application/json")
        try:
            raw = await _body(request)
        except _TooLarge:
            return _problem(413, f"the body is over {MAX_BODY_BYTES} bytes")
        try:
            answer = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            return _problem(400, "the body is not JSON")
        if not isinstance(answer, dict) or set(answer) - set(_OPTIONAL) != set(_FIELDS) or not all(
            type(answer[name]) is kind for name, kind in (_FIELDS | _OPTIONAL).items() if name in answer
        ):
            return _problem(400, "the body must be {\"request_id\": text, \"accepted\": true|false, \"marketing\": true|false}")
        if not feed.answer_consent(answer["request_id"], accepted=answer["accepted"], marketing=answer["marketing"],
                                   email_receipts=answer.get("email_receipts")):
            return _problem(409, "that is not the question on show, or it was answered already")
        question = feed.consent
        return JSONResponse({"answer": question.answer if question else None}, headers=_NO_STORE)

    return Route("/consent", consent, methods=["POST"])
