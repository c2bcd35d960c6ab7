"""A scratch matcher database for the match benches: migrated, filled through the import path."""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine, drop_database, ensure_database, session_factory, with_database


@asynccontextmanager
async def scratch_matcher(ndjson: bytes) -> AsyncIterator[tuple[AsyncEngine, Callable[[], Any]]]:
    """A migrated matcher schema in a new database holding the accounts of `ndjson`, imported
    as `POST /v1/accounts/import` does: the engine and a unit-of-work factory on it."""
    from services.matcher.adapters.uow import SqlMatcherUnitOfWork
    from services.matcher.app.imports import ImportProgress, run_import
    from services.matcher.bootstrap import MIGRATIONS
    from services.matcher.settings import MatcherSettings
    from shared.migrate import migrate

    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = with_database(base, f"bench_matcher_{uuid.uuid4().hex[:8]}")
    await ensure_database(url)
    engine = None
    try:
        settings = MatcherSettings(database_url=url)
        await migrate(settings, "matcher", MIGRATIONS)
        engine = create_engine(settings, "matcher")
        sessions = session_factory(engine)

        def uows() -> SqlMatcherUnitOfWork:
            return SqlMatcherUnitOfWork(sessions, source="matcher", topic=settings.topic)

        started = time.perf_counter()
        progress = ImportProgress(import_id="bench", format="ndjson")
        await run_import(uows, ndjson, "ndjson", progress)
        if progress.failure:
            raise SystemExit(f"import failed: {progress.failure}")
        print(
            f"  import: {progress.inserted} accounts in {time.perf_counter() - started:.1f} s"
            f" (parse, validate, COPY, upsert, domains, events, analyse), {progress.error_count} row errors",
            file=sys.stderr,
        )
        yield engine, uows
    finally:
        if engine is not None:
            await engine.dispose()
        await drop_database(url)
