"""A person erased: their contact anonymised (it stays on its account, in its opps' history,
without a name), their review items emptied and closed, a late `lead.created` ignored."""

from __future__ import annotations

from datetime import UTC, datetime

from services.matcher.app.uow import MatcherUnitOfWork
from services.matcher.settings import MatcherSettings
from shared.events import Envelope, PersonErased


async def on_person_erased(
    event: PersonErased, _: Envelope, uow: MatcherUnitOfWork, settings: MatcherSettings
) -> None:
    for lead_id in sorted(event.lead_ids):
        await uow.matches.lock_lead(lead_id)
    converted = await uow.matches.erase(event.lead_ids)
    contacts = await uow.contacts.erase(sorted({*converted, *event.contact_ids}), event.email_hash)
    await uow.review.erase(event.lead_ids, datetime.now(UTC))
    await uow.forget([*event.lead_ids, *contacts])
