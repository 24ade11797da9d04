"""Returns: some or all of a recorded sale's lines come back; money and points follow.

The rules (docs/loyalty-api-v1.md, "Returns"), stated once:

- **Refund**: a reward aimed at an item (a free item) stays on the line(s) pricing took it off, as
  the sale's answer records them (``discounts[].lines``); the rest of the sale's discounts (basket
  wide, or all of them for a sale recorded before the field) are apportioned to its earning lines
  in proportion to what is left of each (largest remainder, earlier lines first on ties), so each
  line has a net amount paid. A return refunds, per line, ``floor(net × returned / bought)`` counted over every return of
  the sale so far, less what earlier returns refunded: the refunds of a sale add up to exactly what
  was paid once everything has come back, and never to more.
- **Tenders**: the refund goes back the way the sale was paid: to the card first, up to what the
  card paid less what earlier returns gave back to it, then in cash (what cash paid, net of
  change). Card first because it is where the money can be traced, and a refund that
  drains the drawer is what a fraudulent return wants. A return recorded before ``refunds`` is
  counted as paid out in cash (the till said "in cash" then).
- **Approval**: a return later than the programme's ``return_days`` after the sale, or refunding more
  than ``return_pin_above``, needs a manager's PIN (``403 manager_pin_required`` without one,
  ``403 wrong_manager_pin`` for a wrong one, counted with the adjustments' wrong PINs). A replay of a
  recorded return needs none, and the PIN is not part of what makes two bodies the same return.
- **Points earned** are reversed in proportion to the returned share of the sale's eligible
  amount (the earning lines' net), rounded **up**, again counted cumulatively: a partial return
  never reverses less than its share, and a whole return reverses exactly what the sale earned,
  so buying, earning and returning can never leave a customer better off. The reversal is a ledger
  row of kind ``earn`` with a negative delta, so it also comes off the lifetime points (the tier).
- **Rewards used in the sale**: their points come back only when the sale has been returned in
  full (on the return that completes it), one ``redeem`` row per reward with a positive delta; a
  partial return refunds the net paid for its lines (the discount stays with the sale) and no
  reward points.
- **Debt**: the reversal is always recorded in full. If the customer has spent the points since,
  the balance goes below zero: that is the customer's points debt (``points_debt`` in the answer).
  No reward can be used while it lasts (every reward costs more than the balance) and future
  earning pays it off first, since a balance is the sum of the ledger.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from pydantic import BaseModel, Field

from loyalty_service import points_review, referrals
from loyalty_service.accounts import points
from loyalty_service.clock import service_now, utc_now
from loyalty_service.database import Connection, Database
from loyalty_service.errors import ApiError
from loyalty_service.events import account_changed
from loyalty_service.managers import Managers
from loyalty_service.program import Program
from loyalty_service.rate_limit import SlidingWindow
from loyalty_service.schemas import ErrorDetail, RequestBody, Sale, SaleLine

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class ReturnLineRequest(RequestBody):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=100_000)


class ReturnRequest(RequestBody):
    # None (or absent): everything not yet returned.
    lines: list[ReturnLineRequest] | None = Field(default=None, min_length=1, max_length=1000)
    store_id: str | None = Field(default=None, max_length=64)
    terminal_id: str | None = Field(default=None, max_length=64)
    # Only when the return needs a manager (``403 manager_pin_required`` says so); never hashed.
    manager_pin: str | None = Field(default=None, min_length=4, max_length=12)
    manager_id: str | None = Field(default=None, max_length=64)
    cashier_id: str | None = Field(default=None, max_length=32)  # who took it back (staff.py)


class ReturnedLine(BaseModel):
    line: int = Field(description="the index of the line in the sale's lines")
    sku: str
    name: str
    quantity: int
    refund_amount: int = Field(description="minor units")


class TenderRefund(BaseModel):
    method: str = Field(description="cash or card, as the sale was paid")
    amount: int = Field(description="minor units given back this way by this return")


class SaleReturn(BaseModel):
    return_id: str
    sale_id: str
    account_id: str
    currency: str
    created_at: str
    lines: list[ReturnedLine]
    refund_amount: int
    points_reversed: int
    points_refunded: int
    points_debt: int = Field(description="how far below zero the balance is after this return; 0 normally")
    balance: int
    sale_fully_returned: bool
    refunds: list[TenderRefund] = Field(default=[], description="refund_amount by tender: card first, then cash")
    approved_by: str | None = Field(default=None, description="the manager who approved it, when one had to")
    referral_points_reversed: int = Field(
        default=0, description="the referral bonus the sale had paid this member, taken back with its full return")


class ReturnedQuantity(BaseModel):
    line: int
    sku: str
    quantity: int
    returned: int
    paid: int = Field(default=0, description="what the line cost after its share of the discounts (minor units): "
                      "returning n more of it refunds floor(paid × (returned + n) / quantity) - floor(paid × returned / quantity)")


class SaleReturns(BaseModel):
    sale_id: str
    currency: str
    lines: list[ReturnedQuantity]
    returns: list[SaleReturn]


def return_id_from_key(key: str | None) -> str:
    if not key:
        raise ApiError(422, "invalid_request", "An Idempotency-Key header (a UUID, the return's id) is needed.",
                       [ErrorDetail(field="Idempotency-Key", problem="missing")])
    return_id = key.strip().lower()
    if not _UUID.fullmatch(return_id):
        raise ApiError(422, "invalid_request", "The Idempotency-Key must be a UUID.",
                       [ErrorDetail(field="Idempotency-Key", problem="not a UUID")])
    return return_id


# -- the arithmetic (pure) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SaleShares:
    """Per line of a sale: units bought, net amount paid, and whether it earned points."""

    bought: tuple[int, ...]
    net: tuple[int, ...]
    earning: tuple[bool, ...]
    points_earned: int

    def refunded(self, returned: list[int]) -> list[int]:
        """Per line, the money refunded by returns of ``returned`` units in all."""
        return [net * count // units for net, count, units in zip(self.net, returned, self.bought, strict=True)]

    def reversed_points(self, returned: list[int]) -> int:
        """The points reversed by returns of ``returned`` units in all: the share, rounded up."""
        eligible = sum(net for net, earns in zip(self.net, self.earning, strict=True) if earns)
        if eligible <= 0 or self.points_earned <= 0:
            return 0
        share = sum(
            (Fraction(net * count, units) for net, count, units, earns
             in zip(self.net, returned, self.bought, self.earning, strict=True) if earns),
            Fraction(0),
        )
        return math.ceil(self.points_earned * share / eligible)


def earns(program: Program, line: SaleLine) -> bool:
    """Whether the line earned points, by the programme's rules of now (they change rarely)."""
    excluded_products = getattr(program, "excluded_products", ())
    return line.category not in program.excluded_categories and line.sku not in excluded_products


