"""The console's unit of work on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.console.adapters import repositories as r
from services.console.app.uow import ConsoleUnitOfWork
from shared.sql_uow import SqlUnitOfWork


class SqlConsoleUnitOfWork(SqlUnitOfWork, ConsoleUnitOfWork):
    def _bind(self, session: AsyncSession) -> None:
        self.users = r.SqlUsers(session)
        self.sessions = r.SqlSessions(session)
        self.attempts = r.SqlAttempts(session)
        self.oidc = r.SqlOidcLogins(session)
