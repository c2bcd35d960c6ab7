"""The console's unit of work: its users, sessions, sign-in failures and OIDC sign-ins."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.console.app.models import OidcLogin, Session, User
from shared.uow import UnitOfWork


class Users(Protocol):
    async def get(self, username: str) -> User | None: ...

    async def count(self) -> int: ...

    async def all(self) -> list[User]: ...

    async def put(self, user: User) -> None:
        """Insert or replace."""
        ...


class Sessions(Protocol):
    async def get(self, digest: str, now: datetime) -> Session | None:
        """An unexpired session."""
        ...

    async def add(self, session: Session) -> None: ...

    async def set_flash(self, digest: str, flash: str | None) -> None: ...

    async def delete(self, digest: str) -> None: ...

    async def delete_of(self, username: str) -> None: ...

    async def prune(self, now: datetime) -> int:
        """Delete the sessions expired by `now`; how many."""
        ...


class Attempts(Protocol):
    async def failures(self, username: str, address: str, since: datetime) -> tuple[int, int]:
        """Failures of the user name and of the address since `since`."""
        ...

    async def fail(self, username: str, address: str, at: datetime) -> None: ...

    async def clear(self, username: str) -> None: ...

    async def prune(self, before: datetime) -> int:
        """Delete failures older than `before`; how many."""
        ...


class OidcLogins(Protocol):
    async def add(self, login: OidcLogin) -> None: ...

    async def take(self, state: str) -> OidcLogin | None:
        """The sign-in of `state`, removed (a state works once)."""
        ...

    async def prune(self, before: datetime) -> int:
        """Delete sign-ins begun before `before`; how many."""
        ...


class ConsoleUnitOfWork(UnitOfWork):
    users: Users
    sessions: Sessions
    attempts: Attempts
    oidc: OidcLogins
