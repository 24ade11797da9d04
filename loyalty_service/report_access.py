"""Who may read the reports (``GET /v1/reports/...``), and of which stores: one rule for every report.

- An HQ or configured key: any store; ``store_id`` filters, absent means every store.
- A store-manager key (``add-key --role manager --store S``): its own store only.
- A till key with a manager's credentials (headers ``X-Manager-Id``, ``X-Manager-Pin``): its own
  store only. The PIN is checked and counted towards the manager's lockout and the key's wrong PINs
  exactly as adjustments and returns do (managers.py): wrong ``403 wrong_manager_pin``, locked out
  ``403 manager_locked``; without a PIN ``403 manager_pin_required``.
- Any other key (a web shop's): refused (auth.py refuses it before the route already).

Another store's figures are ``403 other_store``, decided before any PIN is checked.
The check of a PIN blocks (the database, scrypt): call this in a worker thread, as the routes do.
"""

from __future__ import annotations

from fastapi import Request

from loyalty_service.errors import ApiError
from loyalty_service.schemas import ErrorDetail
from loyalty_service.terminal_keys import MANAGER, KeyHolder

# The routes a store manager's key may call (auth.py); the survey's is ereceipts'.
REPORT_PATHS = ("/v1/reports/sales", "/v1/reports/enrolments", "/v1/reports/rewards", "/v1/reports/survey")
MANAGER_ID_HEADER = "x-manager-id"
MANAGER_PIN_HEADER = "x-manager-pin"


def report_access(holder: KeyHolder, request: Request, store_id: str | None) -> str | None:
    """The store whose figures this request may read, or None for every store (head office
    asking for no one store); an ApiError (403) when it may read none of them."""
    if holder.hq:
        return store_id
    if holder.role not in (MANAGER, "till") or holder.store_id is None:
        raise ApiError(403, "reports_refused", "This key may not read reports.")
    if store_id is not None and store_id != holder.store_id:
        raise ApiError(403, "other_store", "This key reads the reports of its own store only.",
                       [ErrorDetail(field="store_id", problem="not this key's store")])
    if holder.role == "till":
        pin = request.headers.get(MANAGER_PIN_HEADER)
        if not pin:
            raise ApiError(403, "manager_pin_required", "A till reads reports with a manager's id and PIN"
                           " (X-Manager-Id, X-Manager-Pin).", [ErrorDetail(field="X-Manager-Pin", problem="missing")])
        state = request.app.state
        state.managers.authorise(state.database, state.wrong_pins, holder.key_id,
                                 request.headers.get(MANAGER_ID_HEADER) or None, pin)
    return holder.store_id
