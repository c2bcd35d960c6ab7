"""The door of the outbox: an event the broker would refuse is refused when it is emitted, so no
row can stall the relay behind it; one within the limit is queued with its envelope."""

import pytest

from shared.errors import TooLarge
from shared.events import LeadCreated
from shared.uow import MAX_EVENT_BYTES, OutboxRecord, UnitOfWork


class Recording(UnitOfWork):
    def __init__(self) -> None:
        super().__init__(source="test", topic=lambda event_type: f"t.{event_type}")
        self.committed: list[OutboxRecord] = []

    async def _open(self) -> None:
        pass

    async def _close(self) -> None:
        pass

    async def _commit(self, records: list[OutboxRecord]) -> None:
        self.committed += records


def lead(company_bytes: int) -> LeadCreated:
    return LeadCreated(
        lead_id="l1", source="api", email="a@acme.com", email_domain="acme.com", company="c" * company_bytes
    )


async def test_an_event_over_the_limit_is_refused_and_nothing_is_queued() -> None:
    async with Recording() as uow:
        with pytest.raises(TooLarge, match=f"events are at most {MAX_EVENT_BYTES}"):
            uow.emit(lead(MAX_EVENT_BYTES))
        await uow.commit()
    assert uow.committed == []


async def test_an_event_within_the_limit_is_queued_for_its_topic() -> None:
    async with Recording() as uow:
        envelope = uow.emit(lead(MAX_EVENT_BYTES - 1024))
        await uow.commit()
    [record] = uow.committed
    assert envelope.type == "lead.created" and record.topic == "t.lead.created"
