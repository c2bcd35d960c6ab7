"""Outbound's composition root: what the platform runs of it, and with which adapters."""

from __future__ import annotations

from pathlib import Path

from services.outbound.adapters.hubspot import HubSpotLists
from services.outbound.adapters.marketo import MarketoLists
from services.outbound.adapters.notifier import Notifier
from services.outbound.adapters.platform import HttpReadiness, KafkaDeadLetters
from services.outbound.adapters.uow import SqlOutboundUnitOfWork
from services.outbound.adapters.webhooks import HttpWebhooks
from services.outbound.app import alerts, deliveries, map_sync, watch
from services.outbound.app.handlers import HANDLERS
from services.outbound.app.housekeeping import RETENTION
from services.outbound.entrypoints.api import router
from services.outbound.settings import OutboundSettings
from shared.events import LeadCreated
from shared.jobs import Job, UowFactory
from shared.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"


async def _deliver(uows: UowFactory, settings: OutboundSettings) -> int:
    return await deliveries.deliver_due(uows, settings, HttpWebhooks(settings))


async def _alert(uows: UowFactory, settings: OutboundSettings) -> int:
    return await alerts.send_due(uows, settings, Notifier(settings))


async def _watch(uows: UowFactory, settings: OutboundSettings) -> int:
    letters = await watch.watch_dead_letters(uows, settings, KafkaDeadLetters(settings))
    return letters + await watch.watch_consumers(uows, settings, HttpReadiness())


async def _sync(uows: UowFactory, settings: OutboundSettings) -> int:
    apis: list[map_sync.MapApi] = []
    if settings.hubspot_on:
        apis.append(HubSpotLists(settings))
    if settings.marketo_on:
        apis.append(MarketoLists(settings))
    return await map_sync.sync_due(uows, settings, apis) if apis else 0


DEFINITION = ServiceDefinition(
    name="outbound",
    description="Signed webhooks to subscribers, alerts to people (chat, email), segment sync to MAPs.",
    router=router,
    produces=(),
    handlers=HANDLERS,
    jobs=(
        Job("deliveries", every=lambda s: s.outbound_delivery_poll_seconds, run=_deliver),
        Job("alerts", every=lambda s: s.outbound_alert_poll_seconds, run=_alert),
        Job("watch", every=lambda s: s.outbound_watch_seconds, run=_watch),
        Job("map-sync", every=lambda s: s.outbound_map_sync_seconds, run=_sync),
        RETENTION,
    ),
    settings=OutboundSettings,
    uow=SqlOutboundUnitOfWork,
    clients=lambda settings: {"targets": HttpWebhooks(settings)},
    bulk_lanes=(LeadCreated,),  # an import's new leads reach subscribers too, after live work
)
