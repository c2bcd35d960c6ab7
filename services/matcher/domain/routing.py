"""Owner routing for accounts: the account's owner while active, else the sales pool of the
account's territory (the rules themselves are `shared.assignment`, which every assigner shares)."""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNT_TEAM = "sales"  # account owners are AEs


@dataclass(frozen=True)
class Assignment:
    owner: str | None
    reason: str
    pool: str | None = None
    rule: str = "account_owner"
    turn: int | None = None

    @property
    def from_pool(self) -> bool:
        return self.pool is not None and self.owner is not None
