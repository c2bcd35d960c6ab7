"""Has the broker lost records it acknowledged? The outbox relay asks before each batch and on
its clock, so that what was lost is queued again before anything newer of the same key.

First, the relay's marker: a record of its own on a compacted topic of its own, written once the
broker is known to hold everything. A broker that no longer holds it forgot everything (an
in-memory broker restarted empty): every topic the outbox still keeps rows of is queued again.
Offsets alone cannot tell: a batch the producer sent again to the restarted broker records new
offsets that collide with the old rows', and Tansu's end offsets are too small to go down.

Then cheap, before each batch: a topic gone, or a partition whose end offset went
down (logs only grow): the whole topic is queued again. Thorough, on the
relay's clock and for partitions seen for the first time: the broker must still hold the oldest
and the newest record the relay has kept of each partition, each at its offset, with its `ce_id`
(a lost tail, or another log in the place of ours). A record the broker's own retention deleted is
no loss. Tansu's end offset is the start of a partition's last batch plus one, below the records
of that batch: an offset past the end alone proves nothing, the record is fetched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

FETCH_ATTEMPTS = 5
MARKER_KEY = b"outbox-relay"


@dataclass(frozen=True)
class Landmark:
    """A record the broker acknowledged: `event_id` (its `ce_id`) stored at `offset`."""

    topic: str
    partition: int
    offset: int
    event_id: str


@dataclass(frozen=True)
class Loss:
    """Records of `topic` lost from `offset` on, in one partition, or in all when it is None."""

    topic: str
    partition: int | None
    offset: int = 0


# The oldest and the newest landmark of each partition of these topics.
Landmarks = Callable[[set[str]], Awaitable[list[Landmark]]]
# Every topic the outbox still keeps published rows of.
Retained = Callable[[], Awaitable[set[str]]]
# Creates the marker's topic (one partition, compacted) when it is missing.
MarkerTopic = Callable[[str], Awaitable[None]]


class LossDetector:
    def __init__(
        self,
        probe: AIOKafkaConsumer,
        landmarks: Landmarks,
        *,
        producer: AIOKafkaProducer,
        marker: str,
        retained: Retained,
        create_marker_topic: MarkerTopic,
    ) -> None:
        self._probe = probe
        self._landmarks = landmarks
        self._producer = producer
        self._marker = marker
        self._retained = retained
        self._create_marker_topic = create_marker_topic
        self._ends: dict[TopicPartition, int] = {}
        self._known = False  # this broker was seen holding the marker
        self._unmarked = False  # the marker is to be written once what was lost is queued again

    async def lost(self, topics: set[str], *, thorough: bool = False) -> list[Loss]:
        # The client's own metadata (what `partitions_for_topic` and `end_offsets` read) made fresh:
        # `topics()` alone fetches a copy and leaves it stale, so a topic the broker re-created with
        # other partitions after a restart looked "gone" at every check until that copy aged out.
        await self._probe._client.force_metadata_update()
        present = set(self._probe._client.cluster.topics())
        if not await self._marked(present):
            if self._known:
                self._unmarked = True
                self._ends.clear()
                return [Loss(t, None) for t in sorted(topics | await self._retained())]
            losses = await self._compare(topics, present, thorough=True)  # the first look
            if losses:
                self._unmarked = True
            else:  # marked before anything more is sent: a batch that reaches a restarted broker is caught
                await self._mark()
            return losses
        return await self._compare(topics, present, thorough=thorough)

    async def _compare(self, topics: set[str], present: set[str], *, thorough: bool) -> list[Loss]:
        losses = [Loss(t, None) for t in sorted(topics - present)]
        partitions = [
            TopicPartition(t, p)
            for t in sorted(topics & present)
            for p in self._probe.partitions_for_topic(t) or ()
        ]
        if not partitions:
            self._forget(topics)
            return losses
        ends = await self._probe.end_offsets(partitions)
        shrunk = {tp for tp, end in ends.items() if end < self._ends.get(tp, 0)}
        # A log that went back is a broker that restarted: every partition of the topic from its
        # start, so that each new log holds the old records at their old offsets again (a consumer
        # whose offset reached the broker before it noticed the restart skips only those).
        losses += [Loss(topic, None) for topic in sorted({tp.topic for tp in shrunk})]
        if thorough or any(tp not in self._ends for tp in partitions):
            losses += await self._check_landmarks(topics & present, ends, exclude=shrunk)
        lost = {(loss.topic, loss.partition) for loss in losses}
        self._forget(topics)
        self._ends.update(
            {
                tp: end
                for tp, end in ends.items()
                if (tp.topic, tp.partition) not in lost and tp.topic not in lost
            }
        )
        return losses

    async def settle(self) -> None:
        """Called once the losses found are queued again for good (committed): the broker is
        marked as holding everything, and a later broker without the mark forgot it all."""
        if self._unmarked:
            await self._mark()

    async def _mark(self) -> None:
        await self._create_marker_topic(self._marker)
        await self._producer.send_and_wait(self._marker, key=MARKER_KEY, value=b"{}")
        self._unmarked, self._known = False, True

    async def _marked(self, present: set[str]) -> bool:
        if self._marker not in present:
            return False
        partitions = [
            TopicPartition(self._marker, p) for p in self._probe.partitions_for_topic(self._marker) or ()
        ]
        ends = await self._probe.end_offsets(partitions) if partitions else {}
        held = any(end > 0 for end in ends.values())
        self._known = self._known or held
        return held

    def _forget(self, topics: Iterable[str]) -> None:
        names = set(topics)
        self._ends = {tp: end for tp, end in self._ends.items() if tp.topic not in names}

    async def _check_landmarks(
        self, topics: set[str], ends: dict[TopicPartition, int], exclude: set[TopicPartition]
    ) -> list[Loss]:
        marks = [
            m for m in await self._landmarks(topics) if TopicPartition(m.topic, m.partition) not in exclude
        ]
        if not marks:
            return []
        gone = {m.topic for m in marks if TopicPartition(m.topic, m.partition) not in ends}
        losses = [Loss(t, None) for t in sorted(gone)]
        kept = [m for m in marks if m.topic not in gone]
        starts = await self._probe.beginning_offsets(
            list({TopicPartition(m.topic, m.partition) for m in kept})
        )
        found: dict[TopicPartition, Loss] = {}
        for mark in kept:
            tp = TopicPartition(mark.topic, mark.partition)
            if tp in found or mark.offset < starts[tp]:
                continue
            held = await self._event_at(tp, mark.offset, starts[tp], ends[tp])
            if held is not None and held != mark.event_id:
                losses.append(Loss(tp.topic, None))  # another log in the place of ours
            elif held is None:
                found[tp] = Loss(tp.topic, tp.partition, min(mark.offset, ends[tp]))  # the tail
        whole = {loss.topic for loss in losses}
        return losses + [loss for loss in found.values() if loss.topic not in whole]

    async def _event_at(self, tp: TopicPartition, offset: int, start: int, end: int) -> str | None:
        """The `ce_id` of the record at `offset`, or None when the broker holds none there.

        The read starts at a record the broker says it holds (at most `end - 1`, the first of
        Tansu's last batch), so an empty first answer means a broker too slow to answer in time:
        it is asked again while it still says it holds the record (a restart in between is a loss
        found at once, not after every attempt). The probe is assigned that one partition only while it
        reads: an assigned partition is fetched without end in the background, which on every
        partition at once cost each service a third of its CPU."""
        position = min(offset, end - 1)
        if position < start:
            return None  # the partition holds nothing
        self._probe.assign([tp])
        try:
            self._probe.seek(tp, position)
            read = await self._read_up_to(tp, position, offset)
        finally:
            self._probe.unsubscribe()
        at = next((record for record in read if record.offset == offset), None)
        if at is None:
            return None
        return dict(at.headers).get("ce_id", b"").decode() or None

    async def _read_up_to(
        self, tp: TopicPartition, position: int, offset: int
    ) -> list[ConsumerRecord[bytes, bytes]]:
        read: list[ConsumerRecord[bytes, bytes]] = []
        for _ in range(FETCH_ATTEMPTS):
            wanted = offset - position + 1 - len(read)
            got = (await self._probe.getmany(tp, timeout_ms=2000, max_records=wanted)).get(tp, [])
            if not got and (read or (await self._probe.end_offsets([tp]))[tp] <= position):
                break  # nothing more than what was read, or the broker lost it meanwhile
            read += got
            if read and read[-1].offset >= offset:
                break
        return read
