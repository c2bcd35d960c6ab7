"""Salesforce Outbound Messages: SOAP notifications (up to 100) of Lead or Contact records.

Salesforce retries for 24 hours until the reply is an `Ack` of true, so every notification is
acknowledged once stored, rejected ones included (they wait in quarantine: a retry would not
fix them). Parsed with defusedxml: no entities, no external references.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from services.ingest.domain.webhooks.items import (
    EngagementItem,
    Item,
    LeadItem,
    MalformedBody,
    RawItem,
    Rejected,
    mapped,
)

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
FIELDS = {
    "Email": "email",
    "FirstName": "first_name",
    "LastName": "last_name",
    "Title": "title",
    "Phone": "phone",
    "MobilePhone": "phone",
    "Company": "company",
    "Website": "website",
    "Country": "country",
    "MailingCountry": "country",
    "Industry": "industry",
    "NumberOfEmployees": "employees",
    "HasOptedOutOfEmail": "unsubscribed",
}
ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _notifications(body: bytes) -> Element:
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise MalformedBody(f"not a SOAP message: {exc}") from exc
    found: Element | None = root.find(f".//{{{OUTBOUND_NS}}}notifications")
    if found is None:
        raise MalformedBody("no <notifications> element of the Outbound Messaging namespace")
    return found


def organization_id(body: bytes) -> str | None:
    element = _notifications(body).find(f"{{{OUTBOUND_NS}}}OrganizationId")
    return element.text.strip() if element is not None and element.text else None


def split(body: bytes) -> list[RawItem]:
    notifications = _notifications(body).findall(f"{{{OUTBOUND_NS}}}Notification")
    if not notifications:
        raise MalformedBody("no <Notification> in the message")
    if len(notifications) > 100:
        raise MalformedBody("Salesforce sends at most 100 notifications per message")
    items = []
    for notification in notifications:
        notification_id = notification.findtext(f"{{{OUTBOUND_NS}}}Id")
        sobject = notification.find(f"{{{OUTBOUND_NS}}}sObject")
        record: dict[str, Any] = {}
        if sobject is not None:
            record["sObjectType"] = _local(sobject.get(XSI_TYPE, "")).rsplit(":", 1)[-1]
            for child in sobject:
                nil = child.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
                record[_local(child.tag)] = None if nil else (child.text or "")
        items.append(RawItem(key=notification_id.strip() if notification_id else None, payload=record))
    return items


# A campaign member's status, as Salesforce's defaults name them, as an engagement.
MEMBER_STATUSES = {"attended": "webinar_attended", "registered": "webinar_registered", "opened": "email_open"}


def campaign_member(record: dict[str, Any]) -> Item:
    """A CampaignMember notification (a flow sends one when a member's status changes): the lead
    or contact responded to the campaign, whose Id is kept as the platform's."""
    campaign_id = record.get("CampaignId")
    if not campaign_id:
        return Rejected("a CampaignMember without CampaignId", "CampaignId")
    status = str(record.get("Status") or "").strip().lower()
    return EngagementItem(
        kind=MEMBER_STATUSES.get(status, "form_submit"),
        email=record.get("Email") or None,
        source_id=record.get("LeadId") or record.get("ContactId"),
        occurred_at=record.get("LastModifiedDate") or record.get("CreatedDate"),
        campaign=campaign_id,
        campaign_external_id=campaign_id,
        properties={"status": record.get("Status")},
    )


def convert(record: dict[str, Any]) -> Item:
    kind = record.get("sObjectType")
    if kind == "CampaignMember":
        return campaign_member(record)
    if kind not in ("Lead", "Contact"):
        return Rejected(f"sObject type {kind!r} is not a Lead, Contact or CampaignMember", "sObject")
    fields = mapped(record, FIELDS)
    if "unsubscribed" in fields:
        fields["unsubscribed"] = str(fields["unsubscribed"]).lower() == "true"
    return LeadItem(fields=fields, source_id=record.get("Id"))
