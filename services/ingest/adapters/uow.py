"""Ingest's unit of work on PostgreSQL."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.adapters import repositories as r
from services.ingest.app.uow import IngestUnitOfWork
from shared.sql_uow import SqlUnitOfWork


class SqlIngestUnitOfWork(SqlUnitOfWork, IngestUnitOfWork):
    def _bind(self, session: AsyncSession) -> None:
        self.leads = r.SqlLeads(session)
        self.engagements = r.SqlEngagements(session)
        self.source_ids = r.SqlSourceIds(session)
        self.deliveries = r.SqlDeliveries(session)
        self.receipts = r.SqlReceipts(session)
        self.quarantine = r.SqlQuarantine(session)
        self.erasures = r.SqlErasures(session)
        self.imports = r.SqlImports(session)
