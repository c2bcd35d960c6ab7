"""Migrations: each service in its own schema, or its own database; a second run is a no-op."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from deploy import services
from deploy.services import migrate_all
from shared.migrate import alembic_config
from shared.settings import Settings
from tests.support.db import fetch, scalar
from tests.support.infra import PostgresServer

SCHEMAS = "SELECT schema_name FROM information_schema.schemata WHERE schema_name = ANY($1::text[])"


async def schemas(url: str) -> set[str]:
    return {row[0] for row in await fetch(url, SCHEMAS, list(services.PORTS))}


async def test_a_service_can_live_in_its_own_database_and_migrations_run_twice(
    postgres: PostgresServer,
) -> None:
    main, own = await postgres.new_database(), await postgres.new_database()
    try:
        settings = Settings(database_url=main, matcher_database_url=own)
        await migrate_all(settings, list(services.PORTS))
        await fetch(
            main,
            "INSERT INTO ingest.leads (lead_id, email, email_domain, source)"
            " VALUES ('l', 'a@b.c', 'b.c', 'api')",
        )
        await migrate_all(settings, list(services.PORTS))
        assert await schemas(main) == {
            "ingest",
            "opportunity",
            "scoring",
            "attribution",
            "outbound",
            "console",
        }
        assert await schemas(own) == {"matcher"}
        assert await scalar(main, "SELECT count(*) FROM ingest.leads") == 1
        head = ScriptDirectory.from_config(alembic_config("matcher", services.migrations("matcher")))
        assert await scalar(own, "SELECT version_num FROM matcher.alembic_version") == head.get_current_head()
    finally:
        await postgres.drop(main)
        await postgres.drop(own)
