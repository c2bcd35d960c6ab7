"""A service process's resources and tasks: database, producer, outbox relay, consumer, jobs.

Kafka is optional at start: the HTTP API, the outbox and the scheduled jobs work while the
broker is away, and the relay and consumer connect (and reconnect) in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import APIRouter
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db import create_engine, session_factory
from shared.dead_letters import DeadLetters
from shared.events import Event
from shared.group_commit import GroupCommit
from shared.jobs import Job
from shared.kafka.client import create_probe, create_producer, dlq_topic, ensure_topics
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.records import RecordProcessor, UowFactory, bulk_group, consumer_group
from shared.kafka.throttle import Throttle
from shared.keys import ApiKey
from shared.messaging import Handlers, lane_topic
from shared.outbox import OutboxRelay
from shared.retention import retention_job
from shared.settings import Settings
from shared.sql_uow import SqlUnitOfWork

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ServiceDefinition:
    """What a service hands the platform: routes, handlers, jobs, the events it emits, its
    settings class and its unit of work (a `SqlUnitOfWork` subclass with its repositories)."""

    name: str
    description: str
    router: APIRouter
    produces: tuple[type[Event], ...]
    settings: type[Settings]
    uow: type[SqlUnitOfWork]
    handlers: Handlers = field(default_factory=dict)
    jobs: tuple[Job, ...] = ()
    # Clients of the world outside (a MAP's API), built from the settings at start; closed at stop
    # when they have `aclose`.
    clients: Callable[[Any], Mapping[str, Any]] = lambda _: {}
    # Routes that authenticate themselves (MAP webhooks check their senders' signatures).
    public_router: APIRouter | None = None
    # Routes at the root that authenticate people themselves (the console's pages), not API keys.
    pages: APIRouter | None = None
    # Route prefixes (after /v1) that take bodies up to HTTP_MAX_LARGE_BODY_BYTES (a bulk import).
    large_bodies: tuple[str, ...] = ()
    # Events that also travel on a low-priority bulk lane (a backfill): a producer gets the
    # lane's topic; a consumer with a handler for one reads the lane while its live topics idle.
    bulk_lanes: tuple[type[Event], ...] = ()

    def bulk_handlers(self) -> Handlers:
        return {cls: handler for cls, handler in self.handlers.items() if cls in self.bulk_lanes}

    def scheduled(self) -> tuple[Job, ...]:
        """The jobs to run: the service's, and the platform's retention unless it brings its own."""
        own = any(job.name == "retention" for job in self.jobs)
        return self.jobs if own else (*self.jobs, retention_job())


@asynccontextmanager
async def units_of_work(
    definition: ServiceDefinition, settings: Settings
) -> AsyncIterator[Callable[[], Any]]:
    """A service's unit-of-work factory outside a running service (a command, a bench)."""
    engine = create_engine(settings, definition.name)
    sessions = session_factory(engine)
    try:
        yield lambda: definition.uow(sessions, source=definition.name, topic=settings.topic)
    finally:
        await engine.dispose()


def processors(definition: ServiceDefinition, settings: Settings, uow: UowFactory) -> list[RecordProcessor]:
    """The service's consumers as a dead letter's retry needs them: its live group's and, with
    bulk lanes, its bulk group's (the same groups and handlers the runtime consumes with)."""
    found = [
        RecordProcessor(
            group=consumer_group(settings, definition.name),
            handlers=definition.handlers,
            uow=uow,
            settings=settings,
        )
    ]
    if bulk := definition.bulk_handlers():
        found.append(
            RecordProcessor(
                group=bulk_group(settings, definition.name),
                handlers=bulk,
                uow=uow,
                settings=settings,
                lane="bulk",
            )
        )
    return found


