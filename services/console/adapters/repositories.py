"""The console's ports on one session: the only code here with SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.console.adapters import tables as t
from services.console.app.models import OidcLogin, Session, User


class SqlUsers:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, username: str) -> User | None:
        row = await self._session.get(t.UserRow, username, populate_existing=True)
        return User.model_validate(row.model_dump()) if row else None

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(t.UserRow)) or 0)

    async def all(self) -> list[User]:
        rows = await self._session.scalars(select(t.UserRow).order_by(col(t.UserRow.username)))
        return [User.model_validate(r.model_dump()) for r in rows]

    async def put(self, user: User) -> None:
        values = user.model_dump()
        statement = insert(t.UserRow).values(**values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["username"], set_={k: statement.excluded[k] for k in values}
            )
        )


class SqlSessions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, digest: str, now: datetime) -> Session | None:
        row = await self._session.scalar(
            select(t.SessionRow).where(col(t.SessionRow.digest) == digest, col(t.SessionRow.expires_at) > now)
        )
        return Session.model_validate(row.model_dump()) if row else None

    async def add(self, session: Session) -> None:
        await self._session.execute(insert(t.SessionRow).values(**session.model_dump()))

    async def set_flash(self, digest: str, flash: str | None) -> None:
        await self._session.execute(
            update(t.SessionRow).where(col(t.SessionRow.digest) == digest).values(flash=flash)
        )

    async def delete(self, digest: str) -> None:
        await self._session.execute(delete(t.SessionRow).where(col(t.SessionRow.digest) == digest))

    async def delete_of(self, username: str) -> None:
        await self._session.execute(delete(t.SessionRow).where(col(t.SessionRow.username) == username))

    async def prune(self, now: datetime) -> int:
        done = await self._session.execute(delete(t.SessionRow).where(col(t.SessionRow.expires_at) <= now))
        return int(getattr(done, "rowcount", 0) or 0)


class SqlAttempts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def failures(self, username: str, address: str, since: datetime) -> tuple[int, int]:
        recent = col(t.FailureRow.at) >= since
        row = (
            await self._session.execute(
                select(
                    func.count().filter(col(t.FailureRow.username) == username),
                    func.count().filter(col(t.FailureRow.address) == address),
                ).where(recent)
            )
        ).one()
        return int(row[0]), int(row[1])

    async def fail(self, username: str, address: str, at: datetime) -> None:
        await self._session.execute(
            insert(t.FailureRow).values(username=username[:200], address=address, at=at)
        )

    async def clear(self, username: str) -> None:
        await self._session.execute(delete(t.FailureRow).where(col(t.FailureRow.username) == username))

    async def prune(self, before: datetime) -> int:
        done = await self._session.execute(delete(t.FailureRow).where(col(t.FailureRow.at) < before))
        return int(getattr(done, "rowcount", 0) or 0)


class SqlOidcLogins:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, login: OidcLogin) -> None:
        await self._session.execute(insert(t.OidcLoginRow).values(**login.model_dump()))

    async def take(self, state: str) -> OidcLogin | None:
        row = (
            await self._session.execute(
                delete(t.OidcLoginRow).where(col(t.OidcLoginRow.state) == state).returning(t.OidcLoginRow)
            )
        ).scalar_one_or_none()
        return OidcLogin.model_validate(row.model_dump()) if row else None

    async def prune(self, before: datetime) -> int:
        done = await self._session.execute(
            delete(t.OidcLoginRow).where(col(t.OidcLoginRow.created_at) < before)
        )
        return int(getattr(done, "rowcount", 0) or 0)
