"""The Loyalty API v1 client: one long-lived ``httpx.AsyncClient``, one deadline per call.

Every call has a single overall deadline (``asyncio.timeout``), not only httpx's per-phase
timeouts, so a service that accepts the connection and then drips bytes cannot hold the till.
Failures come out as the types in ``loyalty_errors``; nothing here knows about screens.

The client is also the one place that knows whether the service answers: every real answer or
failure sets ``reachability`` ("checking" until the first, then "online", "offline" or
"refused") and tells whoever listens, so no caller has to guess from what it got back (an
answer from the till's cache is not the service answering).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx
import httpx_sse

from pos_core.catalog import Catalog
from pos_core.loyalty_errors import (
    AlreadyEnrolled,
    IdempotencyConflict,
    InvalidValue,
    LoyaltyAuthError,
    LoyaltyError,
    LoyaltyUnavailable,
    NotFound,
    RequestRefused,
    RewardNotAvailable,
    SaleBatchesUnsupported,
    AnonymousSalesUnsupported,
    UnknownCustomer,
)
from pos_core.deadlines import Deadlines
from pos_core.loyalty_models import AccountSummary, Program, Quote, Reservation, ReturnResult, SaleResult
from pos_core.staff_models import AnonymousSaleResult, StaffMember
from pos_core.pickup_order import OrderAtTill, OrderPickup
from pos_core.report_models import EnrolmentsReport, RewardsReport, SalesReport

USER_AGENT = "loyalty-checkout/0.1"
# The most sales one POST /v1/sales/batch takes (the contract's limit).
MAX_BATCH_SALES = 100
# A batch's deadline: a single sale's, and this much more for each sale in it.
BATCH_SECONDS_PER_SALE = 0.05
Model = TypeVar("Model")


_ERRORS_BY_CODE: dict[str, type[LoyaltyError]] = {
    "unauthorized": LoyaltyAuthError,
    "unknown_customer": UnknownCustomer,
    "not_found": NotFound,
    "already_enrolled": AlreadyEnrolled,
    "idempotency_conflict": IdempotencyConflict,
    "invalid_value": InvalidValue,
    "invalid_phone": InvalidValue,
    # A friend's referral code at enrolment that no member has, or the new member's own.
    "unknown_referral_code": InvalidValue,
    "referral_own_phone": InvalidValue,
    # An e-mail address the service refused, or an e-mailed receipt asked for with no address.
    "invalid_email": InvalidValue,
    "email_required": InvalidValue,
    # An app code that has expired or was already used: the customer shows a fresh one.
    "qr_expired": InvalidValue,
    "qr_replayed": InvalidValue,
    "reward_not_available": RewardNotAvailable,
    "insufficient_points": RewardNotAvailable,
    "return_quantity_exceeded": RequestRefused,
    # 403s that are not about the till's key: a manager PIN refused; ids not this key's own.
    "wrong_manager_pin": RequestRefused,
    "wrong_staff_pin": RequestRefused,
    "staff_locked": RequestRefused,
    "staff_disabled": RequestRefused,
    "manager_pin_required": RequestRefused,  # a late or large return: ask for a manager (returns)
    "manager_locked": RequestRefused,
    "other_store": RequestRefused,  # a report of another store than the key's own
    "reports_refused": RequestRefused,  # a key that reads no reports: the figures, not the till's key
    "wrong_terminal": RequestRefused,
    # The customer's points, not the key: spending needs the customer identified at this till;
    # the customer's data is for the till serving them.
    "presence_required": RewardNotAvailable,
    "not_serving": RequestRefused,
    "wrong_store": RequestRefused,  # a click & collect order for another store: not the key's fault
}
_ERRORS_BY_STATUS: dict[int, type[LoyaltyError]] = {
    401: LoyaltyAuthError,
    403: LoyaltyAuthError,
    404: NotFound,
    409: IdempotencyConflict,
}
# Statuses that say "try again later" rather than "this request is wrong".
_RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class BatchedSale:
    """One sale's answer within a batch: what ``record_sale`` would have returned (``result``)
    or raised (``error``) for it alone."""

    sale_id: str
    result: SaleResult | None
    error: LoyaltyError | None
    replayed: bool = False

CHECKING, ONLINE, OFFLINE, REFUSED = "checking", "online", "offline", "refused"


def reachability_after(error: LoyaltyError) -> str:
    """What a failure says about the service: a refusal of the key, no answer, or an answer."""
    if isinstance(error, LoyaltyAuthError):
        return REFUSED
    if isinstance(error, LoyaltyUnavailable) and error.status != 429:
        return OFFLINE  # no answer, a 5xx, or a reply that is not the contract
    return ONLINE  # it answered: "not now" (429), "unknown customer", "not enough points"...


def load_http_backends() -> None:
    """Load now what httpx would load on the till's first client and first call: httpcore's async
    locks (which import trio when it is installed) and anyio's asyncio back end, over half a second
    together. The till does it while the demo store's service starts (pos_core/launch.py), so its
    first screen and first health check do not wait for it."""
    import anyio

    httpx.AsyncHTTPTransport()
    anyio.run(anyio.sleep, 0)


class LoyaltyClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        deadlines: Deadlines = Deadlines(),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.deadlines = deadlines
        longest = max(deadlines.identify, deadlines.quote, deadlines.sale, deadlines.other)
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(longest, connect=min(longest, 2.0)),
            transport=transport,
        )
        self.reachability = CHECKING
        # Whether the service takes POST /v1/sales/batch: None until a batch was sent, False
        # once it answered 404 or 405 there (a service from before it), for this client's life.
        self.sale_batches: bool | None = None
        # Whether the service counts sales without a customer (None until one was sent).
        self.anonymous_sales: bool | None = None
        self._listeners: list[Callable[[str], None]] = []

    def on_reachability(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(state)`` whenever an answer or a failure changes ``reachability``."""
        self._listeners.append(listener)

    def _reached(self, state: str) -> None:
        changed = state != self.reachability
        self.reachability = state
        if changed:
            for listener in list(self._listeners):
                listener(state)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> LoyaltyClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the contract --------------------------------------------------------------------------

    async def health(self) -> Mapping[str, Any]:
        return await self._call("GET", "/v1/health", self.deadlines.other)

    async def identify(self, method: str, value: str) -> AccountSummary:
        data = await self._call(
            "POST", "/v1/identify", self.deadlines.identify, json={"method": method, "value": value}
        )
        return self._parsed(AccountSummary.from_json, data)

    async def account(self, account_id: str) -> AccountSummary:
        data = await self._call("GET", f"/v1/accounts/{quote(account_id, safe='')}", self.deadlines.other)
        return self._parsed(AccountSummary.from_json, data)

    async def qr_token(self, account_id: str) -> str:
        """A fresh signed, single-use app QR token (``LQR1.…``) for the account, as the app would show it."""
        data = await self._call(
            "POST", f"/v1/accounts/{quote(account_id, safe='')}/qr-token", self.deadlines.other, json={}
        )
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise LoyaltyUnavailable("the service answered with an unexpected document")
        return token

    async def enrol(
        self,
        *,
        phone: str,
        name: str,
        terms_version: str,
        marketing: bool,
        store_id: str | None = None,
        terminal_id: str | None = None,
        given_at: str = "till",
        cashier_id: str | None = None,
        referral_code: str | None = None,
        email: str | None = None,
        email_receipts: bool = False,
    ) -> AccountSummary:
        """``given_at``: where the customer agreed ("till", "customer_display", "kiosk"); the
        contract's default "till" is not sent, so a platform that predates the field takes it.
        ``referral_code``: a friend's code, typed or scanned; sent only when given. ``email`` and
        ``email_receipts`` (every receipt by e-mail): sent only when given, likewise."""
        consent: dict[str, Any] = {"terms_version": terms_version, "marketing": marketing}
        if given_at != "till":
            consent["given_at"] = given_at
        if email_receipts:
            consent["email_receipts"] = True
        body: dict[str, Any] = {"phone": phone, "name": name, "consent": consent}
        if store_id:
            body["store_id"] = store_id
        if terminal_id:
            body["terminal_id"] = terminal_id
        if cashier_id:
            body["cashier_id"] = cashier_id
        if referral_code:
            body["referral_code"] = referral_code
        if email:
            body["email"] = email
        data = await self._call("POST", "/v1/accounts", self.deadlines.other, json=body)
        return self._parsed(AccountSummary.from_json, data)

    async def quote(
        self, *, account_id: str, currency: str, lines: Sequence[Mapping[str, Any]], rewards: Sequence[str]
    ) -> Quote:
        body = {"account_id": account_id, "currency": currency, "lines": list(lines), "rewards": list(rewards)}
        return self._parsed(Quote.from_json, await self._call("POST", "/v1/quote", self.deadlines.quote, json=body))

    async def record_sale(self, sale_id: str, body: Mapping[str, Any]) -> SaleResult:
        """Send a completed sale; safe to repeat with the same id and body (it is the idempotency key)."""
        data = await self._call(
            "POST", "/v1/sales", self.deadlines.sale, json=dict(body), headers={"Idempotency-Key": sale_id}
        )
        return self._parsed(SaleResult.from_json, data)

    async def record_anonymous_sale(self, sale_id: str, body: Mapping[str, Any]) -> AnonymousSaleResult:
        """Send a completed sale without a customer (counted, never credited); safe to repeat.
        ``AnonymousSalesUnsupported`` when the service has no such route (remembered in
        ``anonymous_sales``)."""
        try:
            response = await self._response("POST", "/v1/anonymous-sales", self.deadlines.sale, json=dict(body),
                                            headers={"Idempotency-Key": sale_id})
            if response.status_code in (404, 405):
                self.anonymous_sales = False
                raise AnonymousSalesUnsupported("the service does not count sales without a customer",
                                                status=response.status_code)
            data = _document(response)
        except LoyaltyError as error:
            self._reached(reachability_after(error))
            raise
        self.anonymous_sales = True
        self._reached(ONLINE)
        result = self._parsed(AnonymousSaleResult.from_json, data)
        return replace(result, replayed=response.headers.get("Idempotent-Replayed", "").lower() == "true")

    async def sign_on(self, staff_id: str, pin: str) -> StaffMember:
        """The cashier, when the service takes this staff id and PIN; ``RequestRefused`` with code
        ``wrong_staff_pin``, ``staff_locked`` or ``staff_disabled`` when not. The PIN goes in the
        body only, never in a URL or a log."""
        data = await self._call("POST", "/v1/staff/sign-on", self.deadlines.other,
                                json={"staff_id": staff_id, "pin": pin})
        return self._parsed(StaffMember.from_json, data)

    async def record_sales(self, sales: Sequence[tuple[str, Mapping[str, Any]]]) -> list[BatchedSale]:
        """Send up to MAX_BATCH_SALES completed sales, (sale id, body) each, in one request: each
        answered as ``record_sale`` would have answered it, in the order sent; safe to repeat.

        Raises as ``record_sale`` does when the batch as a whole has no answer (no connection,
        timeout, 5xx, the key refused), and ``SaleBatchesUnsupported`` when the service has no
        batch route (remembered in ``sale_batches``)."""
        if not 1 <= len(sales) <= MAX_BATCH_SALES:
            raise ValueError(f"a batch holds 1 to {MAX_BATCH_SALES} sales, not {len(sales)}")
        body = {"sales": [{**dict(sale), "sale_id": sale_id} for sale_id, sale in sales]}
        deadline = self.deadlines.sale + BATCH_SECONDS_PER_SALE * len(sales)
        try:
            response = await self._response(
                "POST", "/v1/sales/batch", deadline, json=body, headers=None, timeout=httpx.Timeout(deadline, connect=2.0)
            )
            if response.status_code in (404, 405):
                self.sale_batches = False
                raise SaleBatchesUnsupported("the service takes no batches of sales", status=response.status_code)
            answers = _batch_answers([sale_id for sale_id, _ in sales], _document(response))
        except LoyaltyError as error:
            self._reached(reachability_after(error))
            raise
        self.sale_batches = True
        self._reached(ONLINE)
        return answers

    async def sale(self, sale_id: str) -> SaleResult:
        data = await self._call("GET", f"/v1/sales/{quote(sale_id, safe='')}", self.deadlines.other)
        return self._parsed(SaleResult.from_json, data)

    async def program(self) -> Program:
        return self._parsed(Program.from_json, await self._call("GET", "/v1/program", self.deadlines.other))

    async def catalog(self) -> Catalog:
        return self._parsed(Catalog.from_json, await self._call("GET", "/v1/catalog", self.deadlines.other))

    async def reserve(
        self,
        *,
        account_id: str,
        rewards: Sequence[str],
        store_id: str,
        terminal_id: str,
        replaces: str | None = None,
        ttl_seconds: int | None = None,
        presence: str | None = None,
    ) -> Reservation:
        """Hold the points of ``rewards`` until the sale redeems them (or a release, or the expiry)."""
        body: dict[str, Any] = {
            "account_id": account_id, "rewards": list(rewards), "store_id": store_id, "terminal_id": terminal_id,
        }
        if replaces:
            body["replaces"] = replaces
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        if presence:
            body["presence"] = presence  # the customer's identify here proves they are at the till
        return self._parsed(Reservation.from_json, await self._call("POST", "/v1/reservations", self.deadlines.quote, json=body))

    async def release(self, reservation_id: str) -> Reservation:
        data = await self._call(
            "DELETE", f"/v1/reservations/{quote(reservation_id, safe='')}", self.deadlines.other
        )
        return self._parsed(Reservation.from_json, data)

    async def sale_document(self, sale_id: str) -> Mapping[str, Any]:
        """``GET /v1/sales/{sale_id}`` as the service sent it (its lines, for a return)."""
        return await self._call("GET", f"/v1/sales/{quote(sale_id, safe='')}", self.deadlines.other)

    async def sale_returns(self, sale_id: str) -> Mapping[str, Any]:
        return await self._call("GET", f"/v1/sales/{quote(sale_id, safe='')}/returns", self.deadlines.other)

    async def record_return(
        self, sale_id: str, return_id: str, lines: Sequence[Mapping[str, Any]] | None, **where: str
    ) -> ReturnResult:
        """Return ``lines`` ({sku, quantity}; all that is left when None); safe to repeat with the same id."""
        body: dict[str, Any] = {key: value for key, value in where.items() if value}
        if lines is not None:
            body["lines"] = [dict(line) for line in lines]
        data = await self._call(
            "POST", f"/v1/sales/{quote(sale_id, safe='')}/returns", self.deadlines.sale, json=body,
            headers={"Idempotency-Key": return_id},
        )
        return self._parsed(ReturnResult.from_json, data)

    async def look_up_order(self, pickup_code: str) -> OrderAtTill:
        """The click & collect order a pickup code names, and its customer (the till serves them now)."""
        data = await self._call("POST", "/v1/orders/lookup", self.deadlines.identify, json={"pickup_code": pickup_code})
        return self._parsed(OrderAtTill.from_json, data)

    async def pick_up_order(self, order_id: str, pickup_code: str, **where: str) -> OrderPickup:
        """Record the hand-over; safe to repeat (the service answers a second pickup as the first)."""
        body = {"pickup_code": pickup_code} | {key: value for key, value in where.items() if value}
        data = await self._call("POST", f"/v1/orders/{quote(order_id, safe='')}/pickup", self.deadlines.sale, json=body)
        return self._parsed(OrderPickup.from_json, data)

    async def adjust_points(
        self,
        account_id: str,
        *,
        points: int,
        reason: str,
        manager_pin: str,
        manager_id: str | None = None,
        store_id: str | None = None,
        terminal_id: str | None = None,
    ) -> Mapping[str, Any]:
        """A manual points adjustment (the service checks the manager's PIN): the adjustment
        with the new ``balance``. A wrong PIN is ``RequestRefused`` with code ``wrong_manager_pin``;
        a manager locked out by wrong PINs, ``manager_locked``."""
        body: dict[str, Any] = {"points": points, "reason": reason, "manager_pin": manager_pin}
        if manager_id:
            body["manager_id"] = manager_id
        if store_id:
            body["store_id"] = store_id
        if terminal_id:
            body["terminal_id"] = terminal_id
        return await self._call(
            "POST", f"/v1/accounts/{quote(account_id, safe='')}/adjustments", self.deadlines.other, json=body
        )

    async def sales_report(self, by: str, start: date, end: date, *, manager_id: str | None = None,
                           manager_pin: str | None = None) -> SalesReport:
        """``GET /v1/reports/sales?by=…`` over ``start``..``end`` (the programme's dates, inclusive).
        A till key reads its own store's reports with a manager's id and PIN (headers, never the
        URL): ``RequestRefused`` with ``wrong_manager_pin``, ``manager_locked`` or
        ``manager_pin_required`` when they do not pass."""
        data = await self._report("sales", start, end, manager_id, manager_pin, by=by)
        return self._parsed(SalesReport.from_json, data)

    async def enrolments_report(self, start: date, end: date, *, manager_id: str | None = None,
                                manager_pin: str | None = None) -> EnrolmentsReport:
        """``GET /v1/reports/enrolments``: enrolments by cashier, most first (as ``sales_report``)."""
        data = await self._report("enrolments", start, end, manager_id, manager_pin)
        return self._parsed(EnrolmentsReport.from_json, data)

    async def rewards_report(self, start: date, end: date, *, manager_id: str | None = None,
                             manager_pin: str | None = None) -> RewardsReport:
        """``GET /v1/reports/rewards``: rewards redeemed and their cost, most first (as ``sales_report``)."""
        data = await self._report("rewards", start, end, manager_id, manager_pin)
        return self._parsed(RewardsReport.from_json, data)

    async def _report(self, name: str, start: date, end: date, manager_id: str | None, manager_pin: str | None,
                      **query: str) -> Mapping[str, Any]:
        params = urlencode({**query, "from": start.isoformat(), "to": end.isoformat()})
        headers = {"X-Manager-Id": manager_id, "X-Manager-Pin": manager_pin} if manager_id and manager_pin else None
        return await self._call("GET", f"/v1/reports/{name}?{params}", self.deadlines.other, headers=headers)

    @asynccontextmanager
    async def event_source(
        self, account_id: str | None, last_event_id: str | None, *, read_timeout: float = 45.0
    ) -> AsyncIterator[httpx_sse.EventSource]:
        """``GET /v1/events`` as an open server-sent event stream (pos_core.live_updates reads it).

        No overall deadline: the stream is meant to stay open; ``read_timeout`` ends it when not
        even a keep-alive arrives. A refusal comes out as the usual error types.
        """
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        params = {"account_id": account_id} if account_id else None
        timeout = httpx.Timeout(read_timeout, connect=min(read_timeout, 2.0))
        try:
            async with httpx_sse.aconnect_sse(
                self._http, "GET", "/v1/events", params=params, headers=headers, timeout=timeout
            ) as source:
                if not source.response.is_success:
                    await source.response.aread()
                    raise _error_from(source.response)
                self._reached(ONLINE)
                yield source
        except httpx.ConnectError:
            self._reached(OFFLINE)
            raise LoyaltyUnavailable(f"cannot connect to {self.base_url}") from None
        except LoyaltyError as error:
            self._reached(reachability_after(error))
            raise

    # -- transport -----------------------------------------------------------------------------

    def _parsed(self, parse: Callable[[Mapping[str, Any]], Model], data: Mapping[str, Any]) -> Model:
        """The answer as the contract's model; an answer that is not the contract (a proxy's page,
        another platform's document) is no answer: LoyaltyUnavailable, and not "online"."""
        try:
            return parse(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            error = LoyaltyUnavailable("the service answered with a document that is not the contract", status=200)
            self._reached(reachability_after(error))
            raise error from None

    async def _call(
        self,
        method: str,
        path: str,
        deadline: float,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Mapping[str, Any]:
        try:
            response = await self._response(method, path, deadline, json=json, headers=headers)
            data = _document(response)
        except LoyaltyError as error:
            self._reached(reachability_after(error))
            raise
        self._reached(ONLINE)
        return data

    async def _response(
        self, method: str, path: str, deadline: float, *, json: Any, headers: Mapping[str, str] | None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        try:
            async with asyncio.timeout(deadline):
                response = await self._http.request(
                    method, path, json=json, headers=headers,
                    timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                )
                await response.aread()
                return response
        except TimeoutError:
            raise LoyaltyUnavailable(f"no answer within {deadline:g} s") from None
        except httpx.ConnectError:
            raise LoyaltyUnavailable(f"cannot connect to {self.base_url}") from None
        except httpx.HTTPError as error:
            raise LoyaltyUnavailable(f"{type(error).__name__} talking to {self.base_url}") from None


def _document(response: httpx.Response) -> Mapping[str, Any]:
    """The answer's JSON object, or the contract's error as one of our types."""
    if not response.is_success:
        raise _error_from(response)
    try:
        data = response.json()
    except ValueError:
        raise LoyaltyUnavailable("the service answered with something that is not JSON") from None
    if not isinstance(data, dict):
        raise LoyaltyUnavailable("the service answered with an unexpected document")
    return data


def _error_from(response: httpx.Response) -> LoyaltyError:
    try:
        document = response.json()
    except ValueError:
        document = None
    return _error_for(
        response.status_code, document, response.reason_phrase, _retry_after(response.headers.get("retry-after"))
    )


def _error_for(status: int, document: Any, reason: str, retry_after: float | None) -> LoyaltyError:
    """The error an answer with this status and (error) document is, as one of our types."""
    code, message = "", reason or f"HTTP {status}"
    try:
        error = document.get("error", {})
        code = str(error.get("code", ""))
        message = str(error.get("message", message))
    except AttributeError:
        pass
    if status >= 500 or status in _RETRYABLE_STATUSES:
        return LoyaltyUnavailable(
            f"the service answered {status}: {message}", code=code, status=status, retry_after=retry_after
        )
    kind = _ERRORS_BY_CODE.get(code) or _ERRORS_BY_STATUS.get(status) or RequestRefused
    return kind(message, code=code, status=status)


def _batch_answers(sale_ids: list[str], document: Mapping[str, Any]) -> list[BatchedSale]:
    """Each sale's answer from a batch's ``{"results": [...]}``, checked against what was sent:
    one per sale, in order, under its id. Anything else is no answer (LoyaltyUnavailable)."""
    results = document.get("results")
    if not isinstance(results, list) or len(results) != len(sale_ids):
        raise LoyaltyUnavailable("the service answered the batch with a document that is not the contract", status=200)
    answers = []
    for sale_id, entry in zip(sale_ids, results, strict=True):
        try:
            status, body = int(entry["status"]), entry["body"]
            if str(entry["sale_id"]).lower() != sale_id.lower():
                raise ValueError("another sale's result")
            if status == 201:
                answers.append(BatchedSale(sale_id, SaleResult.from_json(body), None, bool(entry.get("replayed"))))
            else:
                answers.append(BatchedSale(sale_id, None, _error_for(status, body, f"HTTP {status}", None)))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise LoyaltyUnavailable(
                "the service answered the batch with a document that is not the contract", status=200
            ) from None
    return answers


# The longest wait a Retry-After can impose; a longer one (or a date far ahead) is cut to this.
RETRY_AFTER_LONGEST = 300.0
# RFC 9110 delay-seconds is digits only; a fraction is tolerated, signs, exponents and words are not.
_DELAY_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds, at most RETRY_AFTER_LONGEST: a number of seconds or an HTTP date.

    Anything else (garbage, a negative number, NaN, infinity) is None: the caller waits by its
    own backoff instead, so a broken proxy cannot stall the queue for ever.
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    if _DELAY_SECONDS.fullmatch(text):
        seconds = min(float(text), RETRY_AFTER_LONGEST)  # so hundreds of digits are "long", not inf
    else:
        seconds = _seconds_until_date(text)
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, RETRY_AFTER_LONGEST)


def _seconds_until_date(text: str) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP dates are GMT
    # A date already past means "now".
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
