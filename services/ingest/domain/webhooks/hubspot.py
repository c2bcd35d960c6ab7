"""HubSpot: workflow "Send a webhook" bodies and webhook-subscription event batches.

A workflow action posts one contact's properties: flat (`{"email": ...}`), under `properties`
(`{"objectId": 1, "properties": {"email": "..."}}`, as the CRM API v3 returns a contact), or in
the legacy contact shape (`"properties": {"email": {"value": "..."}}`). Subscriptions post a JSON
array of up to 100 events that carry ids, not contacts.
"""

from __future__ import annotations

from typing import Any

from services.ingest.domain.webhooks.items import (
    ContactFetch,
    ErasureRequest,
    Item,
    LeadItem,
    MalformedBody,
    PropertyChange,
    RawItem,
    Rejected,
    load_json,
    mapped,
)

PROPERTIES = {
    "email": "email",
    "firstname": "first_name",
    "lastname": "last_name",
    "jobtitle": "title",
    "phone": "phone",
    "mobilephone": "phone",
    "company": "company",
    "website": "website",
    "country": "country",
    "industry": "industry",
    "numemployees": "employees",
    "hs_email_optout": "unsubscribed",
    "hs_legal_basis": "marketing_consent",
    # The guid of the campaign of the contact's first conversion: the lead's original campaign.
    "hs_analytics_first_touch_converting_campaign": "campaign",
}
# What a contact fetch asks the CRM API for.
FETCHED_PROPERTIES = tuple(PROPERTIES)
IGNORED_SUBSCRIPTIONS = {"contact.deletion", "contact.merge", "contact.restore"}


def split(body: bytes) -> list[RawItem]:
    document = load_json(body)
    if isinstance(document, list):
        if not document:
            raise MalformedBody("an empty event list")
        if len(document) > 100:
            raise MalformedBody("HubSpot sends at most 100 events per request")
        return [RawItem(key=_event_key(event), payload=_as_dict(event)) for event in document]
    if isinstance(document, dict):
        return [RawItem(key=None, payload=document)]
    raise MalformedBody("expected a contact object or an array of subscription events")


def _event_key(event: Any) -> str | None:
    """HubSpot says an eventId alone is not unique: with the portal, subscription, object and time it is.

    `attemptNumber` is left out on purpose: a retry is the same event.
    """
    if not isinstance(event, dict) or not isinstance(event.get("eventId"), int | str):
        return None
    parts = (event.get("portalId"), event.get("subscriptionId"), event["eventId"], event.get("objectId"))
    return ":".join("" if part is None else str(part) for part in (*parts, event.get("occurredAt")))


def consent(legal_basis: Any) -> bool | None:
    """`hs_legal_basis` is a `;`-separated multi-select; only freely given consent is consent."""
    if legal_basis is None or legal_basis == "":
        return None
    return "Freely given consent from contact" in str(legal_basis).split(";")


def _as_dict(event: Any) -> dict[str, Any]:
    return event if isinstance(event, dict) else {"value": event}


def convert(payload: dict[str, Any]) -> Item:
    if "subscriptionType" in payload or "eventId" in payload:
        return _event(payload)
    return contact(payload)


def contact(record: dict[str, Any]) -> Item:
    """A contact in any of the shapes a workflow or the CRM API gives."""
    properties = record.get("properties", record)
    if not isinstance(properties, dict):
        return Rejected("properties must be an object", "properties")
    flat = {
        name: value.get("value") if isinstance(value, dict) else value for name, value in properties.items()
    }
    fields = mapped(flat, PROPERTIES)
    if "marketing_consent" in fields:
        fields["marketing_consent"] = consent(fields["marketing_consent"])
    object_id = record.get("objectId", record.get("id", record.get("vid", flat.get("hs_object_id"))))
    return LeadItem(fields=fields, source_id=str(object_id) if object_id is not None else None)


def _is_id(value: Any) -> bool:
    """HubSpot's record ids are positive integers, sent as numbers (or digit strings)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 < value < 2**63
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19


def _event(event: dict[str, Any]) -> Item:
    kind = event.get("subscriptionType")
    object_id = event.get("objectId")
    if not _is_id(object_id):
        return Rejected("objectId is missing or not a HubSpot id", "objectId")
    if kind == "contact.creation":
        return ContactFetch(source_id=str(object_id))
    if kind == "contact.propertyChange":
        name = event.get("propertyName")
        if not isinstance(name, str):
            return Rejected("propertyName is missing", "propertyName")
        target = PROPERTIES.get(name)
        if target is None:
            return Rejected(f"property {name!r} is not one Cascade keeps", "propertyName")
        value = event.get("propertyValue")
        return PropertyChange(
            source_id=str(object_id),
            name=target,
            value=consent(value) if target == "marketing_consent" else value,
        )
    if kind == "contact.privacyDeletion":  # the contact asked to be forgotten (GDPR)
        return ErasureRequest(source_id=str(object_id))
    if kind in IGNORED_SUBSCRIPTIONS:
        return Rejected(f"{kind} is not handled by Cascade yet", "subscriptionType")
    return Rejected(f"unknown subscriptionType {kind!r}", "subscriptionType")
