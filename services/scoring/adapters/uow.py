"""Scoring's unit of work on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters import repositories as r
from services.scoring.adapters.erasure import SqlErasure
from services.scoring.adapters.segments import SqlSegments
from services.scoring.app.uow import ScoringUnitOfWork
from shared.sql_uow import SqlUnitOfWork


class SqlScoringUnitOfWork(SqlUnitOfWork, ScoringUnitOfWork):
    def _bind(self, session: AsyncSession) -> None:
        self.people = r.SqlPeople(session)
        self.erasure = SqlErasure(session)
        self.engagements = r.SqlEngagements(session)
        self.accounts = r.SqlAccounts(session)
        self.deals = r.SqlDeals(session)
        self.segments = SqlSegments(session)