def shares(program: Program, sale: Sale) -> SaleShares:
    totals = [line.quantity * line.unit_price for line in sale.lines]
    earning = [earns(program, line) for line in sale.lines]
    # What pricing took off named lines (a free item) stays there...
    cuts = [0] * len(totals)
    for discount in sale.discounts:
        for part in discount.lines or ():
            if 0 <= part.line < len(cuts):
                cuts[part.line] += part.amount
    cuts = [min(cut, total) for cut, total in zip(cuts, totals, strict=True)]
    # ...and the rest is apportioned over what is left of the earning lines.
    left = [total - cut if e else 0 for total, cut, e in zip(totals, cuts, earning, strict=True)]
    base = sum(left)
    spread = min(max(sale.discount_total - sum(cuts), 0), base)
    if spread and base:
        exact = [Fraction(spread * rest, base) for rest in left]
        floors = [math.floor(x) for x in exact]
        extra = spread - sum(floors)
        by_remainder = sorted(range(len(totals)), key=lambda i: (-(exact[i] - floors[i]), i))
        for index in by_remainder[:extra]:
            floors[index] += 1
        cuts = [cut + share for cut, share in zip(cuts, floors, strict=True)]
    return SaleShares(
        bought=tuple(line.quantity for line in sale.lines),
        net=tuple(total - cut for total, cut in zip(totals, cuts, strict=True)),
        earning=tuple(earning),
        points_earned=sale.points_earned,
    )


