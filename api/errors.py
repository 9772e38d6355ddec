"""Every failure answers 4xx with a body that says what was wrong and what to do.

Shape: ``{"error": {"code": "...", "message": "...", "details": [...]}}``. The same model is
declared in the OpenAPI responses so clients and schema tests know it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("api.errors")


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] = []


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details or [], headers


def not_found(what: str, ident: object) -> ApiError:
    # Same answer for "does not exist" and "outside your scope": never confirm another team's ids.
    return ApiError(404, "not_found", f"{what} {ident} not found (it does not exist or you have no access to it)")


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the route's own errors plus those any route can give: 422 (invalid
    parameters) and 503 (database busy or unreachable; retry)."""
    return {c: {"model": ErrorBody} for c in sorted({*codes, 422, 503})}


def _body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
                 415: "unsupported_media_type", 416: "range_not_satisfiable", 422: "invalid_input",
                 429: "too_many_requests"}


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def _refuse_nul(request: Request, call_next):  # noqa: ANN001, ANN202
        # PostgreSQL text cannot hold NUL: refuse it at the door with a clear 422 rather than fail
        # deep inside a query (request bodies are checked by the ingest and the body models)
        query = request.scope.get("query_string", b"")
        if "\x00" in request.scope.get("path", "") or b"%00" in query or b"\x00" in query:
            return JSONResponse(_body("invalid_request", "the URL contains a NUL character (%00); remove it"),
                                status_code=422)
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.message, exc.details), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", ""),
                    "type": e.get("type", "")} for e in exc.errors()]
        first = details[0] if details else {"location": "", "message": "invalid request"}
        msg = f"invalid request: {first['location']}: {first['message']}"
        return JSONResponse(_body("invalid_request", msg, details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = "no such endpoint; see /docs for the API"
        return JSONResponse(_body(code, message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(SATimeoutError)
    @app.exception_handler(OperationalError)
    async def _overloaded(request: Request, exc: Exception) -> JSONResponse:
        # Database busy, restarting or connection pool exhausted: the client should retry, and
        # nothing was half-written (the transaction rolled back).
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(_body("unavailable", "the database is busy or unreachable; nothing was stored, "
                                                 "retry in a few seconds"), status_code=503,
                            headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: logged with the stack; the client gets an id-free generic answer.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(_body("internal_error", "unexpected server error; it has been logged"),
                            status_code=500)
