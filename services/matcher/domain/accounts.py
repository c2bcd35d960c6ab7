"""An account as the matcher keeps it: the catalog's `AccountFields` (one definition for every
service) and what only the directory holds."""

from __future__ import annotations

from datetime import datetime

from services.matcher.domain.matching import AccountProfile
from shared.domains import registrable_domain
from shared.events.catalog import AccountFields


class StoredAccount(AccountFields):
    external_id: str | None = None
    open_opps: int = 0
    last_activity_at: datetime | None = None
    version: int = 1
    created_at: datetime
    updated_at: datetime

    def profile(self) -> AccountProfile:
        return AccountProfile(self.account_id, self.name, tuple(self.domains), owner=self.owner)


def clean_domains(domains: list[str], website: str | None) -> list[str]:
    """The registrable domains of `domains` and the website, each once, in order."""
    found = [registrable_domain(d) for d in [*domains, website or ""]]
    return list(dict.fromkeys(d for d in found if d))
