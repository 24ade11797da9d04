"""Every error leaves the service in one shape: {"error": {"code", "message", "details"}}.

FastAPI's own answers ({"detail": ...} for 404, 405 and 422) are replaced here too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from loyalty_service.schemas import ErrorBody, ErrorDetail, ErrorResponse

log = logging.getLogger("loyalty_service")


class ApiError(Exception):
    """An answer the contract names: an HTTP status and a stable code."""

    def __init__(self, status: int, code: str, message: str, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details or []))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


_CODES_BY_STATUS = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 422: "invalid_request"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return error_response(error.status, error.code, error.message, error.details, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(
            422, "invalid_request", "The request is not of the documented shape.", validation_details(error.errors())
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _CODES_BY_STATUS.get(error.status_code, "error")
        return error_response(error.status_code, code, str(error.detail), headers=error.headers)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        # The traceback names code, not data; the request itself is never logged.
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
        return error_response(500, "internal_error", "The service failed; the request may be retried.")


def validation_details(problems: Sequence[dict[str, Any]]) -> list[ErrorDetail]:
    """pydantic's (or FastAPI's) validation errors as the contract's details."""
    return [_detail(problem) for problem in problems]


def _detail(problem: dict[str, Any]) -> ErrorDetail:
    # Never echo the rejected value back: it may be a phone or card number.
    location = [str(part) for part in problem.get("loc", ()) if part != "body"]
    return ErrorDetail(field=".".join(location), problem=str(problem.get("msg", "invalid")))
