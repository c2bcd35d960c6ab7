"""Attributing opps: gather what the domain needs for a batch of opps, as they stand now or stood
at a date; refresh the stored rows of the opps an event touched; rebuild every opp's rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

from services.attribution.app.models import LeadFacts
from services.attribution.app.uow import AttributionUnitOfWork
from services.attribution.domain.touches import Attribution, Touch, attribute, select, window
from services.attribution.settings import AttributionSettings


async def compute(
    uow: AttributionUnitOfWork, settings: AttributionSettings, opp_ids: Sequence[str], as_of: datetime | None
) -> list[Attribution]:
    """The attribution of each of these opps (those that existed at `as_of`), in four queries."""
    opps = await uow.opps.as_of(opp_ids, as_of)
    if not opps:
        return []
    members = await uow.opps.confirmed([o.opp_id for o in opps], as_of)
    contacts = sorted({c for found in members.values() for c in found})
    since = min(window(o, settings.lookback, as_of)[0] for o in opps)
    touches = await uow.touches.around(sorted({o.account_id for o in opps}), contacts, since)
    facts = {f.contact_id: f for f in await uow.people.facts(contacts)}
    by_account: dict[str | None, dict[str, Touch]] = defaultdict(dict)
    by_person: dict[str, list[Touch]] = defaultdict(list)
    for account, touch in touches:
        by_account[account][touch.touch_id] = touch
        by_person[touch.person_id].append(touch)
    out = []
    for opp in opps:
        own = members.get(opp.opp_id, set())
        near = dict(by_account.get(opp.account_id, {}))  # a member of another account counts too
        near.update((t.touch_id, t) for c in own for t in by_person.get(c, ()))
        selection = select(opp, near.values(), own, settings.lookback, as_of)
        lead = _converting_lead([facts[c] for c in own if c in facts])
        out.append(
            attribute(
                opp,
                selection,
                lead_created_at=lead.lead_created_at if lead else None,
                original_campaign_id=lead.original_campaign_id if lead else None,
                half_life=settings.half_life,
            )
        )
    return out


def _converting_lead(facts: list[LeadFacts]) -> LeadFacts | None:
    """The members' earliest lead: its creation is the lead-creation milestone, its campaign the
    opp's source when no touch precedes the opp."""
    dated = [f for f in facts if f.lead_created_at is not None]
    if not dated:
        return None
    return min(dated, key=lambda f: (f.lead_created_at or datetime.max, f.contact_id))


def later(uow: AttributionUnitOfWork, settings: AttributionSettings, opp_ids: Sequence[str]) -> None:
    """Re-attribute these opps when the unit of work commits (once however many events asked)."""

    async def run(ids: list[str]) -> None:
        await refresh(uow, settings, ids)

    uow.mark_stale(opp_ids, run)


async def refresh(uow: AttributionUnitOfWork, settings: AttributionSettings, opp_ids: Sequence[str]) -> None:
    """Recompute and store the rows of these opps only (an event's effect, never a full pass)."""
    ids = sorted(set(opp_ids))
    if ids:
        await uow.credits.lock(ids)
        await uow.credits.replace(ids, await compute(uow, settings, ids, None))


async def rebuild(uows: Callable[[], AttributionUnitOfWork], settings: AttributionSettings) -> int:
    """Every opp's rows from the copies (after a model or setting change); opps attributed."""
    done = 0
    async with uows() as reader:
        async for batch in reader.opps.ids(
            opp_type=None, created_before=None, batch=settings.attribution_batch_size
        ):
            async with uows() as uow:
                await refresh(uow, settings, batch)
                await uow.commit()
            done += len(batch)
    async with uows() as uow:
        await uow.credits.reconcile()
        await uow.commit()
    return done
