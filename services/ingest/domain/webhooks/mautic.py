"""Mautic: `{"<event type>": [payload, ...], ..., "timestamp": "..."}`, several types per body.

Mautic sends no timestamp header or delivery id, so each item's key is built from the ids in
its content (contact id and modification time, submission id, hit id, email send hash).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from services.ingest.domain.webhooks.items import (
    EngagementItem,
    ErasureRequest,
    Item,
    LeadItem,
    MalformedBody,
    RawItem,
    Rejected,
    load_json,
    mapped,
)

CORE_FIELDS = {
    "email": "email",
    "firstname": "first_name",
    "lastname": "last_name",
    "position": "title",
    "phone": "phone",
    "mobile": "phone",
    "company": "company",
    "website": "website",
    "country": "country",
}
CONTACT_EVENTS = {"mautic.lead_post_save_new", "mautic.lead_post_save_update"}
HANDLED = CONTACT_EVENTS | {
    "mautic.form_on_submit",
    "mautic.email_on_open",
    "mautic.page_on_hit",
    "mautic.lead_channel_subscription_changed",
    "mautic.lead_post_delete",
}


def split(body: bytes) -> list[RawItem]:
    document = load_json(body)
    if not isinstance(document, dict):
        raise MalformedBody('expected an object of event types: {"mautic.lead_post_save_new": [...]}')
    items = []
    for event_type, payloads in document.items():
        if not event_type.startswith("mautic."):
            continue  # the body's own "timestamp"
        for payload in payloads if isinstance(payloads, list) else [payloads]:
            record = {"type": event_type, **payload} if isinstance(payload, dict) else {"type": event_type}
            items.append(RawItem(key=_content_id(record), payload=record))
    if not items:
        raise MalformedBody("no mautic.* event in the body")
    return items


def _content_id(record: dict[str, Any]) -> str | None:
    event_type = record["type"]
    if event_type in CONTACT_EVENTS:
        person = _contact(record)
        if person.get("id") is None:
            return None
        # Mautic saves a contact several times a second: the fields tell those saves apart.
        state = hashlib.sha256(json.dumps(person.get("fields"), sort_keys=True, default=str).encode())
        saved_at = person.get("dateModified") or person.get("dateAdded")
        return f"{event_type}:{person['id']}:{saved_at}:{state.hexdigest()[:16]}"
    for key, id_field in (("submission", "id"), ("hit", "id")):
        if isinstance(record.get(key), dict) and record[key].get(id_field) is not None:
            return f"{event_type}:{record[key][id_field]}"
    if record.get("idHash"):
        return f"{event_type}:{record['idHash']}:{record.get('timestamp')}"
    if event_type in ("mautic.lead_channel_subscription_changed", "mautic.lead_post_delete"):
        return f"{event_type}:{_contact(record).get('id')}:{record.get('timestamp')}"
    return None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _contact(record: dict[str, Any]) -> dict[str, Any]:
    for key in ("contact", "lead"):
        if isinstance(record.get(key), dict):
            return dict(record[key])
    for key in ("submission", "hit"):
        nested = record.get(key)
        if isinstance(nested, dict) and isinstance(nested.get("lead"), dict):
            return dict(nested["lead"])
    return {}


def _person_fields(person: dict[str, Any]) -> dict[str, Any]:
    fields = person.get("fields", {})
    if not isinstance(fields, dict):
        return {}
    if isinstance(fields.get("all"), dict):
        flat = fields["all"]
    else:
        core = fields.get("core", {})
        flat = {
            name: value.get("value") if isinstance(value, dict) else value
            for name, value in (core.items() if isinstance(core, dict) else [])
        }
    return mapped(flat, CORE_FIELDS)


def _form(record: dict[str, Any], fields: dict[str, Any], source_id: str | None) -> Item:
    submission = _obj(record.get("submission"))
    form = _obj(submission.get("form"))
    results = _obj(submission.get("results"))
    return EngagementItem(
        kind="form_submit",
        email=fields.get("email") or results.get("email"),
        source_id=source_id,
        occurred_at=submission.get("dateSubmitted") or record.get("timestamp"),
        url=submission.get("referer"),
        **_asset_campaign("form", form),
        properties={"form": form.get("name"), "results": results},
        person=fields,
    )


def _asset_campaign(kind: str, asset: dict[str, Any]) -> dict[str, Any]:
    """Mautic's webhooks name no campaign: the email or form is the campaign (its id kept as the
    platform's, `email:12`; its name when the payload has it)."""
    if asset.get("id") is None:
        return {}
    name = asset.get("name")
    return {"campaign": str(name) if name else None, "campaign_external_id": f"{kind}:{asset['id']}"}


def convert(record: dict[str, Any]) -> Item:
    event_type = record.get("type")
    if event_type not in HANDLED:
        return Rejected(f"{event_type} is not an event Cascade handles", "type")
    person = _contact(record)
    fields = _person_fields(person)
    source_id = str(person["id"]) if person.get("id") is not None else None
    if event_type in CONTACT_EVENTS:
        return LeadItem(fields=fields, source_id=source_id)
    if event_type == "mautic.lead_post_delete":
        return ErasureRequest(source_id=source_id, email=fields.get("email"))
    when = record.get("timestamp")
    if event_type == "mautic.form_on_submit":
        return _form(record, fields, source_id)
    if event_type == "mautic.email_on_open":
        email = _obj(record.get("email"))
        return EngagementItem(
            kind="email_open",
            email=fields.get("email"),
            source_id=source_id,
            occurred_at=when,
            **_asset_campaign("email", email),
            properties={
                "email_name": email.get("name"),
                "subject": record.get("subject") or email.get("subject"),
            },
            person=fields,
        )
    if event_type == "mautic.page_on_hit":
        hit = _obj(record.get("hit"))
        # Mautic tracks a click in an email as a page hit whose source is that email.
        clicked = hit.get("source") == "email" or bool(hit.get("redirect"))
        return EngagementItem(
            kind="email_click" if clicked else "page_view",
            email=fields.get("email"),
            source_id=source_id,
            occurred_at=hit.get("dateHit") or when,
            url=hit.get("url"),
            **(_asset_campaign("email", {"id": hit.get("sourceId")}) if clicked else {}),
            properties={"title": hit.get("urlTitle"), "referer": hit.get("referer")},
            person=fields,
        )
    # mautic.lead_channel_subscription_changed
    if record.get("channel") == "email" and record.get("new_status") not in (None, "contactable"):
        return EngagementItem(
            kind="unsubscribe",
            email=fields.get("email"),
            source_id=source_id,
            occurred_at=when,
            properties={"status": record.get("new_status")},
            person={**fields, "unsubscribed": True},
        )
    return LeadItem(fields={**fields, "unsubscribed": False}, source_id=source_id)
