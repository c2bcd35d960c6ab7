"""Outbound's unit of work on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.outbound.adapters import repositories as r
from services.outbound.adapters.housekeeping import SqlHousekeeping
from services.outbound.adapters.sync import SqlSync
from services.outbound.app.uow import OutboundUnitOfWork
from shared.sql_uow import SqlUnitOfWork


class SqlOutboundUnitOfWork(SqlUnitOfWork, OutboundUnitOfWork):
    def _bind(self, session: AsyncSession) -> None:
        self.subscriptions = r.SqlSubscriptions(session)
        self.deliveries = r.SqlDeliveries(session)
        self.alerts = r.SqlAlerts(session)
        self.watch = r.SqlWatch(session)
        self.sync = SqlSync(session)
        self.housekeeping = SqlHousekeeping(session)