def paid_by_method(sale: Sale) -> dict[str, int]:
    """What each tender method paid, card first: cash is net of the change it was given."""
    card = sum(t.amount for t in sale.tender if t.method == "card")
    cash = sum(t.amount for t in sale.tender if t.method == "cash") - sale.change
    return {"card": card, "cash": max(cash, 0)}


def to_tenders(sale: Sale, earlier: list[SaleReturn], refund: int) -> list[TenderRefund]:
    """Where ``refund`` goes: to the card up to what it paid less earlier refunds to it, the rest
    in cash. An earlier return without ``refunds`` went out in cash."""
    given = {"card": 0, "cash": 0}
    for done in earlier:
        if done.refunds or not done.refund_amount:
            for part in done.refunds:
                given[part.method] = given.get(part.method, 0) + part.amount
        else:
            given["cash"] += done.refund_amount
    card = min(refund, max(paid_by_method(sale)["card"] - given["card"], 0))
    split = {"card": card, "cash": refund - card}
    return [TenderRefund(method=method, amount=amount) for method, amount in split.items() if amount]


# -- approval ---------------------------------------------------------------------------------------


def approval_reason(program: Program, sale: Sale, refund: int, now: datetime) -> str | None:
    """Why this return needs a manager, or None."""
    sold = datetime.fromisoformat(sale.created_at.replace("Z", "+00:00"))
    if now - sold > timedelta(days=program.return_days):
        return f"The sale is more than {program.return_days} days old."
    if refund > program.return_pin_above:
        limit = Decimal(program.return_pin_above).scaleb(-program.exponent)
        return f"The refund is more than {program.currency} {limit}."
    return None


def manager_required(reason: str) -> ApiError:
    return ApiError(403, "manager_pin_required", f"{reason} A manager's PIN is needed for this return.",
                    [ErrorDetail(field="manager_pin", problem="needed")])


def check_manager(
    database: Database, managers: Managers, wrong_pins: SlidingWindow, key_id: str, body: ReturnRequest, reason: str,
) -> str:
    """The approving manager's name, or 403: no PIN, a wrong one or a locked manager (counted with
    adjustments' wrong PINs, before the PIN is checked: managers.py)."""
    if not body.manager_pin:
        raise manager_required(reason)
    return managers.authorise(database, wrong_pins, key_id, body.manager_id, body.manager_pin)


# -- storage ----------------------------------------------------------------------------------------


def _sale(conn: Connection, sale_id: str) -> Sale:
    row = conn.execute("SELECT answer FROM sales WHERE sale_id = ?", (sale_id.strip().lower(),)).fetchone()
    if row is None:
        raise ApiError(404, "not_found", "There is no such sale.")
    return Sale.model_validate_json(row["answer"])


def _earlier(conn: Connection, sale_id: str) -> list[SaleReturn]:
    rows = conn.execute("SELECT answer FROM sale_returns WHERE sale_id = ? ORDER BY created_at, rowid",
                        (sale_id,)).fetchall()
    return [SaleReturn.model_validate_json(row["answer"]) for row in rows]


def _returned_so_far(sale: Sale, earlier: list[SaleReturn]) -> list[int]:
    returned = [0] * len(sale.lines)
    for done in earlier:
        for line in done.lines:
            returned[line.line] += line.quantity
    return returned


