"""Attribution's unit of work on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.attribution.adapters import repositories as r
from services.attribution.adapters.opps import SqlCredits, SqlOpps
from services.attribution.adapters.reports import SqlReports
from services.attribution.app.uow import AttributionUnitOfWork
from shared.sql_uow import SqlUnitOfWork


class SqlAttributionUnitOfWork(SqlUnitOfWork, AttributionUnitOfWork):
    def _bind(self, session: AsyncSession) -> None:
        self.campaigns = r.SqlCampaigns(session)
        self.people = r.SqlPeople(session)
        self.touches = r.SqlTouches(session)
        self.opps = SqlOpps(session)
        self.credits = SqlCredits(session)
        self.reports = SqlReports(session)
