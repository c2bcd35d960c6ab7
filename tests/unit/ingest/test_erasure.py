"""Ingest's erasure: the person's data gone, the fact kept, and no way back without consent."""

from __future__ import annotations

import hashlib
import json

import pytest

from services.ingest.app import erasure, leads, webhooks
from services.ingest.domain.inputs import EngagementIn
from services.ingest.domain.webhooks.items import LeadItem
from shared.errors import Conflict, NotFound
from shared.group_commit import GroupCommit
from tests.unit.ingest.fakes import FakeIngestUnitOfWork
from tests.unit.ingest.test_app import SETTINGS, People, fields, hubspot, mautic

EMAIL = "ada@example.com"


async def erased_ada() -> tuple[FakeIngestUnitOfWork, str]:
    uow = FakeIngestUnitOfWork()
    lead_id, _ = await leads.record_lead(uow, fields(EMAIL, first_name="Ada", phone="+44 20 7946 0000"))
    await leads.record_engagement(
        uow, EngagementIn(email=EMAIL, kind="page_view", url="https://x.example/?e=ada", properties={"a": 1})
    )
    await erasure.erase(uow, requested_by="dpo", email="Ada@Example.com")
    return uow, lead_id


async def test_an_erased_lead_keeps_its_id_and_what_happened_not_who() -> None:
    uow, lead_id = await erased_ada()
    lead = uow.leads.rows[lead_id]
    assert (lead.email, lead.first_name, lead.phone, lead.status) == (
        f"{lead_id}@erased.invalid",
        None,
        None,
        "erased",
    )
    [engagement] = uow.engagements.rows.values()
    assert (engagement["kind"], engagement["url"], engagement["properties"]) == ("page_view", None, {})
    [event] = uow.events("person.erased")
    assert event["lead_ids"] == [lead_id] and EMAIL not in json.dumps(event)
    assert event["email_hash"] == hashlib.sha256(EMAIL.encode()).hexdigest()
    assert uow.erasures.rows[0]["requested_by"] == "dpo"


async def test_an_erased_person_comes_back_only_with_fresh_consent() -> None:
    uow, lead_id = await erased_ada()
    with pytest.raises(erasure.Erased):
        await leads.record_lead(uow, fields(EMAIL, first_name="Ada"))
    with pytest.raises(Conflict):
        await leads.record_engagement(uow, EngagementIn(lead_id=lead_id, kind="page_view"))
    again, status = await leads.record_lead(uow, fields(EMAIL, marketing_consent=True))
    assert status == "created" and again != lead_id
    _, updated = await leads.record_lead(uow, fields(EMAIL, title="CTO"))
    assert updated == "updated"  # once back, their own changes are theirs


async def test_erasing_an_unknown_person_still_records_the_request() -> None:
    uow = FakeIngestUnitOfWork()
    done = await erasure.erase(uow, requested_by="dpo", email="nobody@example.com")
    assert done.lead_ids == [] and uow.types() == ["person.erased"]
    with pytest.raises(erasure.Erased):
        await leads.record_lead(uow, fields("nobody@example.com"))
    with pytest.raises(NotFound):
        await erasure.erase(uow, requested_by="dpo", source="hubspot", source_id="404")


async def test_hubspot_privacy_deletion_erases_the_person_it_names_and_keeps_no_body() -> None:
    uow = FakeIngestUnitOfWork()
    created = json.dumps([{"eventId": 1, "subscriptionType": "contact.creation", "objectId": 7}]).encode()
    people = People({"7": LeadItem(fields={"email": EMAIL}, source_id="7")})
    first = await webhooks.receive(
        lambda: uow, hubspot(created), SETTINGS, people, group=GroupCommit(lambda: uow)
    )
    lead_id = first.items[0].lead_id
    deletion = [{"eventId": 2, "subscriptionType": "contact.privacyDeletion", "objectId": 7}]
    answer = await webhooks.receive(
        lambda: uow, hubspot(json.dumps(deletion).encode()), SETTINGS, people, group=GroupCommit(lambda: uow)
    )
    assert [(i.status, i.lead_id) for i in answer.items] == [("erased", lead_id)]
    assert set(uow.deliveries.bodies.values()) == {b""}  # the creation's body went with the person
    assert await uow.source_ids.lead_for("hubspot", "7") is None


async def test_a_replayed_delivery_does_not_bring_the_person_back_nor_quarantines_them() -> None:
    uow = FakeIngestUnitOfWork()
    await erasure.erase(uow, requested_by="dpo", email="cy@example.com")
    body = json.dumps(
        {
            "mautic.lead_post_save_new": [
                {"contact": {"id": 11, "fields": {"core": {"email": {"value": "cy@example.com"}}}}}
            ]
        }
    ).encode()
    answer = await webhooks.receive(
        lambda: uow, mautic(body), SETTINGS, People({}), group=GroupCommit(lambda: uow)
    )
    assert [(i.outcome, i.status) for i in answer.items] == [("accepted", "erased")]
    assert not uow.leads.rows and not uow.quarantine.rows
    assert set(uow.deliveries.bodies.values()) == {b""}
