"""Owner routing: the account's owner, else weighted round-robin in the lead's territory pool."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    owner: str
    weight: int = 1
    active: bool = True


@dataclass(frozen=True)
class Pool:
    name: str
    countries: tuple[str, ...]
    members: tuple[Member, ...]


@dataclass(frozen=True)
class Assignment:
    owner: str | None
    reason: str
    pool: str | None = None


def pool_for(country: str | None, pools: Sequence[Pool]) -> Pool | None:
    """The pool naming the country, else the first pool that names none (the catch-all)."""
    code = (country or "").upper()
    named = next((p for p in pools if code and code in p.countries), None)
    return named or next((p for p in pools if not p.countries), None)


def next_member(pool: Pool, assigned: Mapping[str, int]) -> Member | None:
    """Weighted round-robin: the active member furthest below its share of what was assigned.

    Sainte-Lague's divisor (count + 1/2) / weight interleaves: with weights 2 and 1 the turns
    go a, b, a, a, b, a... and each member's count over its weight stays level, however the
    pool's membership changes.
    """
    active = [m for m in pool.members if m.active and m.weight > 0]
    if not active:
        return None
    return min(active, key=lambda m: ((assigned.get(m.owner, 0) + 0.5) / m.weight, pool.members.index(m)))


def assign(
    account_owner: str | None, country: str | None, pools: Sequence[Pool], assigned: Mapping[str, int]
) -> Assignment:
    if account_owner:
        return Assignment(account_owner, "the account's owner")
    pool = pool_for(country, pools)
    if pool is None:
        return Assignment(None, f"no territory pool covers country {country or 'unknown'}")
    member = next_member(pool, assigned)
    if member is None:
        return Assignment(None, f"territory pool {pool.name} has no active member", pool.name)
    return Assignment(
        member.owner,
        f"weighted round-robin in territory pool {pool.name} (country {country or 'unknown'},"
        f" weight {member.weight}, {assigned.get(member.owner, 0)} assigned before)",
        pool.name,
    )
