"""How engaged a buying group is: its members' current behaviour, who has gone quiet, and the
committee roles nobody covers yet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_COMMITTEE = ("decision_maker", "economic_buyer", "champion", "influencer", "technical_buyer")


@dataclass(frozen=True)
class Member:
    contact_id: str
    roles: tuple[str, ...]
    engagement: float  # current (decayed) behaviour points
    score: float
    last_engaged_at: datetime | None
    confirmed: bool = True  # a committee member a person confirmed; else potential


@dataclass(frozen=True)
class GroupEngagement:
    members: list[Member]
    total: float
    average: float
    engaged: list[str]
    not_engaged: list[str]
    roles_covered: list[str]
    roles_not_covered: list[str]
    potential: list[Member]  # mapped by automation, not confirmed: candidates, most engaged first


def group_engagement(
    members: Iterable[Member], *, now: datetime, engaged_within: timedelta, committee: Iterable[str]
) -> GroupEngagement:
    """The committee's engagement (confirmed members only); potential members listed apart."""
    ranked = sorted(members, key=lambda m: (-m.engagement, m.contact_id))
    people = [m for m in ranked if m.confirmed]
    since = now - engaged_within
    engaged = [m.contact_id for m in people if m.last_engaged_at is not None and m.last_engaged_at >= since]
    covered = {role for m in people for role in m.roles}
    total = round(sum(m.engagement for m in people), 2)
    return GroupEngagement(
        members=people,
        total=total,
        average=round(total / len(people), 2) if people else 0.0,
        engaged=engaged,
        not_engaged=[m.contact_id for m in people if m.contact_id not in set(engaged)],
        roles_covered=[r for r in committee if r in covered],
        roles_not_covered=[r for r in committee if r not in covered],
        potential=[m for m in ranked if not m.confirmed],
    )
