"""Ingest's use cases and handlers against its unit of work in memory."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.ingest.app import leads, webhooks
from services.ingest.app.handlers import on_lead_converted, on_lead_rejected
from services.ingest.app.sources import Request
from services.ingest.domain.inputs import EngagementIn, LeadIn
from services.ingest.domain.leads import normalised_lead
from services.ingest.domain.webhooks.items import Item, LeadItem, Rejected
from services.ingest.settings import IngestSettings
from shared.errors import Conflict, Invalid, NotFound, Unauthorized
from shared.events import LeadConverted, LeadRejected
from shared.group_commit import GroupCommit
from tests.support import signing
from tests.support.fakes import envelope
from tests.unit.ingest.fakes import FakeIngestUnitOfWork

SECRET = "mautic-secret-0123456789"
SETTINGS = IngestSettings(webhook_secrets={"mautic": SECRET, "hubspot": "hubspot-secret-0123456789"})


def fields(email: str = "Ada@Example.com", **more: object) -> dict[str, object]:
    return normalised_lead(LeadIn(email=email, **more))  # type: ignore[arg-type]


class People:
    """A source's API, answering each id with the person it holds."""

    def __init__(self, people: dict[str, Item]) -> None:
        self.people, self.asked = people, []

    async def read(self, source_ids: list[str]) -> dict[str, Item]:
        self.asked += source_ids
        return {i: self.people.get(i, Rejected(f"no contact {i}", "objectId")) for i in source_ids}


async def test_a_new_email_creates_a_lead_and_the_same_email_updates_it() -> None:
    uow = FakeIngestUnitOfWork()
    lead_id, created = await leads.record_lead(uow, fields(title="Engineer"))
    again, updated = await leads.record_lead(uow, fields("ada@example.com", title="CTO"))
    same, unchanged = await leads.record_lead(uow, fields(title="CTO"))
    assert (created, updated, unchanged) == ("created", "updated", "unchanged")
    assert lead_id == again == same
    assert uow.types() == ["lead.created", "lead.updated"]
    assert uow.events("lead.updated")[0]["changed"] == {"title": "CTO", "seniority": "c_level"}
    assert (await uow.leads.get(lead_id)).version == 2  # type: ignore[union-attr]


async def test_an_invalid_email_is_refused_naming_the_field() -> None:
    with pytest.raises(Invalid) as refused:
        fields("not an email")
    assert refused.value.errors[0]["field"] == "email"


async def test_a_source_id_keeps_a_person_who_changed_address_one_lead() -> None:
    uow = FakeIngestUnitOfWork()
    lead_id, _ = await leads.record_lead(uow, fields("old@example.com"))
    moved, status = await leads.record_lead(uow, fields("new@example.com"), known_lead_id=lead_id)
    assert (moved, status) == (lead_id, "updated")
    assert uow.events("lead.updated")[0]["email"] == "new@example.com"


async def test_an_engagement_creates_its_person_once_and_an_unsubscribe_updates_the_lead() -> None:
    uow = FakeIngestUnitOfWork()
    click = EngagementIn(email="bo@example.com", kind="email_click", engagement_id="e1")
    first = await leads.record_engagement(uow, click)
    second = await leads.record_engagement(uow, click)
    assert (first[2], second[2]) == ("recorded", "duplicate")
    await leads.record_engagement(uow, EngagementIn(lead_id=first[1], kind="unsubscribe"))
    assert (await uow.leads.get(first[1])).unsubscribed is True  # type: ignore[union-attr]
    assert uow.types().count("engagement.recorded") == 2


async def test_an_engagement_carries_its_campaign_and_source() -> None:
    uow = FakeIngestUnitOfWork()
    click = EngagementIn(
        email="bo@example.com", kind="email_click", campaign="Q4 Webinar", campaign_external_id="1042"
    )
    await leads.record_engagement(uow, click, source="marketo")
    [event] = uow.events("engagement.recorded")
    assert (event["campaign"], event["campaign_external_id"], event["source"]) == (
        "Q4 Webinar",
        "1042",
        "marketo",
    )


async def test_an_engagement_of_an_unknown_lead_id_is_refused() -> None:
    with pytest.raises(Invalid) as refused:
        await leads.record_engagement(FakeIngestUnitOfWork(), EngagementIn(lead_id="nobody", kind="call"))
    assert refused.value.errors == [{"field": "lead_id", "reason": "no such lead"}]


async def test_lookups_answer_not_found() -> None:
    uow = FakeIngestUnitOfWork()
    with pytest.raises(NotFound):
        await leads.lead(uow, "nobody")
    with pytest.raises(NotFound):
        await leads.lead_by_email(uow, "nobody@example.com")


def mautic(body: bytes, *, secret: str = SECRET) -> webhooks.Received:
    headers = {k.lower(): v for k, v in signing.mautic(secret, body).items()}
    request = Request(
        method="POST", uri="/v1/webhooks/mautic", headers=headers, body=body, now=datetime.now(UTC)
    )
    return webhooks.Received(source="mautic", content_type="application/json", request=request)


MAUTIC = json.dumps(
    {
        "mautic.lead_post_save_new": [
            {"contact": {"id": 11, "fields": {"core": {"email": {"value": "cy@example.com"}}}}},
            {"contact": {"id": 12, "fields": {"core": {"email": {"value": "not-an-email"}}}}},
        ]
    }
).encode()


