"""RFC 9457 problem details for every error a service returns."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import Conflict, DomainError, Invalid, NotFound, TooLarge, Unauthorized, Unavailable
from shared.kafka.throttle import Throttle

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger(__name__)
_say = Throttle()


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


class Problem(HTTPException):
    """An HTTP error with a title and optional per-field errors."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.title = title
        self.extra = extra


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


STATUS: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "Not Found"),
    Unauthorized: (401, "Unauthorized"),
    Invalid: (422, "Invalid request"),
    Conflict: (409, "Conflict"),
    TooLarge: (413, "Content Too Large"),
    Unavailable: (503, "Service Unavailable"),
}


def from_domain(exc: DomainError) -> JSONResponse:
    """A use case's refusal as RFC 9457: its status, title, detail and offending fields."""
    status, title = next((v for k, v in STATUS.items() if isinstance(exc, k)), (400, "Bad Request"))
    extra: dict[str, Any] = dict(exc.extra)
    for name in ("field", "reason"):
        if getattr(exc, name) is not None:
            extra[name] = getattr(exc, name)
    if exc.errors:
        extra["errors"] = exc.errors
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Unavailable) else None
    return problem(status, exc.title or title, exc.detail, headers, **extra)


def install_problem_handlers(app: FastAPI) -> None:
    from shared.limits import BodyTooLarge

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return from_domain(exc)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return problem(413, "Content Too Large", str(exc))

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem(exc.status_code, exc.title, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = HTTPStatus(exc.status_code).phrase
        detail = str(exc.detail) if exc.detail and exc.detail != title else None
        return problem(exc.status_code, title, detail, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(tuple(e["loc"])), "reason": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem(422, "Invalid request", detail, errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # One traceback per path and error per 30 s: an outage must not write thousands a minute.
        _say(
            log.exception,
            "http.unhandled",
            key=f"{request.url.path} {type(exc).__name__}",
            path=request.url.path,
        )
        return problem(500, "Internal Server Error", "An unexpected error occurred; it is logged.")
