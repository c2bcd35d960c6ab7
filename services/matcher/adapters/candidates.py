"""Candidate accounts for a lead, from indexes only (never a scan), in one round trip.

Domains (the account's own and, for subsidiaries, their parent's); the normalised name key,
its core (without generic words), its words sorted, its acronym, the name of a domain; the
lead's name less words at either end (to show look-alikes: "Delta" for "Delta Dental"); and, for one
typo, the accounts sharing a deletion key with the lead (the key with one character deleted, or
none): two keys one edit apart always share one.
"""

from __future__ import annotations

import asyncpg

from services.matcher.domain.matching import AccountProfile, LeadFacts
from services.matcher.domain.names import CompanyName, company_name

# The look-ups themselves are the SQL function `match_candidates` (migration 0007), whose plan
# is generic and cached: planning them for every lead cost as much as running them.
# Sent straight to asyncpg, which keeps it prepared on each connection.
CANDIDATES = "SELECT * FROM match_candidates($1, $2, $3, $4, $5, $6, $7)"
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


async def find_candidates(connection: asyncpg.Connection, lead: LeadFacts) -> list[AccountProfile]:
    name = name_parameters(company_name(lead.company))
    rows = await connection.fetch(
        CANDIDATES,
        *(lookup_domains(lead), name["key"], name["core"], name["sorted"], name["acronym"], name["words"]),
        name["typo_keys"],
    )
    return [
        AccountProfile(
            account_id=row["r_account_id"],
            name=row["r_name"],
            domains=tuple(row["r_domains"]),
            parent_domains=tuple(row["r_parent_domains"]),
            parent_id=row["r_parent_id"],
            country=row["r_country"],
            owner=row["r_owner"],
            is_customer=row["r_is_customer"],
            open_opps=row["r_open_opps"],
            last_activity=row["r_last_activity_at"],
        )
        for row in rows
    ]
