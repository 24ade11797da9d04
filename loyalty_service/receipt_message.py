"""The e-mail of a digital receipt: a text part and an HTML part (every string from data escaped),
the store, lines, totals, the loyalty block and, with ``--public-url``, the link to the page. Its
``Message-ID`` is made from the sale, so a relay can drop a copy sent again after a crash."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from html import escape

from loyalty_service.receipt_view import ReceiptView


def message_id(sale_id: str, mail_from: str) -> str:
    domain = mail_from.rpartition("@")[2] or "loyalty.invalid"
    return f"<receipt.{sale_id}@{domain}>"


def receipt_message(view: ReceiptView, address: str, mail_from: str, page_url: str | None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = address
    message["Subject"] = f"Your receipt from {_one_line(view.store_id)}"
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(view.sale_id, mail_from)
    message.set_content(_text(view, page_url))
    message.add_alternative(_html(view, page_url), subtype="html")
    return message


def _one_line(text: str) -> str:
    return " ".join(text.split())  # no header can be broken into two by the data


def _loyalty(view: ReceiptView) -> list[str]:
    said = [f"Points earned: {view.points_earned}", f"Balance: {view.balance} points"]
    return said + ([view.next_reward] if view.next_reward else [])


def _text(view: ReceiptView, page_url: str | None) -> str:
    out = [f"Receipt from {view.store_id} (till {view.terminal_id})", view.date, ""]
    out += [f"{quantity} x {name}  {amount}" for name, quantity, amount in view.lines]
    out += [f"{name}  {amount}" for name, amount in view.discounts]
    out += ["", f"Subtotal  {view.subtotal}", f"Total  {view.total}", "", *_loyalty(view)]
    if page_url:
        out += ["", f"Your receipt online: {page_url}"]
    return "\n".join(out) + "\n"


def _html(view: ReceiptView, page_url: str | None) -> str:
    rows = "".join(f"<tr><td>{quantity} × {escape(name)}</td><td align='right'>{escape(amount)}</td></tr>"
                   for name, quantity, amount in view.lines)
    rows += "".join(f"<tr><td>{escape(name)}</td><td align='right'>{escape(amount)}</td></tr>"
                    for name, amount in view.discounts)
    loyalty = "".join(f"<p>{escape(said)}</p>" for said in _loyalty(view))
    link = f"<p><a href=\"{escape(page_url)}\">Your receipt online</a></p>" if page_url else ""
    return (
        "<!doctype html><html><body>"
        f"<h1>Receipt from {escape(view.store_id)}</h1><p>{escape(view.date)} · till {escape(view.terminal_id)}</p>"
        f"<table>{rows}<tr><td>Subtotal</td><td align='right'>{escape(view.subtotal)}</td></tr>"
        f"<tr><th align='left'>Total</th><th align='right'>{escape(view.total)}</th></tr></table>"
        f"{loyalty}{link}</body></html>"
    )
