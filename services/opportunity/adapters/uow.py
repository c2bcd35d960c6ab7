"""The opportunity service's unit of work on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.opportunity.adapters import copies as c
from services.opportunity.adapters import handoffs as h
from services.opportunity.adapters import repositories as r
from services.opportunity.adapters.reports import SqlReports
from services.opportunity.app.uow import OpportunityUnitOfWork
from shared.sql_uow import SqlUnitOfWork


class SqlOpportunityUnitOfWork(SqlUnitOfWork, OpportunityUnitOfWork):
    def _bind(self, session: AsyncSession) -> None:
        self.opps = r.SqlOpps(session)
        self.groups = r.SqlBuyingGroups(session)
        self.copies = c.SqlCopies(session)
        self.identified = c.SqlIdentified(session)
        self.activity = c.SqlActivity(session)
        self.reports = SqlReports(session)
        self.teams = h.SqlTeams(session)
        self.handoffs = h.SqlHandoffs(session)
