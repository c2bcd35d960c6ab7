from datetime import UTC, datetime

import pytest

from shared.events import CATALOG, Envelope, LeadCreated, decode, encode_headers
from shared.events.envelope import MalformedEvent

ARCHITECTURE_TOPICS = {
    "lead.created",
    "lead.updated",
    "engagement.recorded",
    "account.created",
    "account.updated",
    "lead.converted",
    "lead.review_requested",
    "lead.rejected",
    "lead.scored",
    "opp.created",
    "opp.stage_changed",
    "opp.contact_role_changed",
    "opp.sla_breached",
    "opp.updated",
    "person.identified",
    "person.erased",
    "campaign.created",
    "campaign.updated",
    "segment.membership_changed",
}

# Beyond ARCHITECTURE.md's minimum: the handshakes' and escalations' events (docs/events.md).
ESCALATION_TOPICS = {
    "rep.updated",
    "pool.updated",
    "opp.handoff_escalated",
    "opp.handoff_reassigned",
    "lead.routed",
    "lead.route_escalated",
    "opp.sla_escalated",
}


def test_the_catalog_has_every_event_of_the_architecture() -> None:
    assert set(CATALOG) == ARCHITECTURE_TOPICS | ESCALATION_TOPICS


def test_binary_mode_round_trip_keeps_attributes_trace_and_payload() -> None:
    event = LeadCreated(lead_id="l1", source="api", email="a@acme.com", email_domain="acme.com")
    envelope = Envelope(
        id="e1",
        source="cascade/ingest",
        type=event.TYPE,
        subject="l1",
        time=datetime(2026, 11, 23, tzinfo=UTC),
        data=event.model_dump(mode="json"),
        dataschema=event.dataschema(),
        aggregate_version=3,
        trace={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    )
    headers = encode_headers(envelope)
    assert dict(headers)["ce_specversion"] == b"1.0" and dict(headers)["content-type"] == b"application/json"
    decoded = decode(
        headers, b'{"lead_id":"l1","source":"api","email":"a@acme.com","email_domain":"acme.com"}'
    )
    assert decoded.id == "e1" and decoded.aggregate_version == 3 and decoded.trace == envelope.trace
    assert decoded.payload() == event
    assert decoded.dataschema == "urn:cascade:event:lead.created:v1"


def test_unknown_fields_are_tolerated() -> None:
    headers = [("ce_id", b"e"), ("ce_type", b"lead.rejected"), ("ce_source", b"x")]
    payload = decode(headers, b'{"lead_id":"l","reason":"spam","rejected_by":"ann","new_field":1}').payload()
    assert payload.model_dump() == {"lead_id": "l", "reason": "spam", "rejected_by": "ann"}


@pytest.mark.parametrize(
    ("headers", "value"),
    [
        ([("ce_type", b"lead.created")], b"{}"),
        ([("ce_id", b"1"), ("ce_type", b"t"), ("ce_source", b"s")], b"{not json"),
    ],
)
def test_records_that_are_not_cloudevents_are_malformed(
    headers: list[tuple[str, bytes]], value: bytes
) -> None:
    with pytest.raises(MalformedEvent):
        decode(headers, value)
