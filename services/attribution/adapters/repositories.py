"""Attribution's repositories on PostgreSQL: campaigns, people and touches (opps, history and the
stored rows are in `adapters.opps`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.attribution.adapters import group_rollup
from services.attribution.app.models import Campaign, LeadFacts, TouchIn
from services.attribution.domain.campaigns import Reference, name_key
from services.attribution.domain.touches import Touch
from shared.db import raw_connection
from shared.errors import Contended

CAMPAIGN_COLUMNS = (
    "campaign_id, name, channel, program, start_date, end_date, cost, external_id, source,"
    " created_by, version, created_at, updated_at"
)
ADD_CAMPAIGN = text(
    f"INSERT INTO campaigns ({CAMPAIGN_COLUMNS}, name_key) VALUES (:campaign_id, :name, :channel, :program,"
    " :start_date, :end_date, :cost, :external_id, :source, :created_by, :version, :created_at,"
    " :updated_at, :name_key) ON CONFLICT DO NOTHING RETURNING campaign_id"
)
SAVE_CAMPAIGN = text(
    "UPDATE campaigns SET name = :name, name_key = :name_key, channel = :channel, program = :program,"
    " start_date = :start_date, end_date = :end_date, cost = :cost, external_id = :external_id,"
    " source = :source, version = :version, updated_at = :updated_at"
    " WHERE campaign_id = :campaign_id AND version = :version - 1"  # no save over one made meanwhile
)
# By the platform's id (that source's first, then any source's), else by name.
FIND_CAMPAIGN = text(
    f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE (external_id = :external_id) OR name_key = :name_key"
    " ORDER BY (external_id = :external_id AND source IS NOT DISTINCT FROM :source) IS TRUE DESC,"
    " (external_id = :external_id) IS TRUE DESC LIMIT 1"
)
PERSON_CREATED = text(
    "INSERT INTO people (lead_id, lead_created_at, original_campaign_id) VALUES (:lead_id, :at, :campaign)"
    " ON CONFLICT (lead_id) DO UPDATE SET"
    " lead_created_at = least(people.lead_created_at, excluded.lead_created_at),"
    " original_campaign_id = coalesce(people.original_campaign_id, excluded.original_campaign_id)"
    " WHERE NOT people.erased"
)
PERSON_CONVERTED = text(
    "INSERT INTO people (lead_id, contact_id, account_id) VALUES (:lead_id, :contact_id, :account_id)"
    " ON CONFLICT (lead_id) DO UPDATE SET contact_id = excluded.contact_id, account_id = excluded.account_id"
)
ADD_TOUCH = text(
    "WITH person AS (INSERT INTO people (lead_id) VALUES (:lead_id) ON CONFLICT DO NOTHING)"
    " INSERT INTO touches (touch_id, lead_id, campaign_id, kind, occurred_at)"
    " VALUES (:touch_id, :lead_id, :campaign_id, :kind, :occurred_at)"
    " ON CONFLICT DO NOTHING RETURNING touch_id"
)
# Two index look-ups for the people (an OR of the two would scan them all), then their touches;
# asyncpg's own rows: a rebuild reads millions.
AROUND = (
    "WITH p AS (SELECT lead_id, contact_id, account_id FROM people WHERE account_id = ANY($1::text[])"
    " UNION SELECT lead_id, contact_id, account_id FROM people WHERE contact_id = ANY($2::text[]))"
    " SELECT t.touch_id, coalesce(p.contact_id, t.lead_id), p.account_id, t.campaign_id, t.kind,"
    " t.occurred_at FROM p JOIN touches t ON t.lead_id = p.lead_id AND t.occurred_at >= $3"
)
FACTS = text(
    "SELECT DISTINCT ON (contact_id) contact_id, lead_created_at, original_campaign_id FROM people"
    " WHERE contact_id = ANY(:contacts) AND NOT erased ORDER BY contact_id, lead_created_at NULLS LAST"
)
ERASED = "lead_id = ANY(:leads) OR contact_id = ANY(:contacts)"
LOCK_KEYS = text(
    "SELECT count(pg_advisory_xact_lock(hashtext(key)))"
    " FROM (SELECT key FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS u(key, n) ORDER BY n) AS ordered"
)


def _campaign_row(campaign: Campaign) -> dict[str, Any]:
    return {**campaign.model_dump(), "name_key": name_key(campaign.name)}


class SqlCampaigns:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # What `find` found in this transaction: a consumer's batch names the same few campaigns
        # again and again. Only found ones (a new campaign is looked up again), dropped on a save.
        self._found: dict[Reference, Campaign] = {}

    async def get(self, campaign_id: str) -> Campaign | None:
        query = text(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE campaign_id = :id")
        row = (await self._session.execute(query, {"id": campaign_id})).mappings().first()
        return Campaign.model_validate(dict(row)) if row else None

    async def find(self, ref: Reference) -> Campaign | None:
        if ref in self._found:
            return self._found[ref]
        values = {
            "external_id": ref.external_id,
            "source": ref.source,
            "name_key": name_key(ref.name) if ref.name else None,
        }
        row = (await self._session.execute(FIND_CAMPAIGN, values)).mappings().first()
        if row is None:
            return None
        self._found[ref] = found = Campaign.model_validate(dict(row))
        return found

    async def add(self, campaign: Campaign) -> bool:
        return (await self._session.execute(ADD_CAMPAIGN, _campaign_row(campaign))).first() is not None

    async def save(self, campaign: Campaign) -> bool:
        taken = text(
            "SELECT 1 FROM campaigns WHERE campaign_id <> :campaign_id AND (name_key = :name_key OR"
            " (external_id = :external_id AND coalesce(source, '') = coalesce(:source, '')))"
        )
        row = _campaign_row(campaign)
        if (await self._session.execute(taken, row)).first() is not None:
            return False
        await self._session.execute(group_rollup.SHARE)  # before the row's lock, as a regroup takes them
        saved = await self._session.execute(SAVE_CAMPAIGN, row)
        self._found.clear()
        if getattr(saved, "rowcount", 1) == 0:
            # Read before another save committed (a channel it moved would be written back):
            # the caller's transaction is tried again on what is there now.
            raise Contended(f"campaign {campaign.campaign_id} changed meanwhile")
        return True

    async def list(
        self, *, channel: str | None, program: str | None, limit: int, offset: int
    ) -> list[Campaign]:
        query = text(
            f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns"
            " WHERE (CAST(:channel AS text) IS NULL OR channel = :channel)"
            " AND (CAST(:program AS text) IS NULL OR program = :program)"
            " ORDER BY name_key LIMIT :limit OFFSET :offset"
        )
        values = {"channel": channel, "program": program, "limit": limit, "offset": offset}
        rows = (await self._session.execute(query, values)).mappings().all()
        return [Campaign.model_validate(dict(row)) for row in rows]


class SqlPeople:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, *, leads: Sequence[str] = (), contacts: Sequence[str] = ()) -> None:
        keys = [f"attribution-lead:{k}" for k in sorted(set(leads))]
        keys += [f"attribution-contact:{k}" for k in sorted(set(contacts))]
        if keys:
            await self._session.execute(LOCK_KEYS, {"keys": keys})

    async def created(self, lead_id: str, at: datetime, original_campaign_id: str | None) -> None:
        await self._session.execute(
            PERSON_CREATED, {"lead_id": lead_id, "at": at, "campaign": original_campaign_id}
        )

    async def converted(self, lead_id: str, contact_id: str, account_id: str) -> None:
        values = {"lead_id": lead_id, "contact_id": contact_id, "account_id": account_id}
        await self._session.execute(PERSON_CONVERTED, values)

    async def contact_of(self, lead_id: str) -> str | None:
        query = text("SELECT contact_id FROM people WHERE lead_id = :id AND NOT erased")
        found: str | None = (await self._session.execute(query, {"id": lead_id})).scalar()
        return found

    async def is_erased(self, lead_id: str) -> bool:
        query = text("SELECT erased FROM people WHERE lead_id = :id")
        return bool((await self._session.execute(query, {"id": lead_id})).scalar())

    async def facts(self, contact_ids: Sequence[str]) -> list[LeadFacts]:
        if not contact_ids:
            return []
        rows = (await self._session.execute(FACTS, {"contacts": list(contact_ids)})).mappings().all()
        return [LeadFacts.model_validate(dict(row)) for row in rows]

    async def erase(self, lead_ids: Sequence[str], contact_ids: Sequence[str]) -> list[str]:
        values = {"leads": list(lead_ids), "contacts": list(contact_ids)}
        await self._session.execute(
            text(f"DELETE FROM touches WHERE lead_id IN (SELECT lead_id FROM people WHERE {ERASED})"), values
        )
        erased = await self._session.execute(
            text(
                "UPDATE people SET erased = true, lead_created_at = NULL, original_campaign_id = NULL"
                f" WHERE {ERASED} RETURNING contact_id"
            ),
            values,
        )
        contacts = {c for c in erased.scalars() if c is not None} | set(contact_ids)
        await self._session.execute(
            text(
                "INSERT INTO people (lead_id, erased) SELECT unnest(CAST(:leads AS text[])), true"
                " ON CONFLICT DO NOTHING"
            ),
            values,
        )
        return sorted(contacts)


class SqlTouches:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, touch: TouchIn) -> bool:
        return (await self._session.execute(ADD_TOUCH, touch.model_dump())).first() is not None

    async def around(
        self, account_ids: Sequence[str], contact_ids: Sequence[str], since: datetime
    ) -> list[tuple[str | None, Touch]]:
        connection = await raw_connection(self._session)
        rows = await connection.fetch(AROUND, list(account_ids), list(contact_ids), since)
        return [(r[2], Touch(r[0], r[1], r[3], r[4], r[5])) for r in rows]
