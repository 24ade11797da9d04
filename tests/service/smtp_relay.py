"""A real SMTP server on loopback (aiosmtpd) for the digital-receipt tests: it keeps every message
it accepts, and refuses the next ones with the replies it is told to (451 for now, 550 for good)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.postgres_server import _free_port as free_port


@dataclass
class LoopbackRelay:
    controller: Controller | None = None
    accepted: list[EmailMessage] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # the next DATA commands' replies, in turn
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.attempts += 1
            if self.refusals:
                return self.refusals.pop(0)
            message = message_from_bytes(envelope.original_content, policy=policy.default)
            message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
            self.accepted.append(message)  # type: ignore[arg-type]
        return "250 OK"

    @property
    def url(self) -> str:
        assert self.controller is not None
        return f"smtp://127.0.0.1:{self.controller.port}"

    def start(self, port: int | None = None) -> LoopbackRelay:
        self.controller = Controller(self, hostname="127.0.0.1", port=port or free_port())
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def reset(self) -> None:
        with self.lock:
            self.accepted.clear()
            self.refusals.clear()
            self.attempts = 0

    def to(self, message_id: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.accepted if m["Message-ID"] == message_id]
