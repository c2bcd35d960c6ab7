"""Candidate accounts for a lead, from indexes only (never a scan), in one round trip.

Domains (the account's own and, for subsidiaries, their parent's); the normalised name key,
its core (without generic words), its words sorted, its acronym, the name of a domain; the
lead's name less words at either end (to show look-alikes: "Delta" for "Delta Dental"); and, for one
typo, the accounts sharing a deletion key with the lead (the key with one character deleted, or
none): two keys one edit apart always share one.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.matcher.domain.matching import AccountProfile, LeadFacts
from services.matcher.domain.names import CompanyName, company_name
from shared.domains import registrable_domain

CANDIDATES = text(
    """
    WITH by_domain AS (
        SELECT account_id FROM account_domains WHERE domain = ANY(CAST(:domains AS text[]))
    ), ids AS (
        SELECT account_id FROM by_domain
        UNION (SELECT c.account_id FROM accounts c JOIN by_domain d ON c.parent_id = d.account_id LIMIT 20)
        UNION (SELECT account_id FROM accounts WHERE name_key = :key LIMIT 20)
        UNION (SELECT account_id FROM accounts WHERE core_key = :core LIMIT 10)
        UNION (SELECT account_id FROM accounts WHERE sorted_key = :sorted LIMIT 10)
        UNION (SELECT account_id FROM accounts WHERE acronym = :key LIMIT 10)
        UNION (SELECT account_id FROM accounts WHERE name_key = :acronym LIMIT 10)
        UNION (SELECT account_id FROM accounts WHERE name_key = ANY(CAST(:words AS text[])) LIMIT 10)
        UNION (SELECT account_id FROM account_domains WHERE label = :key LIMIT 10)
        UNION SELECT accounts_sharing_a_deletion_key(CAST(:typo_keys AS text[]))
    )
    SELECT a.account_id, a.name, a.domains, a.parent_id, a.country, a.owner, a.is_customer,
           a.open_opps, a.last_activity_at, coalesce(p.domains, '{}') AS parent_domains
    FROM ids JOIN accounts a USING (account_id) LEFT JOIN accounts p ON p.account_id = a.parent_id
    """
)
NOTHING = "-"  # no key has it (keys are letters and digits), so its branch finds nothing


def deletion_keys(key: str) -> list[str]:
    """The key and the key with each one character deleted (as the `deletion_keys` SQL function)."""
    if not 6 <= len(key) <= 30:
        return []
    return sorted({key} | {key[:i] + key[i + 1 :] for i in range(len(key))})


def name_parameters(name: CompanyName) -> dict[str, object]:
    key = name.key
    tokens = name.tokens
    # "Delta Dental" shows "Delta", "Acme Robotics Europe" "Acme Robotics": the name less end words
    parts = {"".join(tokens[:i]) for i in range(1, len(tokens))} | {
        "".join(tokens[i:]) for i in range(1, len(tokens))
    }
    return {
        "key": key or NOTHING,
        "core": name.core or NOTHING,
        "sorted": name.sorted_key or NOTHING,
        "acronym": name.acronym or NOTHING,
        "words": sorted(p for p in parts if len(p) >= 3)[:6],
        "typo_keys": deletion_keys(key),
    }


def lookup_domains(lead: LeadFacts) -> list[str]:
    found = [lead.website_domain] if lead.is_free_mail else [lead.email_domain, lead.website_domain]
    return sorted({d for d in found if d})


async def find_candidates(session: AsyncSession, lead: LeadFacts) -> list[AccountProfile]:
    parameters = name_parameters(company_name(lead.company))
    rows = await session.execute(CANDIDATES, {"domains": lookup_domains(lead), **parameters})
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
