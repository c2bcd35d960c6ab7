"""The matcher's unit of work on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.matcher.adapters import repositories as r
from services.matcher.adapters.review import SqlReviewQueue
from services.matcher.adapters.teams import SqlRoutingCounts, SqlTeams
from services.matcher.app.uow import MatcherUnitOfWork
from shared.sql_uow import SqlUnitOfWork


class SqlMatcherUnitOfWork(SqlUnitOfWork, MatcherUnitOfWork):
    def _bind(self, session: AsyncSession) -> None:
        self.accounts = r.SqlAccounts(session)
        self.contacts = r.SqlContacts(session)
        self.matches = r.SqlMatches(session)
        self.review = SqlReviewQueue(session)
        self.routing = SqlRoutingCounts(session)
        self.imports = r.SqlImports(session)
        self.teams = SqlTeams(session)