def _request_hash(sale_id: str, body: ReturnRequest) -> str:
    # Who approved it is not what the return is: a retry with the PIN is the same return.
    # A return from before cashiers signed on hashes as it did (no cashier_id key).
    unsent = {"manager_pin", "manager_id"} | ({"cashier_id"} if body.cashier_id is None else set())
    document = {"sale_id": sale_id, "body": body.model_dump(mode="json", exclude=unsent)}
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _wanted(sale: Sale, body: ReturnRequest, returned: list[int]) -> list[int]:
    """Units to return now, per line of the sale; 422 for unknown skus or too many units."""
    left = [line.quantity - count for line, count in zip(sale.lines, returned, strict=True)]
    if body.lines is None:
        if not any(left):
            raise ApiError(422, "return_quantity_exceeded", "Everything in this sale was returned already.")
        return left
    now = [0] * len(sale.lines)
    for index, asked in enumerate(body.lines):
        matching = [i for i, line in enumerate(sale.lines) if line.sku == asked.sku]
        if not matching:
            raise ApiError(422, "invalid_request", "A returned item was not in the sale.",
                           [ErrorDetail(field=f"lines.{index}.sku", problem="not in the sale")])
        quantity = asked.quantity
        for i in matching:  # a product on two lines fills the first line first
            take = min(quantity, left[i] - now[i])
            now[i] += take
            quantity -= take
        if quantity:
            raise ApiError(422, "return_quantity_exceeded",
                           "More of an item is being returned than was bought, less what came back before.",
                           [ErrorDetail(field=f"lines.{index}.quantity", problem="more than is left to return")])
    return now


def _planned(conn: Connection, return_id: str, sale_id: str, body: ReturnRequest) -> tuple[SaleReturn | None, str]:
    """(a recorded return this replays, or None; the request's hash); 409 for a key reused."""
    digest = _request_hash(sale_id, body)
    existing = conn.execute("SELECT request_hash, answer FROM sale_returns WHERE return_id = ?",
                            (return_id,)).fetchone()
    if existing is not None:
        if existing["request_hash"] != digest:
            raise ApiError(409, "idempotency_conflict", "This Idempotency-Key was used for another return.")
        return SaleReturn.model_validate_json(existing["answer"]), digest
    return None, digest


def _refunds(program: Program, sale: Sale, before: list[int], now: list[int]) -> tuple[list[int], int, SaleShares]:
    after = [b + n for b, n in zip(before, now, strict=True)]
    split = shares(program, sale)
    refunds = [a - b for a, b in zip(split.refunded(after), split.refunded(before), strict=True)]
    reversed_points = split.reversed_points(after) - split.reversed_points(before)
    return refunds, reversed_points, split


def _returnable(conn: Connection, sale_id: str) -> Sale:
    sale = _sale(conn, sale_id)
    if sale.lines_removed:  # sale_line_retention.py / privacy.py: nothing left to return against
        raise ApiError(409, f"sale_lines_{sale.lines_removed}",
                       "This sale's lines are no longer kept, so it cannot be returned through the service.")
    return sale


def approval_needed(
    conn: Connection, program: Program, return_id: str, sale_id: str, body: ReturnRequest
) -> str | None:
    """Why the return would need a manager (None: it does not, or it is a replay). Read before
    the write transaction, so a PIN is checked outside it; ``record_return`` checks again."""
    sale_id = sale_id.strip().lower()
    replay, _ = _planned(conn, return_id, sale_id, body)
    if replay is not None:
        return None
    sale = _returnable(conn, sale_id)
    before = _returned_so_far(sale, _earlier(conn, sale_id))
    refunds, _, _ = _refunds(program, sale, before, _wanted(sale, body, before))
    return approval_reason(program, sale, sum(refunds), service_now())


