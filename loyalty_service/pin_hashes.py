"""Managers' PINs as keyed hashes: scrypt over HMAC-SHA256(secret, PIN), the secret kept outside
the database.

A PIN has few values (10^6 for six digits), so scrypt alone does not protect it: from a copy of the
database every 4-digit PIN fell in about 5 minutes on one core (29 ms a hash). With a secret mixed
in first, the database alone cannot test a single guess. The secret comes from
``LOYALTY_PIN_SECRET`` or a file (``--pin-secret-file``), read once at start.

Stored forms: ``scrypt-keyed$<salt>$<digest>`` now, and ``scrypt$<salt>$<digest>`` (no secret) as
made before, which still checks, so managers added earlier keep working; their hash is rewritten
keyed on their next right PIN once the service has a secret (``needs_rehash``).

The meta row ``pin_secret_check`` holds HMAC(secret, a fixed text), so a service given another
secret than the one the hashes were made with says so at start rather than refusing every PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from loyalty_service.database import Connection

SECRET_ENV = "LOYALTY_PIN_SECRET"
MIN_SECRET_CHARS = 32
KEYED = "scrypt-keyed"
UNKEYED = "scrypt"  # made before secrets: checked, never made
_SCRYPT = {"n": 2**13, "r": 8, "p": 1, "dklen": 32}
_CHECK_TEXT = b"loyalty-service pin secret check v1"


class PinSecretError(Exception):
    """No usable secret where one is needed, or not the secret the hashes were made with."""


def read_secret(file: Path | None, environ: Mapping[str, str] = os.environ) -> bytes | None:
    """The secret from ``file`` or ``LOYALTY_PIN_SECRET``; None when neither is given."""
    if file is not None:
        try:
            text = file.read_text()
        except OSError as error:
            raise PinSecretError(f"cannot read the PIN secret file {file}: {error.strerror}") from None
        source = str(file)
    elif environ.get(SECRET_ENV):
        text, source = environ[SECRET_ENV], SECRET_ENV
    else:
        return None
    secret = text.strip()
    if len(secret) < MIN_SECRET_CHARS:
        raise PinSecretError(f"the PIN secret in {source} is shorter than {MIN_SECRET_CHARS} characters;"
                             f" make one with: openssl rand -hex 32")
    return secret.encode()


class PinHasher:
    """Makes keyed hashes under one secret; checks keyed and older unkeyed ones."""

    def __init__(self, secret: bytes | None) -> None:
        self.secret = secret

    @classmethod
    def in_memory(cls) -> PinHasher:
        """For PINs that never leave the process (``--manager-pin``): a secret of its own."""
        return cls(secrets.token_bytes(32))

    def hash(self, pin: str) -> str:
        if self.secret is None:
            raise PinSecretError(f"no PIN secret: set {SECRET_ENV} or give --pin-secret-file")
        salt = secrets.token_bytes(16)
        return f"{KEYED}${salt.hex()}${self._keyed(pin, salt).hex()}"

    def matches(self, pin: str, stored: str) -> bool:
        try:
            form, salt_hex, digest_hex = stored.split("$")
            salt, digest = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
        except ValueError:
            return False
        if form == KEYED and self.secret is not None:
            candidate = self._keyed(pin, salt)
        elif form == UNKEYED:
            candidate = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
        else:
            return False
        return hmac.compare_digest(candidate, digest)

    def published(self, pin: str) -> str:
        """A hash of a PIN printed in the README (the demo store's cashiers): keyed when there is a
        secret, else the older unkeyed form, which checks and becomes keyed on a right PIN."""
        if self.secret is not None:
            return self.hash(pin)
        salt = secrets.token_bytes(16)
        return f"{UNKEYED}${salt.hex()}${hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT).hex()}"

    def needs_rehash(self, stored: str) -> bool:
        return self.secret is not None and stored.startswith(f"{UNKEYED}$")

    def _keyed(self, pin: str, salt: bytes) -> bytes:
        assert self.secret is not None
        keyed_pin = hmac.new(self.secret, pin.encode(), hashlib.sha256).digest()
        return hashlib.scrypt(keyed_pin, salt=salt, **_SCRYPT)


def secret_check(secret: bytes) -> str:
    return hmac.new(secret, _CHECK_TEXT, hashlib.sha256).hexdigest()


def secret_problem(conn: Connection, secret: bytes | None) -> str | None:
    """Why the service cannot check its managers' PINs with ``secret``, or None when it can."""
    keyed = conn.execute("SELECT COUNT(*) FROM managers WHERE pin_hash LIKE ?", (f"{KEYED}$%",)).fetchone()[0]
    if not keyed:
        return None
    if secret is None:
        return (f"{keyed} manager PIN(s) are hashed with a secret, and none was given: set {SECRET_ENV}"
                f" or give --pin-secret-file FILE (the one add-manager used)")
    row = conn.execute("SELECT value FROM meta WHERE key = 'pin_secret_check'").fetchone()
    if row is not None and not hmac.compare_digest(row[0], secret_check(secret)):
        return "the PIN secret given is not the one the managers' PINs were hashed with"
    return None


def remember_secret(conn: Connection, secret: bytes) -> None:
    """Call in a write transaction, after ``secret_problem`` found none."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('pin_secret_check', ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (secret_check(secret),),
    )