async def test_a_delivery_stores_good_items_quarantines_bad_ones_and_answers_a_redelivery_as_before() -> None:
    uow = FakeIngestUnitOfWork()
    answer = await webhooks.receive(
        lambda: uow, mautic(MAUTIC), SETTINGS, People({}), group=GroupCommit(lambda: uow)
    )
    assert (answer.accepted, answer.rejected) == (1, 1)
    assert [q.field for q in uow.quarantine.rows.values()] == ["email"]
    again = await webhooks.receive(
        lambda: uow, mautic(MAUTIC), SETTINGS, People({}), group=GroupCommit(lambda: uow)
    )
    assert again == answer and len(uow.leads.rows) == 1 and uow.types() == ["lead.created"]


async def test_a_delivery_signed_with_another_secret_stores_nothing() -> None:
    uow = FakeIngestUnitOfWork()
    with pytest.raises(Unauthorized):
        webhooks.authenticate(mautic(MAUTIC, secret="wrong-secret-0123456789"), SETTINGS)
    webhooks.authenticate(mautic(MAUTIC), SETTINGS)
    assert not uow.leads.rows and not uow.deliveries.rows


async def test_an_unreadable_body_is_quarantined_whole() -> None:
    uow = FakeIngestUnitOfWork()
    with pytest.raises(webhooks.Unreadable):
        await webhooks.receive(
            lambda: uow, mautic(b"{not json"), SETTINGS, People({}), group=GroupCommit(lambda: uow)
        )
    assert [q.field for q in uow.quarantine.rows.values()] == ["body"] and uow.commits == 1


async def test_a_fixed_item_is_resubmitted_once() -> None:
    uow = FakeIngestUnitOfWork()
    await webhooks.receive(lambda: uow, mautic(MAUTIC), SETTINGS, People({}), group=GroupCommit(lambda: uow))
    [item] = uow.quarantine.rows.values()
    fixed = json.loads(json.dumps(item.payload).replace("not-an-email", "dee@example.com"))
    [outcome] = await webhooks.resubmit(uow, item.quarantine_id, fixed, SETTINGS, People({}), "Rita")
    resolved = uow.quarantine.rows[item.quarantine_id]
    assert outcome.outcome == "accepted" and (resolved.status, resolved.resolved_by) == (
        "resubmitted",
        "Rita",
    )
    with pytest.raises(Conflict):
        await webhooks.resubmit(uow, item.quarantine_id, fixed, SETTINGS, People({}), "Rita")


async def test_a_resubmission_still_wrong_stays_in_quarantine() -> None:
    uow = FakeIngestUnitOfWork()
    await webhooks.receive(lambda: uow, mautic(MAUTIC), SETTINGS, People({}), group=GroupCommit(lambda: uow))
    [item] = uow.quarantine.rows.values()
    with pytest.raises(Invalid):
        await webhooks.resubmit(uow, item.quarantine_id, None, SETTINGS, People({}), "Rita")
    assert uow.quarantine.rows[item.quarantine_id].status == "open"
    await webhooks.discard(uow, item.quarantine_id, "Dan")
    discarded = uow.quarantine.rows[item.quarantine_id]
    assert (discarded.status, discarded.resolved_by) == ("discarded", "Dan")


def hubspot(body: bytes) -> webhooks.Received:
    uri = "https://cascade.example.com/v1/webhooks/hubspot"
    headers = {k.lower(): v for k, v in signing.hubspot("hubspot-secret-0123456789", uri, body).items()}
    request = Request(method="POST", uri=uri, headers=headers, body=body, now=datetime.now(UTC))
    return webhooks.Received(source="hubspot", content_type="application/json", request=request)


async def test_a_person_known_only_by_id_is_read_from_the_source() -> None:
    uow = FakeIngestUnitOfWork()
    body = json.dumps([{"eventId": 1, "subscriptionType": "contact.creation", "objectId": 7001}]).encode()
    people = People({"7001": LeadItem(fields={"email": "eve@example.com"}, source_id="7001")})
    answer = await webhooks.receive(
        lambda: uow, hubspot(body), SETTINGS, people, group=GroupCommit(lambda: uow)
    )
    assert answer.accepted == 1 and people.asked == ["7001"]
    assert await uow.source_ids.lead_for("hubspot", "7001") == answer.items[0].lead_id


async def test_the_lead_follows_the_matchers_decision_and_an_unknown_lead_changes_nothing() -> None:
    uow = FakeIngestUnitOfWork()
    lead_id, _ = await leads.record_lead(uow, fields())
    converted = LeadConverted(
        lead_id=lead_id,
        contact_id="c1",
        account_id="a1",
        account_created=True,
        method="account_created",
        confidence=1.0,
        explanation="",
        email="ada@example.com",
    )
    await on_lead_converted(converted, envelope(converted), uow, SETTINGS)
    assert (await uow.leads.get(lead_id)).status == "converted"  # type: ignore[union-attr]
    rejected = LeadRejected(lead_id="nobody", reason="spam", rejected_by="ann")
    await on_lead_rejected(rejected, envelope(rejected), uow, SETTINGS)
    assert list(uow.leads.rows) == [lead_id]


async def test_an_unsubscribe_is_not_undone_by_a_replay_only_by_fresh_consent() -> None:
    uow = FakeIngestUnitOfWork()
    lead_id, _ = await leads.record_lead(uow, fields(unsubscribed=True))
    assert await leads.record_lead(uow, fields(unsubscribed=False)) == (lead_id, "unchanged")
    assert (await uow.leads.get(lead_id)).unsubscribed is True  # type: ignore[union-attr]
    await leads.record_lead(uow, fields(unsubscribed=False, marketing_consent=True))
    assert (await uow.leads.get(lead_id)).unsubscribed is False  # type: ignore[union-attr]