def record_return(
    conn: Connection, program: Program, return_id: str, sale_id: str, body: ReturnRequest,
    manager: str | None = None,
) -> tuple[SaleReturn, bool]:
    """(the answer, whether it is a replay). Call inside BEGIN IMMEDIATE; ``manager``: who
    approved it (check_manager), needed when approval_reason says so."""
    sale_id = sale_id.strip().lower()
    replay, digest = _planned(conn, return_id, sale_id, body)
    if replay is not None:
        return replay, True
    sale = _returnable(conn, sale_id)
    earlier = _earlier(conn, sale_id)
    before = _returned_so_far(sale, earlier)
    now = _wanted(sale, body, before)
    after = [b + n for b, n in zip(before, now, strict=True)]
    refunds, reversed_points, split = _refunds(program, sale, before, now)
    reason = approval_reason(program, sale, sum(refunds), service_now())
    if reason and manager is None:
        raise manager_required(reason)
    complete = after == list(split.bought)
    stamp = utc_now()
    account_id = sale.account_id
    before_points = points(conn, account_id)
    # Points held for review were never credited: their share comes off the hold (points_review.py).
    if debited := points_review.reversal_to_ledger(conn, sale_id, reversed_points):
        conn.execute(
            "INSERT INTO ledger (account_id, delta, kind, sale_id, created_at) VALUES (?, ?, 'earn', ?, ?)",
            (account_id, -debited, sale_id, stamp),
        )
    refunded_points = 0
    if complete:
        # The rewards' points come back with the last of the goods (one row per reward, as spent).
        spent = conn.execute(
            "SELECT reward_id, delta FROM ledger WHERE sale_id = ? AND kind = 'redeem' AND delta < 0 ORDER BY id",
            (sale_id,),
        ).fetchall()
        for row in spent:
            conn.execute(
                "INSERT INTO ledger (account_id, delta, kind, sale_id, reward_id, created_at)"
                " VALUES (?, ?, 'redeem', ?, ?, ?)",
                (account_id, -row["delta"], sale_id, row["reward_id"], stamp),
            )
            refunded_points -= row["delta"]
    after_points = points(conn, account_id)
    where = {"return_id": return_id, "store_id": body.store_id, "terminal_id": body.terminal_id}
    account_changed(conn, program, account_id, before_points, {"cause": "return", "sale_id": sale_id, **where},
                    after=after_points)
    # The whole of a first qualifying purchase back: its referral bonus goes too, from both (referrals.py).
    referral_back = referrals.reverse_for_return(conn, program, sale_id, stamp, where) if complete else 0
    balance = after_points[0] - referral_back
    answer = SaleReturn(
        return_id=return_id,
        sale_id=sale_id,
        account_id=account_id,
        currency=sale.currency,
        created_at=stamp,
        lines=[
            ReturnedLine(line=i, sku=line.sku, name=line.name, quantity=now[i], refund_amount=refunds[i])
            for i, line in enumerate(sale.lines) if now[i]
        ],
        refund_amount=sum(refunds),
        points_reversed=debited,
        points_refunded=refunded_points,
        points_debt=max(0, -balance),
        balance=balance,
        sale_fully_returned=complete,
        refunds=to_tenders(sale, earlier, sum(refunds)),
        approved_by=manager if reason else None,
        referral_points_reversed=referral_back,
    )
    conn.execute(
        "INSERT INTO sale_returns (return_id, sale_id, request_hash, answer, created_at, cashier_id)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (return_id, sale_id, digest, answer.model_dump_json(), stamp, body.cashier_id),
    )
    return answer, False


def sale_returns(conn: Connection, program: Program, sale_id: str) -> SaleReturns:
    sale = _sale(conn, sale_id)
    paid = shares(program, sale).net
    earlier = _earlier(conn, sale.sale_id)
    returned = _returned_so_far(sale, earlier)
    return SaleReturns(
        sale_id=sale.sale_id,
        currency=sale.currency,
        lines=[ReturnedQuantity(line=i, sku=line.sku, quantity=line.quantity, returned=returned[i], paid=paid[i])
               for i, line in enumerate(sale.lines)],
        returns=earlier,
    )
