"""The console's unit of work in memory: its users, sessions, sign-in failures and OIDC sign-ins."""

from __future__ import annotations

from datetime import datetime

from services.console.app.models import OidcLogin, Session, User
from services.console.app.uow import ConsoleUnitOfWork
from tests.support.fakes import FakeUnitOfWork


class FakeUsers:
    def __init__(self) -> None:
        self.rows: dict[str, User] = {}

    async def get(self, username: str) -> User | None:
        return self.rows.get(username)

    async def count(self) -> int:
        return len(self.rows)

    async def all(self) -> list[User]:
        return sorted(self.rows.values(), key=lambda user: user.username)

    async def put(self, user: User) -> None:
        self.rows[user.username] = user


class FakeSessions:
    def __init__(self) -> None:
        self.rows: dict[str, Session] = {}

    async def get(self, digest: str, now: datetime) -> Session | None:
        found = self.rows.get(digest)
        return found if found and found.expires_at > now else None

    async def add(self, session: Session) -> None:
        self.rows[session.digest] = session

    async def set_flash(self, digest: str, flash: str | None) -> None:
        self.rows[digest] = self.rows[digest].model_copy(update={"flash": flash})

    async def delete(self, digest: str) -> None:
        self.rows.pop(digest, None)

    async def delete_of(self, username: str) -> None:
        self.rows = {d: s for d, s in self.rows.items() if s.username != username}

    async def prune(self, now: datetime) -> int:
        expired = [d for d, s in self.rows.items() if s.expires_at <= now]
        for digest in expired:
            del self.rows[digest]
        return len(expired)


class FakeAttempts:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, datetime]] = []

    async def failures(self, username: str, address: str, since: datetime) -> tuple[int, int]:
        recent = [(u, a) for u, a, at in self.rows if at >= since]
        return sum(u == username for u, _ in recent), sum(a == address for _, a in recent)

    async def fail(self, username: str, address: str, at: datetime) -> None:
        self.rows.append((username, address, at))

    async def clear(self, username: str) -> None:
        self.rows = [row for row in self.rows if row[0] != username]

    async def prune(self, before: datetime) -> int:
        kept = [row for row in self.rows if row[2] >= before]
        pruned, self.rows = len(self.rows) - len(kept), kept
        return pruned


class FakeOidcLogins:
    def __init__(self) -> None:
        self.rows: dict[str, OidcLogin] = {}

    async def add(self, login: OidcLogin) -> None:
        self.rows[login.state] = login

    async def take(self, state: str) -> OidcLogin | None:
        return self.rows.pop(state, None)

    async def prune(self, before: datetime) -> int:
        old = [state for state, login in self.rows.items() if login.created_at < before]
        for state in old:
            del self.rows[state]
        return len(old)


class FakeConsoleUnitOfWork(FakeUnitOfWork, ConsoleUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.users = FakeUsers()
        self.sessions = FakeSessions()
        self.attempts = FakeAttempts()
        self.oidc = FakeOidcLogins()
