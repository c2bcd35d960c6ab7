"""The unit of work without a database, for tests of a service's use cases and handlers: each
service's fake adds in-memory repositories of its own ports (cosmicpython's FakeUnitOfWork)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.events import Envelope, Event
from shared.uow import DeadLetter, OutboxRecord, UnitOfWork


class FakeUnitOfWork(UnitOfWork):
    def __init__(self) -> None:
        super().__init__(source="test", topic=lambda name: name)
        self.published: list[OutboxRecord] = []
        self.commits = 0
        self.inbox: set[tuple[str, str]] = set()
        self.dead_letters: list[DeadLetter] = []

    async def _open(self) -> None:
        pass

    async def _close(self) -> None:
        pass

    async def _commit(self, records: list[OutboxRecord]) -> None:
        self.published += records
        self.commits += 1

    async def flush_events(self) -> None:
        self.published += self._outbox
        self._outbox = []

    async def claim(self, consumer: str, event_id: str) -> bool:
        claimed = (consumer, event_id) not in self.inbox
        self.inbox.add((consumer, event_id))
        return claimed

    async def claim_many(self, consumer: str, event_ids: list[str]) -> set[str]:
        return {event_id for event_id in event_ids if await self.claim(consumer, event_id)}

    async def backlog(self, cap: int) -> int:
        return 0

    async def dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)

    async def forget(self, keys: list[str]) -> None:
        self.published = [record for record in self.published if record.key not in keys]
        self.dead_letters = [letter for letter in self.dead_letters if letter.key not in keys]

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """Payloads of what was emitted (committed or still queued), oldest first."""
        records = [*self.published, *self.queued]
        return [r.payload for r in records if event_type is None or r.headers["ce_type"] == event_type]

    def types(self) -> list[str]:
        return [r.headers["ce_type"] for r in [*self.published, *self.queued]]


def envelope(event: Event, version: int | None = None) -> Envelope:
    return Envelope(
        id=f"{event.TYPE}:{event.key()}:{version}",
        source="test",
        type=event.TYPE,
        subject=event.key(),
        time=datetime.now(UTC),
        data=event.model_dump(mode="json"),
        aggregate_version=version,
    )
