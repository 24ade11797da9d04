"""Configured keys: the ones the service is started with, for demos and a single store's own
service (a chain gives each till a key of its own with ``add-key``).

They come from ``--api-key-file FILE`` (one key a line; blank lines and ``#`` comments skipped),
``LOYALTY_API_KEYS`` (comma separated) and ``--api-key`` (which ``ps`` and shell history keep, so
the service warns). Outside ``--demo`` a key shorter than 24 characters is refused: one guessed
key may do everything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

MIN_KEY_CHARS = 24
ENV = "LOYALTY_API_KEYS"


class KeyProblem(Exception):
    """Keys the service will not start with; the message says why, in plain words."""


def read_keys(from_flags: Sequence[str], file: Path | None, environ: Mapping[str, str] = os.environ) -> list[str]:
    keys = [key.strip() for key in from_flags if key.strip()]
    keys += [key.strip() for key in environ.get(ENV, "").split(",") if key.strip()]
    if file is not None:
        try:
            lines = file.read_text().splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise KeyProblem(f"cannot read the key file {file}: {getattr(error, 'strerror', None) or error}") from None
        keys += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return list(dict.fromkeys(keys))


def check_lengths(keys: Sequence[str], demo: bool) -> None:
    short = [key for key in keys if len(key) < MIN_KEY_CHARS]
    if short and not demo:
        raise KeyProblem(
            f"{len(short)} configured key(s) are shorter than {MIN_KEY_CHARS} characters; a configured key may do"
            " everything, so it must not be guessable (make one with: openssl rand -hex 24). Short keys are"
            " allowed only with --demo."
        )
