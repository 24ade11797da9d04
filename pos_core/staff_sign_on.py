"""Signing a cashier on at a register: the service checks the staff id and PIN; offline, a cashier
who signed on at this till before may sign on again from a salted hash the till kept.

The PIN itself is never stored or logged. After each sign-on the service accepted, the till keeps
``scrypt(PIN, salt)`` with a fresh random salt in ``signed_on.json`` (its own folder, the owner's
alone), with the cashier's name. With the service away (not reached, or a gateway saying it is
away), that hash is what is checked, and the cashier is told plainly the PIN was checked by the
till. Wrong PINs there count too: after ``OFFLINE_TRIES`` in a row the kept hash is dropped, so
only the service can sign that cashier on again. A cashier the service refuses (wrong PIN,
locked out, disabled) has their kept hash dropped as well.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import LoyaltyError, LoyaltyUnavailable, RequestRefused

OFFLINE_TRIES = 5
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_AWAY_STATUSES = frozenset({502, 503, 504})


class SignOnRefused(Exception):
    """The staff id and PIN were not taken; the message says why, in the cashier's words."""


@dataclass(frozen=True, slots=True)
class SignedOn:
    staff_id: str
    name: str
    offline: bool  # checked by the till's kept hash: the service was away


class StaffSignOn:
    def __init__(self, client: LoyaltyClient, folder: Path) -> None:
        self.client = client
        self.path = folder / "signed_on.json"

    async def sign_on(self, staff_id: str, pin: str) -> SignedOn:
        """The cashier signed on, or ``SignOnRefused``. The hashes (tens of milliseconds) and the
        file run in a thread, never on the event loop."""
        staff_id = staff_id.strip()
        if not staff_id or not pin.isdigit():
            raise SignOnRefused("Type your staff id, then your PIN (digits).")
        try:
            member = await self.client.sign_on(staff_id, pin)
        except LoyaltyUnavailable as error:
            if error.status is not None and error.status not in _AWAY_STATUSES:
                # The service answered (429: too many wrong PINs from this till, or a 5xx).
                raise SignOnRefused(f"The loyalty service could not sign you on: {error.message}") from None
            return await asyncio.to_thread(self._offline, staff_id, pin)
        except RequestRefused as error:
            await asyncio.to_thread(self._forget, staff_id)
            raise SignOnRefused(_refusal(error.code)) from None
        except LoyaltyError as error:
            raise SignOnRefused(f"The loyalty service could not sign you on: {error.message}") from None
        await asyncio.to_thread(self._keep, member.staff_id, member.name, pin)
        return SignedOn(member.staff_id, member.name, offline=False)

    def _offline(self, staff_id: str, pin: str) -> SignedOn:
        kept = self._read()
        entry = kept.get(staff_id)
        if entry is None:
            raise SignOnRefused("The loyalty service is offline, and you have not signed on at this till before:"
                                " ask a colleague who has, or wait for the service.")
        salt = bytes.fromhex(entry["salt"])
        if hmac.compare_digest(_hash(pin, salt), bytes.fromhex(entry["hash"])):
            entry["wrong"] = 0
            self._write(kept)
            return SignedOn(staff_id, entry["name"], offline=True)
        entry["wrong"] = int(entry.get("wrong", 0)) + 1
        if entry["wrong"] >= OFFLINE_TRIES:
            del kept[staff_id]
            self._write(kept)
            raise SignOnRefused(f"{OFFLINE_TRIES} wrong PINs while offline: only the loyalty service can sign you"
                                " on now, once it is back.")
        self._write(kept)
        raise SignOnRefused("Wrong staff id or PIN (checked by this till: the loyalty service is offline).")

    def _keep(self, staff_id: str, name: str, pin: str) -> None:
        salt = secrets.token_bytes(16)
        kept = self._read()
        kept[staff_id] = {"name": name, "salt": salt.hex(), "hash": _hash(pin, salt).hex(), "wrong": 0}
        self._write(kept)

    def _forget(self, staff_id: str) -> None:
        kept = self._read()
        if kept.pop(staff_id, None) is not None:
            self._write(kept)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, kept: dict[str, Any]) -> None:
        """Written whole to a new file, then moved over the old one (owner-only), so a crash leaves
        one or the other. A till that cannot write it still signs the cashier on."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as file:
                json.dump(kept, file)
            os.replace(temporary, self.path)
        except OSError:
            pass


def _hash(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)


def _refusal(code: str) -> str:
    return {
        "wrong_staff_pin": "Wrong staff id or PIN.",
        "staff_locked": "You are locked out after 5 wrong PINs: ask head office to unlock you.",
        "staff_disabled": "This staff id is disabled: ask head office.",
    }.get(code, "The loyalty service did not sign you on.")
