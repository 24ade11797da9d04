"""Bearer keys: every /v1 call carries a configured key or a key from the database (a till's,
bound to one store and terminal, or head office's; see terminal_keys.py for what each may do).

Only keyed hashes are compared or stored: the presented key is hashed under the database's pepper
and looked up, so the time taken does not depend on how close a guess came.
"""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from loyalty_service.errors import ApiError
from loyalty_service.orders import WEB_ROUTES
from loyalty_service.report_access import REPORT_PATHS
from loyalty_service.schemas import ErrorDetail
from loyalty_service.terminal_keys import MANAGER, KeyHolder, key_hash


async def require_key(request: Request) -> KeyHolder:
    # Async, so it runs on the event loop: only a terminal key missing from the cache needs the
    # database, and that lookup alone goes to a worker thread.
    state = request.app.state
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    presented = token.strip()
    if scheme.lower() != "bearer" or not presented:
        raise _unauthorized()
    digest = key_hash(state.key_pepper, presented)
    holder = state.unbound_keys.get(digest)
    if holder is None:
        # A key in the database (key_cache.py): from the cache on the event loop when it can say,
        # else looked up in a worker thread.
        holder = state.key_cache.known(digest) or await run_in_threadpool(state.key_cache.holder, digest)
    if holder is None:
        raise _unauthorized()
    if holder.role == "web" and not _web_may(request):
        raise ApiError(403, "web_orders_only", "A web shop's key may only post and read click & collect orders.")
    if holder.role == MANAGER and not _reports(request):
        raise ApiError(403, "reports_only", "A store manager's key may only read its store's reports.")
    request.state.key_holder = holder
    return holder


def _reports(request: Request) -> bool:
    route = request.scope.get("route")
    return request.method == "GET" and getattr(route, "path", "") in REPORT_PATHS


def _web_may(request: Request) -> bool:
    route = request.scope.get("route")
    return (request.method, getattr(route, "path", "")) in WEB_ROUTES


def key_holder(request: Request) -> KeyHolder:
    return request.state.key_holder


def check_binding(holder: KeyHolder, store_id: str | None, terminal_id: str | None) -> tuple[str | None, str | None]:
    """The store and terminal a request acts for: a bound key's own (a missing id is filled in),
    or 403 wrong_terminal when the request names another; an unbound key's as given."""
    if not holder.bound:
        return store_id, terminal_id
    details = [
        ErrorDetail(field=field, problem="not the store or terminal this key belongs to")
        for field, given, own in (("store_id", store_id, holder.store_id), ("terminal_id", terminal_id, holder.terminal_id))
        if given is not None and given != own
    ]
    if details:
        raise ApiError(403, "wrong_terminal", "This key belongs to another store or terminal.", details)
    return holder.store_id, holder.terminal_id


def require_hq(holder: KeyHolder) -> None:
    """403 hq_only unless the key may do head office's work (an HQ or configured key)."""
    if not holder.hq:
        raise ApiError(403, "hq_only", "Only a head-office key may do this.")


def require_till(holder: KeyHolder) -> None:
    """403 till_only unless the key serves customers at a till (a till or configured key)."""
    if not holder.serves_customers:
        raise ApiError(403, "till_only", "Only a till's key may do this; head-office keys serve no customer.")


def _unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "A valid API key is needed: Authorization: Bearer <key>.")
