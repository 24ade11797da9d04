"""Request bodies over 256 KiB (a batch of sales: its own larger limit) are refused with 413 before they are read in full, on every route,
authorised or not: the outermost layer of the app, in front of routing, keys and JSON parsing.

Without it an 18 MB JSON body sent with no key was read and parsed before the key was checked
(peak memory 60 MB -> 530 MB) and only then answered 401. A declared ``Content-Length`` over the
limit is answered at once, nothing read; a body without one (chunked) or one that keeps coming is
counted as it arrives and answered as soon as the count passes the limit. The app then sees the
client as gone, and whatever it answers is dropped: the 413 is the answer. The connection is closed
after it, so the rest of the body is never read.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loyalty_service.errors import error_response
from loyalty_service.schemas import ErrorDetail

MAX_BODY_BYTES = 256 * 1024


class BodyLimit:
    """Pure ASGI middleware: at most ``max_bytes`` of request body per HTTP request, or what
    ``larger`` gives the request's path."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", ""), self.max_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        answered = False  # the 413 went out: the app's own answer is dropped
        started = False
        received = 0

        async def counted_receive() -> Message:
            nonlocal answered, received
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started:
                        answered = True
                        await self._refuse(scope, receive, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted_receive, guarded_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(
            413, "body_too_large", f"The request body is over {limit // 1024} KiB.",
            [ErrorDetail(field="body", problem=f"at most {limit} bytes")],
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    """The declared length; None when there is none. A value that is not a number is taken as
    over the limit: nothing honest sends one."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() else 1 << 62
    return None
