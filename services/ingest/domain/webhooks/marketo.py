"""Marketo: a webhook body the admin writes from lead tokens; Marketo signs nothing.

DEFAULT_TEMPLATE is the body docs/webhooks.md tells admins to paste; a different template works
with a field map in settings (`{"their key": "cascade field"}`). The trigger name, when the
template sends it, turns the call into an engagement as well.
"""

from __future__ import annotations

from typing import Any

from services.ingest.domain.webhooks.items import (
    EngagementItem,
    Item,
    LeadItem,
    MalformedBody,
    RawItem,
    Rejected,
    load_json,
    mapped,
)

DEFAULT_TEMPLATE = {
    "id": "{{lead.Id}}",
    "email": "{{lead.Email Address}}",
    "firstName": "{{lead.First Name}}",
    "lastName": "{{lead.Last Name}}",
    "title": "{{lead.Job Title}}",
    "phone": "{{lead.Phone Number}}",
    "company": "{{company.Company Name}}",
    "website": "{{company.Website}}",
    "country": "{{lead.Country}}",
    "industry": "{{company.Industry}}",
    "employees": "{{company.Num Employees}}",
    "unsubscribed": "{{lead.Unsubscribed}}",
    "campaign": "{{program.Name}}",
    "campaignId": "{{program.Id}}",
    "activity": "{{trigger.Trigger Name}}",
    "asset": "{{trigger.Name}}",
    "sentAt": "{{system.dateTime}}",
}
DEFAULT_FIELD_MAP = {
    "id": "source_id",
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
    "title": "title",
    "phone": "phone",
    "company": "company",
    "website": "website",
    "country": "country",
    "industry": "industry",
    "employees": "employees",
    "unsubscribed": "unsubscribed",
    "campaign": "campaign",
    "campaignId": "campaign_external_id",
    "activity": "activity",
    "asset": "asset",
}
# Smart-campaign trigger names (as {{trigger.Trigger Name}} renders them) that are engagements.
TRIGGERS = {
    "fills out form": "form_submit",
    "clicks link in email": "email_click",
    "opens email": "email_open",
    "visits web page": "page_view",
    "clicks link on web page": "page_view",
    "unsubscribes from email": "unsubscribe",
    "registers for webinar": "webinar_registered",
    "attends webinar": "webinar_attended",
}


def split(body: bytes) -> list[RawItem]:
    document = load_json(body)
    if not isinstance(document, dict):
        raise MalformedBody("expected one JSON object (the webhook template)")
    return [RawItem(key=None, payload=document)]


def convert(payload: dict[str, Any], field_map: dict[str, str] | None = None) -> list[Item]:
    """The lead, and an engagement when the trigger is one; a Marketo call carries one person."""
    fields = mapped(payload, field_map or DEFAULT_FIELD_MAP)
    source_id = fields.pop("source_id", None)
    activity = fields.pop("activity", None)
    asset = fields.pop("asset", None)
    program_id = fields.pop("campaign_external_id", None)
    if unknown := {key for key in payload if _unrendered(payload[key])}:
        return [Rejected(f"tokens were not rendered: {', '.join(sorted(unknown))}", sorted(unknown)[0])]
    lead = LeadItem(fields=fields, source_id=str(source_id) if source_id is not None else None)
    kind = TRIGGERS.get(str(activity).strip().lower()) if activity else None
    if kind is None:
        return [lead]
    engagement = EngagementItem(
        kind=kind,
        email=fields.get("email"),
        source_id=lead.source_id,
        campaign=fields.get("campaign"),
        campaign_external_id=str(program_id) if program_id is not None else None,
        url=str(asset) if kind == "page_view" and asset else None,
        properties={"trigger": str(activity), **({"asset": str(asset)} if asset else {})},
    )
    return [lead, engagement]


def _unrendered(value: Any) -> bool:
    """A token Marketo left as typed means the template names a field that does not exist."""
    return isinstance(value, str) and value.startswith("{{") and value.endswith("}}")
