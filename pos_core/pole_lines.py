"""What a two-line, 20-character pole display shows, decided from the customer view
(pos_core/customer_view.py). Pure: no I/O; the device (devices/pole_display.py) only writes it.

- idle (welcome): the store's name and a welcome;
- ringing up (basket, paying, enrolling with lines): the last item and its amount on line 1,
  "TOTAL £x.xx" on line 2;
- after payment (thank_you): the total and the change, then (a second page, shown in turn) the
  points earned and the new balance when the customer collected any;
- in training mode, every one of those is followed in turn by a page saying so, so nobody at the
  counter takes a trainee's practice for a real sale.

A display has 20 columns: every line is exactly ``WIDTH`` characters, an item's name is cut to
leave room for its amount, and amounts are never cut. Text here is still Unicode; the device
encodes it to its own character set.
"""

from __future__ import annotations

from typing import Any

WIDTH = 20

Lines = tuple[str, str]


def _fit(text: str) -> str:
    return " ".join(str(text).split())[:WIDTH].ljust(WIDTH)


def _centred(text: str) -> str:
    return " ".join(str(text).split())[:WIDTH].center(WIDTH)


def _sides(left: str, right: str) -> str:
    """``left`` cut to leave room for ``right`` (which is never cut below the width)."""
    left, right = " ".join(str(left).split()), " ".join(str(right).split())[:WIDTH]
    room = WIDTH - len(right) - 1
    if room <= 0:
        return right.rjust(WIDTH)
    return f"{left[:room]:<{room}} {right}"


def _points(number: int) -> str:
    return f"{number:,}"


TRAINING_PAGE: Lines = ("TRAINING MODE".center(WIDTH), "NOT A REAL SALE".center(WIDTH))


def pole_pages(view: dict[str, Any]) -> list[Lines]:
    """The pages to show, in turn, for ``view``: one page, or two after a payment with points;
    and the training page after them in training mode."""
    pages = _sale_pages(view)
    return pages + [TRAINING_PAGE] if view.get("training") else pages


def _sale_pages(view: dict[str, Any]) -> list[Lines]:
    phase = view.get("phase")
    if phase == "thank_you" and view.get("thank_you"):
        thanks = view["thank_you"]
        change = thanks.get("change_text")
        pages: list[Lines] = [(
            _sides("TOTAL", thanks.get("total_text") or ""),
            _sides("CHANGE", change) if change else _centred("THANK YOU"),
        )]
        earned = thanks.get("points_earned")
        if earned:
            balance = thanks.get("balance")
            pages.append((
                _sides("POINTS EARNED", _points(earned)),
                _sides("BALANCE", _points(balance)) if balance is not None else _centred("THANK YOU"),
            ))
        if code := thanks.get("referral_code"):  # the member's code, for a friend who joins
            pages.append((_centred("YOUR REFERRAL CODE"), _centred(code)))
        return pages
    last = view.get("last_item")
    if phase in ("basket", "paying", "enrolling") and last:
        name = last.get("name", "")
        if last.get("quantity", 1) != 1:
            name = f"{last['quantity']} x {name}"
        return [(_sides(name, last.get("amount_text", "")), _sides("TOTAL", view.get("total_text", "")))]
    if phase == "basket" and view.get("customer"):
        return [(_centred(f"Hello {view['customer'].get('name', '')}"), _sides("TOTAL", view.get("total_text", "")))]
    return [(_centred(view.get("store") or "Welcome"), _centred("WELCOME"))]
