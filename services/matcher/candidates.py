"""Candidate accounts for a lead, from indexes only (never a scan), in one round trip.

Domains (the account's own and, for subsidiaries, their parent's), the normalised name key,
acronyms, domain labels, and the nearest names by trigram distance (GiST k-NN, then a
similarity floor).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.matcher.domain.matching import AccountProfile, LeadFacts
from services.matcher.domain.names import company_name
from shared.domains import registrable_domain

CANDIDATES = text(
    """
    WITH by_domain AS (
        SELECT account_id FROM account_domains WHERE domain = ANY(CAST(:domains AS text[]))
    ), ids AS (
        SELECT account_id FROM by_domain
        UNION (SELECT c.account_id FROM accounts c JOIN by_domain d ON c.parent_id = d.account_id LIMIT 20)
        UNION (SELECT account_id FROM accounts WHERE :key <> '' AND name_key = :key LIMIT 20)
        UNION (SELECT account_id FROM accounts WHERE :key <> '' AND acronym = :key LIMIT 10)
        UNION (SELECT account_id FROM accounts WHERE :acronym <> '' AND name_key = :acronym LIMIT 10)
        UNION (SELECT account_id FROM account_domains WHERE :key <> '' AND label = :key LIMIT 10)
        UNION (
            SELECT account_id FROM (
                SELECT account_id, name_text FROM accounts
                WHERE :name <> '' ORDER BY name_text <-> :name LIMIT :nearest
            ) nearest WHERE similarity(name_text, :name) >= :similarity
        )
    )
    SELECT a.account_id, a.name, a.domains, a.parent_id, a.country, a.owner, a.is_customer,
           a.open_opps, a.last_activity_at, coalesce(p.domains, '{}') AS parent_domains
    FROM ids JOIN accounts a USING (account_id) LEFT JOIN accounts p ON p.account_id = a.parent_id
    """
)


def lookup_domains(lead: LeadFacts) -> list[str]:
    found = [lead.website_domain] if lead.is_free_mail else [lead.email_domain, lead.website_domain]
    return sorted({d for d in found if d})


async def find_candidates(
    session: AsyncSession, lead: LeadFacts, *, similarity: float, nearest: int = 10
) -> list[AccountProfile]:
    name = company_name(lead.company)
    rows = await session.execute(
        CANDIDATES,
        {
            "domains": lookup_domains(lead),
            "key": name.key,
            "acronym": name.acronym or "",
            "name": name.text,
            "similarity": similarity,
            "nearest": nearest,
        },
    )
    return [
        AccountProfile(
            account_id=row.account_id,
            name=row.name,
            domains=tuple(row.domains),
            parent_domains=tuple(row.parent_domains),
            parent_id=row.parent_id,
            country=row.country,
            owner=row.owner,
            is_customer=row.is_customer,
            open_opps=row.open_opps,
            last_activity=row.last_activity_at,
        )
        for row in rows
    ]


def registrable(lead: LeadFacts) -> LeadFacts:
    """The lead with its email domain reduced to the registrable one (mail.acme.com -> acme.com)."""
    domain = registrable_domain(lead.email_domain) or lead.email_domain
    return lead if domain == lead.email_domain else replace(lead, email_domain=domain)
