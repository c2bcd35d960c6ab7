"""What a use case can refuse with, in the domain's words; `shared.problems` maps each to HTTP.

Use cases and domain code raise these and never an HTTP error: a consumer, a job or a command
line can call them just as a route does.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal with a detail for people, the offending field, a machine-readable reason and
    whatever else the caller should see (a failed gate, the stage's requirements...)."""

    def __init__(
        self,
        detail: str,
        *,
        title: str | None = None,
        field: str | None = None,
        reason: str | None = None,
        errors: list[dict[str, str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.title = title
        self.field = field
        self.reason = reason
        self.errors = (
            errors if errors is not None else ([{"field": field, "reason": detail}] if field else [])
        )
        self.extra = extra


class NotFound(DomainError):
    """The thing the request names does not exist."""


class Unauthorized(DomainError):
    """The caller is not who it must be (a webhook's signature does not hold)."""


class Invalid(DomainError):
    """The input cannot be taken as it is (a field's value, a missing field)."""


class TooLarge(DomainError):
    """More than a limit allows (a body, an event over the broker's record size)."""


class Conflict(DomainError):
    """The input is valid, but the current state forbids it (already resolved, a gate, a taken domain)."""


class Unavailable(DomainError):
    """Something this depends on is away (a source's API, the database); retrying later can work."""

    def __init__(self, detail: str, *, retry_after: int = 5, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after


class Contended(Unavailable):
    """A concurrent write won (a unique key, a deadlock): the same request again succeeds."""


def describe(exc: BaseException) -> str:
    """An error as operators read it in logs, dead letters and headers, with no person's data: a
    database error by its class and SQLSTATE (its message may quote a row), a validation error by
    field and reason (not the value it refused)."""
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(exc, "sqlstate", None)
    if sqlstate:
        return f"{type(exc).__name__} (SQLSTATE {sqlstate})"
    errors = getattr(exc, "errors", None)
    if callable(errors) and type(exc).__name__ == "ValidationError":
        found = errors(include_input=False, include_url=False)
        parts = [f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in found]
        return f"ValidationError: {'; '.join(parts)}"
    return f"{type(exc).__name__}: {exc}"
