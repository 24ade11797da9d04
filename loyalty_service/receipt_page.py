"""A digital receipt's page, ``GET /r/{token}``, and its survey form, ``POST /r/{token}``: no key,
no login; the unguessable token (digital_receipts.py) is the only way in, and the page holds only
that sale. Server-rendered HTML, every string from data escaped (names and products are hostile
data), no JavaScript, sized for a phone; the headers forbid scripts, framing, sniffing and referrers.
An unknown token is a plain 404 that says nothing about other receipts."""

from __future__ import annotations

import base64
import hashlib
from html import escape
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from loyalty_service.database import Database, write_transaction
from loyalty_service.program import Program, SurveyQuestion
from loyalty_service.receipt_view import ReceiptView, receipt_view
from loyalty_service.schemas import Sale
from loyalty_service.survey_answers import NotAChoice, ReceiptSale, answered, record_answers

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:0 auto;padding:1rem;line-height:1.4}"
    "table{width:100%;border-collapse:collapse}td.n{text-align:right;white-space:nowrap}"
    ".total td{font-weight:bold;border-top:1px solid}fieldset{margin:1rem 0;border:1px solid #999}"
    "label{display:block;padding:.4rem 0}button{font-size:1rem;padding:.6rem 1.2rem}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
SECURITY_HEADERS = {
    "Content-Security-Policy": (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self';"
                                " base-uri 'none'; frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}

router = APIRouter()


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _not_found() -> HTMLResponse:
    return _page("Not found", "<h1>Not found</h1><p>There is no receipt at this address.</p>", 404)


def _found(database: Database, program: Program, token: str) -> tuple[ReceiptSale, ReceiptView] | None:
    with database.connection() as conn:
        row = conn.execute(
            "SELECT s.sale_id, s.answer, s.store_id, s.terminal_id, s.cashier_id FROM digital_receipts d"
            " JOIN sales s ON s.sale_id = d.sale_id WHERE d.token = ?", (token,)).fetchone()
        if row is None:
            return None
        sale = Sale.model_validate_json(row["answer"])
        view = receipt_view(conn, program, sale)
    skus = sorted({line.sku for line in sale.lines})
    return ReceiptSale(row["sale_id"], row["store_id"], row["terminal_id"], row["cashier_id"], skus), view


def _receipt(view: ReceiptView) -> str:
    rows = "".join(f"<tr><td>{quantity} × {escape(name)}</td><td class=\"n\">{escape(amount)}</td></tr>"
                   for name, quantity, amount in view.lines)
    if view.lines_removed:
        rows += "<tr><td colspan=\"2\">The lines of this sale are no longer kept.</td></tr>"
    rows += "".join(f"<tr><td>{escape(name)}</td><td class=\"n\">{escape(amount)}</td></tr>"
                    for name, amount in view.discounts)
    returned = "".join(f"<p>Returned {escape(day)}: {escape(amount)} refunded.</p>" for day, amount in view.returns)
    upcoming = f"<p>{escape(view.next_reward)}</p>" if view.next_reward else ""
    return (
        f"<h1>{escape(view.store_id)}</h1><p>{escape(view.date)} · till {escape(view.terminal_id)}</p>"
        f"<table>{rows}<tr><td>Subtotal</td><td class=\"n\">{escape(view.subtotal)}</td></tr>"
        f"<tr class=\"total\"><td>Total</td><td class=\"n\">{escape(view.total)}</td></tr></table>{returned}"
        f"<h2>Your points</h2><p>Points earned: {view.points_earned}</p>"
        f"<p>Balance after this sale: {view.balance} points</p>{upcoming}"
    )


def _survey(token: str, questions: list[SurveyQuestion], done: dict[str, str]) -> str:
    ask = [q for q in questions if q.question_id not in done]
    thanked = "<p>Thank you for your answers.</p>" if done and questions else ""
    if not ask:
        return f"<h2>Tell us</h2>{thanked}" if questions else ""
    fields = ""
    for question in ask:
        choices = "".join(
            f"<label><input type=\"radio\" name=\"{escape(question.question_id)}\" value=\"{escape(answer)}\">"
            f" {escape(answer)}</label>" for answer in question.answers)
        fields += f"<fieldset><legend>{escape(question.question)}</legend>{choices}</fieldset>"
    return (f"<h2>Tell us</h2>{thanked}<form method=\"post\" action=\"/r/{escape(token)}\">{fields}"
            "<button type=\"submit\">Send</button></form>")


def _show(database: Database, program: Program, token: str) -> HTMLResponse:
    found = _found(database, program, token)
    if found is None:
        return _not_found()
    sale, view = found
    with database.connection() as conn:
        done = answered(conn, sale.sale_id)
    return _page(f"Receipt from {view.store_id}", _receipt(view) + _survey(token, view.survey, done))


def _answer(database: Database, program: Program, token: str, raw: bytes) -> HTMLResponse:
    found = _found(database, program, token)
    if found is None:
        return _not_found()
    sale, view = found
    form = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    given = {key: values[-1] for key, values in form.items()}
    back = f"<p><a href=\"/r/{escape(token)}\">Back to your receipt</a></p>"
    try:
        with database.connection() as conn, write_transaction(conn):
            new = record_answers(conn, sale, view.survey, given)
    except NotAChoice:
        return _page("Not an answer", "<h1>That answer is not one of the choices</h1>"
                     "<p>Nothing was stored; please choose one of the answers offered.</p>" + back, 400)
    if not new and given:
        return _page("Thank you", "<h1>Thank you, already answered</h1><p>Your first answers are kept.</p>" + back)
    return _page("Thank you", "<h1>Thank you for your answers</h1>" + back)


@router.get("/r/{token}", response_class=HTMLResponse, include_in_schema=False)
async def receipt_page(token: str, request: Request) -> HTMLResponse:
    state = request.app.state
    return await run_in_threadpool(_show, state.database, state.program, token)


@router.post("/r/{token}", response_class=HTMLResponse, include_in_schema=False)
async def receipt_survey(token: str, request: Request) -> HTMLResponse:
    state = request.app.state
    raw = await request.body()
    return await run_in_threadpool(_answer, state.database, state.program, token, raw)
