"""How long each kind of loyalty call may take, in its own module: the settings read it before
anything loads httpx, so the demo store's service is asked to start that much sooner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Seconds each kind of call may take in all, from sending to the parsed answer."""

    identify: float = 0.8
    quote: float = 2.0
    sale: float = 5.0
    other: float = 5.0
    # How long the cashier waits for the service to confirm a paid sale before the receipt
    # shows its points as pending (the outbox delivers them later).
    receipt: float = 2.0