@dataclass
class Runtime:
    definition: ServiceDefinition
    settings: Any
    engine: AsyncEngine = field(init=False)
    sessions: async_sessionmaker[AsyncSession] = field(init=False)
    producer: AIOKafkaProducer | None = None
    relay: OutboxRelay | None = None
    consumer: ConsumerRunner | None = None
    bulk: ConsumerRunner | None = None
    broker_connected: bool = False
    outbox_ready: asyncio.Event = field(default_factory=asyncio.Event)
    clients: dict[str, Any] = field(default_factory=dict)
    group: GroupCommit | None = None
    keys: list[ApiKey] = field(default_factory=list)
    letters: DeadLetters = field(init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _probe: AIOKafkaConsumer | None = None
    _say: Throttle = field(default_factory=Throttle)  # recurring failures: one line per 30 s

    @property
    def name(self) -> str:
        return self.definition.name

    def uow(self) -> Any:
        """A new unit of work of the service's own type."""
        return self.definition.uow(
            self.sessions, source=self.name, topic=self.settings.topic, on_commit=self.outbox_ready.set
        )

    async def start(self, *, with_kafka: bool = True) -> None:
        self.engine = create_engine(self.settings, self.name)
        # The instrumentor declares SQLAlchemy < 2.1; its engine events work the same on 2.1.
        SQLAlchemyInstrumentor().instrument(engine=self.engine.sync_engine, skip_dep_check=True)
        self.sessions = session_factory(self.engine)
        self.clients = dict(self.definition.clients(self.settings))
        self.group = GroupCommit(self.uow)
        self.keys = self.settings.keys()
        self.letters = DeadLetters(self.sessions, processors(self.definition, self.settings, self.uow))
        for job in self.definition.scheduled():
            if job.every(self.settings) > 0:
                self._tasks.append(asyncio.create_task(self._job(job), name=f"{self.name}-{job.name}"))
        if with_kafka:
            self._tasks.append(asyncio.create_task(self._kafka(), name=f"{self.name}-kafka"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self._close_kafka()
        for client in self.clients.values():
            if hasattr(client, "aclose"):
                await client.aclose()
        await self.engine.dispose()

    async def _kafka(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._connect()
                delay = 0.5
                assert self.relay is not None
                work = [self._forever("outbox-relay", self.relay.run)]
                if self.consumer is not None:
                    work.append(self._forever("consumer", self.consumer.run))
                if self.bulk is not None:
                    work.append(self._forever("bulk-consumer", self.bulk.run))
                await asyncio.gather(*work)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._say(
                    log.warning, "kafka.unavailable", service=self.name, error=repr(exc), retry_in=delay
                )
                await self._close_kafka()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _job(self, job: Job) -> None:
        """Run `job` on its clock; a failed run is logged and the next one comes as usual."""
        while True:
            await asyncio.sleep(job.every(self.settings))
            try:
                result = await job.run(self.uow, self.settings)
                if result:
                    log.info("job.done", service=self.name, job=job.name, result=result)
            except asyncio.CancelledError:
                raise
            except Exception:
                self._say(log.exception, "job.failed", key=job.name, service=self.name, job=job.name)

    async def _connect(self) -> None:
        handlers = self.definition.handlers
        bulk = self.definition.bulk_handlers()
        topics = [self.settings.topic(t.TYPE) for t in self.definition.produces]
        topics += [lane_topic(self.settings.topic(t.TYPE), "bulk") for t in self.definition.bulk_lanes]
        consumed = [self.settings.topic(t.TYPE) for t in handlers]
        consumed += [lane_topic(self.settings.topic(t.TYPE), "bulk") for t in bulk]
        await ensure_topics(self.settings, topics + consumed + [dlq_topic(t) for t in consumed])
        self.producer = create_producer(self.settings)
        await self.producer.start()
        self._probe = create_probe(self.settings)
        await self._probe.start()
        self.relay = OutboxRelay(
            schema=self.name,
            sessions=self.sessions,
            producer=self.producer,
            probe=self._probe,
            settings=self.settings,
            wake=self.outbox_ready,
        )
        if handlers:
            self.consumer = ConsumerRunner(
                group=consumer_group(self.settings, self.name),
                handlers=handlers,
                uow=self.uow,
                settings=self.settings,
            )
            await self.consumer.start()
        if bulk:
            self.bulk = ConsumerRunner(
                group=bulk_group(self.settings, self.name),
                handlers=bulk,
                uow=self.uow,
                settings=self.settings,
                lane="bulk",
                defer_to=self.consumer,
            )
            await self.bulk.start()
        self.broker_connected = True
        log.info("kafka.connected", service=self.name, consumes=consumed)

    async def _close_kafka(self) -> None:
        self.broker_connected = False
        if self.relay is not None:
            self.relay.close()
        for client in (self.bulk, self.consumer, self.producer, self._probe):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()
        self.consumer, self.bulk, self.producer, self._probe, self.relay = None, None, None, None, None

    async def _forever(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work`; log and restart it if it fails for an unexpected reason."""
        while True:
            try:
                await work()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                self._say(log.exception, "task.crashed", key=name, service=self.name, task=name)
                await asyncio.sleep(1.0)

    async def readiness(self) -> dict[str, dict[str, Any]]:
        checks: dict[str, dict[str, Any]] = {}
        try:
            async with self.sessions() as session:
                await asyncio.wait_for(session.execute(text("SELECT 1")), 3.0)
            checks["database"] = {"ok": True}
        except Exception as exc:
            checks["database"] = {"ok": False, "error": repr(exc)}
        checks["broker"] = {"ok": self.broker_connected}
        relay = self.relay
        if relay is None:
            checks["relay"] = {"ok": False, "error": "not connected to the broker"}
        else:
            idle = time.monotonic() - relay.last_success
            checks["relay"] = {"ok": idle < 30, "seconds_since_success": round(idle, 1)}
            if relay.last_error:
                checks["relay"]["error"] = relay.last_error
        for name, runner in (("consumer", self.consumer), ("bulk_consumer", self.bulk)):
            if runner is None:
                continue
            stalled = runner.stalled()
            checks[name] = {
                "ok": not stalled,
                "group": runner.group,
                "lag": sum(runner.lag.values()),
                "seconds_since_commit": round(time.monotonic() - runner.last_commit, 1),
            }
            if stalled:
                checks[name]["stalled"] = [f"{tp.topic}/{tp.partition}" for tp in stalled]
                checks[name]["error"] = "a partition has lag and no offset has been committed"
        return checks
