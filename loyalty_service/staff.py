"""Cashiers who sign on at registers: kept by the service, their PINs checked as managers' are.

A cashier has a staff id chosen by the chain (``loyalty-service add-staff --staff-id ... --name
...``, or ``POST /v1/staff`` with an HQ key), a name, and a PIN of 6 to 12 digits, hashed and locked
out after 5 wrong PINs in a row exactly as a manager's (``managers.check_stored_pin``, over the
``staff`` table). A till signs a cashier on with ``POST /v1/staff/sign-on``; each PIN it sends is
first charged to the till's key (``wrong_pins``, shared with managers' PINs), so a till cannot try
a whole chain's PINs either. A disabled cashier (``POST /v1/staff/{id}/disable``) signs on no more
(``403 staff_disabled``); their id stays on the sales, returns and enrolments they made.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from loyalty_service.clock import utc_now
from loyalty_service.database import Connection, Database, write_transaction
from loyalty_service.errors import ApiError
from loyalty_service.managers import LOCK_AFTER, PinTable, charged_to_key, check_stored_pin, valid_new_pin
from loyalty_service.pin_hashes import PinHasher
from loyalty_service.rate_limit import SlidingWindow
from loyalty_service.schemas import ErrorDetail, RequestBody

STAFF_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")

# The demo store's cashiers (README): id, name, PIN. Seeded with the demo store, once.
DEMO_STAFF = (("c101", "Sam Carter", "246810"), ("c102", "Priya Shah", "135791"))


class StaffLocked(ApiError):
    def __init__(self) -> None:
        super().__init__(403, "staff_locked", f"This cashier is locked out after {LOCK_AFTER} wrong PINs; head"
                         " office, or loyalty-service unlock-staff, can free them.",
                         [ErrorDetail(field="staff_id", problem="locked out")])


STAFF_PINS = PinTable("staff", "staff_id", StaffLocked, active="disabled_at IS NULL")


class SignOnRequest(RequestBody):
    staff_id: str = Field(min_length=1, max_length=32)
    pin: str = Field(min_length=4, max_length=12)


class StaffMember(BaseModel):
    staff_id: str
    name: str


class StaffEntry(StaffMember):
    created_at: str
    locked: bool
    disabled: bool


class StaffList(BaseModel):
    staff: list[StaffEntry]


class NewStaffRequest(RequestBody):
    staff_id: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=120)
    pin: str = Field(min_length=6, max_length=12)


def wrong_pin() -> ApiError:
    return ApiError(403, "wrong_staff_pin", "That staff id and PIN do not match.",
                    [ErrorDetail(field="pin", problem="not this cashier's PIN")])


def _disabled() -> ApiError:
    return ApiError(403, "staff_disabled", "This cashier has been disabled; ask head office.",
                    [ErrorDetail(field="staff_id", problem="disabled")])


def problem_with(staff_id: str, name: str, pin: str) -> str | None:
    """Why a new cashier cannot be added as given, or None."""
    if not STAFF_ID.fullmatch(staff_id):
        return "a staff id is 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"
    if not " ".join(name.split()):
        return "a cashier needs a name"
    if not valid_new_pin(pin):
        return "a PIN is 6 to 12 digits"
    return None


def add(conn: Connection, hasher: PinHasher, staff_id: str, name: str, pin: str, *, published: bool = False) -> bool:
    """False when the id is taken. ``published``: a PIN printed in the README (the demo's)."""
    pin_hash = hasher.published(pin) if published else hasher.hash(pin)
    return conn.execute(
        "INSERT INTO staff (staff_id, name, pin_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (staff_id) DO NOTHING",
        (staff_id, " ".join(name.split()), pin_hash, utc_now()),
    ).rowcount > 0


def seed_demo(conn: Connection, hasher: PinHasher) -> bool:
    """The demo store's cashiers, once per database (a store seeded before they existed gets them
    too). Inside a transaction; True when seeded now."""
    if conn.execute("SELECT 1 FROM meta WHERE key = 'demo_staff_seeded'").fetchone():
        return False
    for staff_id, name, pin in DEMO_STAFF:
        add(conn, hasher, staff_id, name, pin, published=True)
    conn.execute("INSERT INTO meta (key, value) VALUES ('demo_staff_seeded', ?)", (utc_now(),))
    return True


def listed(conn: Connection) -> StaffList:
    rows = conn.execute("SELECT staff_id, name, created_at, failed_pins, disabled_at FROM staff ORDER BY staff_id")
    return StaffList(staff=[StaffEntry(staff_id=r["staff_id"], name=r["name"], created_at=r["created_at"],
                                       locked=r["failed_pins"] >= LOCK_AFTER, disabled=r["disabled_at"] is not None)
                            for r in rows])


def disable(conn: Connection, staff_id: str) -> bool:
    """False when there is no such cashier. Disabling twice keeps the first time."""
    found = conn.execute("SELECT 1 FROM staff WHERE staff_id = ?", (staff_id,)).fetchone()
    conn.execute("UPDATE staff SET disabled_at = ? WHERE staff_id = ? AND disabled_at IS NULL", (utc_now(), staff_id))
    return found is not None


def unlock(conn: Connection, staff_id: str) -> bool:
    return conn.execute("UPDATE staff SET failed_pins = 0 WHERE staff_id = ?", (staff_id,)).rowcount > 0


def sign_on(database: Database, hasher: PinHasher, wrong_pins: SlidingWindow, key_id: str,
            body: SignOnRequest) -> StaffMember:
    """The cashier when the PIN is theirs; else 403 (wrong_staff_pin, staff_locked, staff_disabled)
    or 429 (the key's wrong PINs spent)."""
    with database.connection() as conn:
        row = conn.execute("SELECT disabled_at FROM staff WHERE staff_id = ?", (body.staff_id,)).fetchone()
    if row is not None and row["disabled_at"] is not None:
        raise _disabled()
    name = charged_to_key(wrong_pins, key_id, "Too many wrong PINs from this till; wait before trying again.",
                          lambda: check_stored_pin(database, hasher, STAFF_PINS, body.staff_id, body.pin),
                          STAFF_PINS, wrong_pin)
    return StaffMember(staff_id=body.staff_id, name=name)


def add_from_api(database: Database, hasher: PinHasher, body: NewStaffRequest) -> StaffMember:
    if problem := problem_with(body.staff_id, body.name, body.pin):
        raise ApiError(422, "invalid_request", f"Cannot add this cashier: {problem}.")
    with database.connection() as conn, write_transaction(conn):
        if not add(conn, hasher, body.staff_id, body.name, body.pin):
            raise ApiError(409, "staff_exists", "There is a cashier with this staff id already.")
    return StaffMember(staff_id=body.staff_id, name=" ".join(body.name.split()))
