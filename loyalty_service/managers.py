"""Managers who may adjust points: their PINs checked, and their lockout.

Stored managers are rows of ``managers`` (``loyalty-service add-manager``, ``list-managers``,
``remove-manager``, ``unlock-manager``); demo managers (``--manager-pin``) live in memory only, with
ids ``mgr_demo``, ``mgr_demo2``, ... . New PINs are 6 to 12 digits; managers added earlier with 4
or 5 digits keep working.

Every PIN checked is first charged to the key (``wrong_pins``, 5 in 5 minutes; rate_limit.py) and,
when the request names its manager (``manager_id``), to that manager as well, in one statement
(``failed_pins = failed_pins + 1 WHERE failed_pins < 5``), before the PIN is hashed: requests sent
at once cannot get more than 5 checked. A right PIN gives both back (the manager's count starts
again from 0). A manager with 5 wrong PINs is locked out (``403 manager_locked``) until head office
(``POST /v1/managers/{id}/unlock``) or ``unlock-manager`` frees them. A request without
``manager_id`` (a till written before) is checked against every manager, its wrong PINs charged to
the key only; a locked manager's PIN does not count there, so the lockout cannot be stepped round.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from loyalty_service.clock import utc_now
from loyalty_service.database import Connection, Database, write_transaction
from loyalty_service.errors import ApiError
from loyalty_service.pin_hashes import PinHasher
from loyalty_service.rate_limit import SlidingWindow
from loyalty_service.schemas import ErrorDetail

LOCK_AFTER = 5  # wrong PINs in a row
NEW_PIN_DIGITS = (6, 12)
DEMO_ID = "mgr_demo"


def valid_new_pin(pin: str) -> bool:
    return pin.isdigit() and NEW_PIN_DIGITS[0] <= len(pin) <= NEW_PIN_DIGITS[1]


def demo_ids(count: int) -> list[str]:
    return [DEMO_ID if n == 0 else f"{DEMO_ID}{n + 1}" for n in range(count)]


@dataclass(slots=True)
class Manager:
    manager_id: str
    name: str
    pin_hash: str
    failed_pins: int = 0


class Unlocked(BaseModel):
    manager_id: str
    name: str
    locked: bool


class ManagerLocked(ApiError):
    def __init__(self) -> None:
        super().__init__(403, "manager_locked", f"This manager is locked out after {LOCK_AFTER} wrong PINs; head"
                         " office, or loyalty-service unlock-manager, can free them.",
                         [ErrorDetail(field="manager_id", problem="locked out")])


def wrong_pin() -> ApiError:
    return ApiError(403, "wrong_manager_pin", "That is not a manager's PIN.",
                    [ErrorDetail(field="manager_pin", problem="not a manager's PIN")])


# -- the command line's (management.py) ------------------------------------------------------------


def add_manager(conn: Connection, hasher: PinHasher, name: str, pin: str) -> str:
    manager_id = "mgr_" + secrets.token_hex(6)
    conn.execute(
        "INSERT INTO managers (manager_id, name, pin_hash, created_at) VALUES (?, ?, ?, ?)",
        (manager_id, " ".join(name.split()), hasher.hash(pin), utc_now()),
    )
    return manager_id


def list_managers(conn: Connection) -> list[dict]:
    rows = conn.execute("SELECT manager_id, name, created_at, failed_pins FROM managers ORDER BY created_at")
    return [{"manager_id": r["manager_id"], "name": r["name"], "created_at": r["created_at"],
             "failed_pins": r["failed_pins"], "locked": r["failed_pins"] >= LOCK_AFTER} for r in rows]


def remove_manager(conn: Connection, manager_id: str) -> bool:
    return conn.execute("DELETE FROM managers WHERE manager_id = ?", (manager_id,)).rowcount > 0


def unlock_stored(conn: Connection, manager_id: str) -> Unlocked | None:
    row = conn.execute("SELECT name FROM managers WHERE manager_id = ?", (manager_id,)).fetchone()
    if row is None:
        return None
    conn.execute("UPDATE managers SET failed_pins = 0 WHERE manager_id = ?", (manager_id,))
    return Unlocked(manager_id=manager_id, name=row["name"], locked=False)


# -- the service's ----------------------------------------------------------------------------------


class Managers:
    """The managers a running service knows: stored ones, and demo ones held in memory."""

    def __init__(self, hasher: PinHasher, demo: tuple[tuple[str, str], ...] = ()) -> None:
        """``demo``: (name, PIN) pairs, given ids ``mgr_demo``, ``mgr_demo2``, ..."""
        self.hasher = hasher
        memory = PinHasher.in_memory()
        self._memory_hasher = memory
        self.demo = {manager_id: Manager(manager_id, name, memory.hash(pin))
                     for manager_id, (name, pin) in zip(demo_ids(len(demo)), demo)}
        self._lock = threading.Lock()  # over the demo managers' counts

    def authorise(self, database: Database, wrong_pins: SlidingWindow, key_id: str,
                  manager_id: str | None, pin: str) -> str:
        """The manager's name when ``pin`` is theirs; else 403 (wrong_manager_pin, manager_locked)
        or 429 (the key's wrong PINs spent)."""
        return charged_to_key(
            wrong_pins, key_id, "Too many wrong manager PINs from this till; wait before trying again.",
            lambda: self._named(database, manager_id, pin) if manager_id else self._any(database, pin),
            MANAGER_PINS, wrong_pin,
        )

    def unlock(self, conn: Connection, manager_id: str) -> Unlocked | None:
        """Call in a write transaction. None when there is no such manager."""
        demo = self.demo.get(manager_id)
        if demo is not None:
            with self._lock:
                demo.failed_pins = 0
            return Unlocked(manager_id=manager_id, name=demo.name, locked=False)
        return unlock_stored(conn, manager_id)

    def _named(self, database: Database, manager_id: str, pin: str) -> str | None:
        demo = self.demo.get(manager_id)
        if demo is not None:
            with self._lock:
                if demo.failed_pins >= LOCK_AFTER:
                    raise ManagerLocked()
                demo.failed_pins += 1
            if not self._memory_hasher.matches(pin, demo.pin_hash):
                return None
            with self._lock:
                demo.failed_pins = 0
            return demo.name
        return check_stored_pin(database, self.hasher, MANAGER_PINS, manager_id, pin)

    def _any(self, database: Database, pin: str) -> str | None:
        """Every hash is tried, so the time does not say which one matched."""
        with database.connection() as conn:
            stored = [Manager(r["manager_id"], r["name"], r["pin_hash"], r["failed_pins"]) for r in conn.execute(
                "SELECT manager_id, name, pin_hash, failed_pins FROM managers ORDER BY created_at")]
            found = None
            tried = [*((m, self._memory_hasher) for m in self.demo.values()), *((m, self.hasher) for m in stored)]
            for manager, hasher in tried:
                if hasher.matches(pin, manager.pin_hash) and found is None and manager.failed_pins < LOCK_AFTER:
                    found = manager
            if found is None:
                return None
            if found.manager_id in self.demo:
                with self._lock:
                    found.failed_pins = 0
            else:
                _passed(conn, self.hasher, MANAGER_PINS, found.manager_id, found.pin_hash, pin)
        return found.name


# -- stored PINs, the managers' and the cashiers' (staff.py) alike -----------------------------------


@dataclass(frozen=True, slots=True)
class PinTable:
    """Where a kind of PIN holder is kept: its table, id column, and how its lockout is refused.
    ``active``: an SQL condition a holder must meet to be checked at all (else: a wrong PIN)."""

    table: str
    id_column: str
    locked: type[ApiError]
    active: str = "1 = 1"


MANAGER_PINS = PinTable("managers", "manager_id", ManagerLocked)


def charged_to_key(wrong_pins: SlidingWindow, key_id: str, spent: str, check: Callable[[], str | None],
                   where: PinTable, wrong: Callable[[], ApiError]) -> str:
    """The name ``check`` finds, the PIN charged to the key first (``spent``: the 429's words) and
    given back when it was right or not checked at all (the holder locked out); ``wrong()`` raised
    when ``check`` finds none."""
    slot = wrong_pins.take(key_id, spent)
    try:
        name = check()
    except where.locked:
        slot.give_back()  # no PIN was checked
        raise
    if name is None:
        raise wrong()
    slot.give_back()
    return name


def check_stored_pin(database: Database, hasher: PinHasher, where: PinTable, holder_id: str, pin: str) -> str | None:
    """The holder's name when ``pin`` is theirs, None when not (an unknown or inactive id too);
    ``where.locked`` raised when they are locked out. The wrong PIN is charged before the PIN is
    hashed, in one statement, so PINs sent at once cannot get more than LOCK_AFTER checked."""
    table, column = where.table, where.id_column
    with database.connection() as conn:
        with write_transaction(conn):
            row = conn.execute(f"SELECT name, pin_hash FROM {table} WHERE {column} = ? AND {where.active}",
                               (holder_id,)).fetchone()
            if row is None:
                return None  # an unknown id answers as a wrong PIN, charged to the key
            charged = conn.execute(
                f"UPDATE {table} SET failed_pins = failed_pins + 1 WHERE {column} = ? AND failed_pins < ?",
                (holder_id, LOCK_AFTER),
            ).rowcount
        if not charged:
            raise where.locked()
        if not hasher.matches(pin, row["pin_hash"]):
            return None
        _passed(conn, hasher, where, holder_id, row["pin_hash"], pin)
    return row["name"]


def _passed(conn: Connection, hasher: PinHasher, where: PinTable, holder_id: str, pin_hash: str, pin: str) -> None:
    """A right PIN: the holder's count starts again; an unkeyed hash becomes keyed."""
    table, column = where.table, where.id_column
    with write_transaction(conn):
        if hasher.needs_rehash(pin_hash):
            conn.execute(f"UPDATE {table} SET failed_pins = 0, pin_hash = ? WHERE {column} = ?",
                         (hasher.hash(pin), holder_id))
        else:
            conn.execute(f"UPDATE {table} SET failed_pins = 0 WHERE {column} = ?", (holder_id,))
