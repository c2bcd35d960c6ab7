"""What the console's use cases ask of the world: the services' APIs, the password hasher, the
OIDC issuer. The adapters implement them; fakes stand in for them in unit tests."""

from __future__ import annotations

from typing import Any, Protocol

from shared.errors import DomainError, Unavailable


class Unreachable(Unavailable):
    """A service does not answer (not running, not deployed yet, or a timeout)."""

    def __init__(self, service: str, url: str, why: str) -> None:
        super().__init__(f"The {service} service at {url} is not reachable ({why}).")
        self.service = service


class Refused(DomainError):
    """A service answered with a problem: its status, detail and offending fields, as it said them."""

    def __init__(self, service: str, status: int, detail: str, errors: list[dict[str, str]]) -> None:
        super().__init__(detail, errors=errors)
        self.service = service
        self.status = status


class Services(Protocol):
    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        actor: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        cached: bool = False,
    ) -> Any:
        """The JSON answer (None for 204); raises Unreachable or Refused. `cached`: a read that may
        be CONSOLE_REPORT_CACHE_SECONDS old (reports, pipelines)."""
        ...

    async def raw(
        self, service: str, path: str, *, actor: str, params: dict[str, Any] | None = None
    ) -> bytes: ...

    async def ready(self, service: str) -> dict[str, Any]:
        """The service's /readyz answer, or why there is none."""
        ...


class Hasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...


class Issuer(Protocol):
    async def endpoints(self) -> dict[str, Any]:
        """The issuer's discovery document; Unavailable when it cannot be read or names another issuer."""
        ...

    async def keys(self, *, refresh: bool = False) -> dict[str, Any]:
        """The issuer's JWK set (its discovery's `jwks_uri`), as last read unless that is
        CONSOLE_OIDC_KEYS_CACHE_SECONDS old; `refresh` reads it again. Unavailable when it cannot."""
        ...

    async def exchange(self, code: str) -> dict[str, Any]:
        """The token endpoint's answer for an authorization code."""
        ...
