"""Who gets the work: the assignment rules every service that assigns applies the same way.

Pure: reps, pools, counts and `now` in, a decision with its reasons out. A pool shares work by
weighted round-robin within its current turn (a turn starts when its members or weights change),
skipping whoever cannot take it now: inactive, out of office, outside their working hours in
their own time zone, at capacity, or outside their own territory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from shared.events.teams import PoolFields, RepFields, TerritoryFields
from shared.territory import Place, Territory


@dataclass(frozen=True)
class Rep:
    rep_id: str
    team: str
    territory: Territory = field(default_factory=Territory)
    capacity: int | None = None
    time_zone: str = "UTC"
    work_start: time = time(0, 0)
    work_end: time | None = None  # None: midnight at the end of the day
    work_days: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
    out_of_office: tuple[datetime | None, datetime | None] = (None, None)
    active: bool = True


@dataclass(frozen=True)
class Member:
    rep_id: str
    weight: int = 1


@dataclass(frozen=True)
class Pool:
    pool_id: str
    team: str
    territory: Territory
    members: tuple[Member, ...]
    sticky: bool = False
    turn: int = 1


@dataclass(frozen=True)
class Workload:
    """What the service knows of the pool's work: assignments in the current turn, open work
    per rep, and the member who last had this account's work (for a sticky pool)."""

    counts: Mapping[str, int] = field(default_factory=dict)
    open_work: Mapping[str, int] = field(default_factory=dict)
    last_for_account: str | None = None
    exclude: frozenset[str] = frozenset()  # who already had this and let it go


@dataclass(frozen=True)
class Decision:
    rep_id: str | None
    rule: str
    reason: str
    pool_id: str | None = None
    turn: int | None = None
    skipped: tuple[tuple[str, str], ...] = ()  # (rep, why)

    def explain(self) -> str:
        skipped = "; ".join(f"{rep} skipped: {why}" for rep, why in self.skipped)
        return f"{self.reason}; {skipped}" if skipped else self.reason


def parse_hhmm(value: str) -> time | None:
    """'09:30' -> 09:30; '24:00' -> None (the end of the day)."""
    hours, minutes = (int(part) for part in value.split(":"))
    return None if (hours, minutes) == (24, 0) else time(hours, minutes)


def in_working_hours(rep: Rep, now: datetime) -> bool:
    """Whether `now` falls in the rep's working hours, read in the rep's own time zone; a shift
    that ends before it starts runs past midnight (and belongs to the day it started)."""
    local = now.astimezone(ZoneInfo(rep.time_zone))
    clock, day = local.time().replace(tzinfo=None), local.isoweekday()
    end = rep.work_end
    if end is None or end > rep.work_start:
        return day in rep.work_days and rep.work_start <= clock and (end is None or clock < end)
    yesterday = 7 if day == 1 else day - 1
    return (day in rep.work_days and clock >= rep.work_start) or (yesterday in rep.work_days and clock < end)


def out_of_office(rep: Rep, now: datetime) -> bool:
    start, until = rep.out_of_office
    if start is None and until is None:
        return False
    return (start is None or start <= now) and (until is None or now < until)


def unavailable(
    rep: Rep, now: datetime, open_work: int, place: Place | None = None, *, hours: bool = True
) -> str | None:
    """Why the rep cannot take work now, or None."""
    if not rep.active:
        return "inactive"
    if out_of_office(rep, now):
        return "out of office"
    if hours and not in_working_hours(rep, now):
        return f"outside working hours ({rep.time_zone})"
    if rep.capacity is not None and open_work >= rep.capacity:
        return f"at capacity ({open_work} of {rep.capacity} open)"
    if place is not None and not rep.territory.covers(place):
        return f"territory does not cover {place.describe()}"
    return None


def pool_for(pools: Sequence[Pool], team: str, place: Place) -> Pool | None:
    """The team's most specific pool covering the place (a country beats a region beats none)."""
    covering = [p for p in pools if p.team == team and p.territory.covers(place)]
    return max(covering, key=lambda p: p.territory.specificity, default=None)


def choose(
    pool: Pool, reps: Mapping[str, Rep], work: Workload, now: datetime, place: Place, *, hours: bool = True
) -> Decision:
    """The sticky member if the pool is sticky and they can take it, else the available member
    furthest below their weighted share of the turn (Sainte-Lague: (count + 1/2) / weight, so
    weights 2 and 1 go a, b, a, a, b, a...)."""
    skipped: list[tuple[str, str]] = []
    available: list[Member] = []
    for member in pool.members:
        rep = reps.get(member.rep_id)
        why = (
            "unknown rep"
            if rep is None
            else "already had it"
            if member.rep_id in work.exclude
            else "weight 0"
            if member.weight <= 0
            else unavailable(rep, now, work.open_work.get(member.rep_id, 0), place, hours=hours)
        )
        if why is None:
            available.append(member)
        else:
            skipped.append((member.rep_id, why))
    where = f"pool {pool.pool_id} ({place.describe()})"
    if not available:
        return Decision(
            None,
            "no_one_available",
            f"no member of {where} can take it",
            pool.pool_id,
            pool.turn,
            tuple(skipped),
        )
    sticky = next((m for m in available if pool.sticky and m.rep_id == work.last_for_account), None)
    if sticky is not None:
        reason = f"sticky in {where}: {sticky.rep_id} had this account's work before"
        return Decision(sticky.rep_id, "sticky", reason, pool.pool_id, pool.turn, tuple(skipped))
    chosen = min(
        available,
        key=lambda m: ((work.counts.get(m.rep_id, 0) + 0.5) / m.weight, pool.members.index(m)),
    )
    given = work.counts.get(chosen.rep_id, 0)
    reason = (
        f"weighted round-robin in {where}, turn {pool.turn}: {chosen.rep_id} (weight {chosen.weight},"
        f" {given} of {sum(work.counts.values())} assigned this turn)"
    )
    return Decision(chosen.rep_id, "round_robin", reason, pool.pool_id, pool.turn, tuple(skipped))


def territory_of(fields: TerritoryFields) -> Territory:
    return Territory(
        tuple(c.upper() for c in fields.countries), tuple(fields.regions), tuple(fields.segments)
    )


def rep_of(fields: RepFields) -> Rep:
    """The rules' view of a rep as the catalog carries it."""
    end = parse_hhmm(fields.work_end)
    return Rep(
        rep_id=fields.rep_id,
        team=fields.team,
        territory=territory_of(fields),
        capacity=fields.capacity,
        time_zone=fields.time_zone,
        work_start=parse_hhmm(fields.work_start) or time(0, 0),
        work_end=end,
        work_days=tuple(fields.work_days),
        out_of_office=(fields.out_of_office_from, fields.out_of_office_until),
        active=fields.active,
    )


def pool_of(fields: PoolFields) -> Pool:
    return Pool(
        pool_id=fields.pool_id,
        team=fields.team,
        territory=territory_of(fields),
        members=tuple(Member(m.rep_id, m.weight) for m in fields.members),
        sticky=fields.sticky,
        turn=fields.turn,
    )
