"""Bearer keys: every /v1 call carries one of the configured keys, compared in constant time."""

from __future__ import annotations

import hmac

from fastapi import Request

from loyalty_service.errors import ApiError


def require_key(request: Request) -> None:
    keys: tuple[bytes, ...] = request.app.state.api_keys
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    presented = token.strip().encode()
    matched = False
    for key in keys:  # no early exit: the time does not tell which key came close
        matched |= hmac.compare_digest(presented, key)
    if scheme.lower() != "bearer" or not presented or not matched:
        raise ApiError(401, "unauthorized", "A valid API key is needed: Authorization: Bearer <key>.")
