"""The customer display's guard, around every answer of its web server (ASGI middleware):

- security headers: a Content-Security-Policy that allows only the till's own script, style and
  connections (no inline script, no other origin, no framing), X-Frame-Options, nosniff, no
  referrer, no camera or microphone;
- only requests addressed to the till by an IP address or ``localhost`` (the Host header): a web
  page elsewhere that points a name of its own at the till (DNS rebinding) is refused, so it can
  neither read the customer's view nor answer their consent question.
"""

from __future__ import annotations

import ipaddress

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]


def host_allowed(host: str) -> bool:
    """``192.168.1.20:8765``, ``[::1]:8765``, ``localhost:8765`` yes; ``shop.example:8765`` no."""
    name = host.strip()
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name.lower() == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class DisplayGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        if not host_allowed(Headers(scope=scope).get("host", "")):
            await send_with_headers({"type": "http.response.start", "status": 421,
                                     "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": b"Open the display by the till's address.\n"})
            return
        await self.app(scope, receive, send_with_headers)
