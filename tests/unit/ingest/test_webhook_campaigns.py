"""Every source keeps the campaign it names: Marketo's program id and name, Mautic's email or
form, a Salesforce CampaignMember's CampaignId, HubSpot's first converting campaign."""

from __future__ import annotations

from pathlib import Path

from services.ingest.domain.webhooks import hubspot, marketo, mautic, salesforce
from services.ingest.domain.webhooks.items import EngagementItem, LeadItem, Rejected

FIXTURES = Path(__file__).parents[2] / "fixtures" / "webhooks"
SOAP = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>
 <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
  <OrganizationId>00D5g000004Ab1cEAC</OrganizationId>
  <Notification><Id>04l5g00000AbCdGAAV</Id>
   <sObject xsi:type="sf:CampaignMember" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
    <sf:Id>00v5g00000Qw1AAA</sf:Id>{fields}
   </sObject></Notification>
 </notifications></soapenv:Body></soapenv:Envelope>"""


def campaign_member(**fields: str) -> bytes:
    xml = "".join(f"<sf:{name}>{value}</sf:{name}>" for name, value in fields.items())
    return SOAP.format(fields=xml).encode()


def test_marketo_keeps_the_programs_id_beside_its_name() -> None:
    payload = {
        **marketo.split((FIXTURES / "marketo_default.json").read_bytes())[0].payload,
        "campaignId": "1042",
    }
    lead, engagement = marketo.convert(payload)
    assert isinstance(engagement, EngagementItem)
    assert (engagement.campaign, engagement.campaign_external_id) == ("2026 Q4 Webinar Series", "1042")
    assert isinstance(lead, LeadItem) and "campaign_external_id" not in lead.fields
    assert '"campaignId": "{{program.Id}}"' in str(marketo.DEFAULT_TEMPLATE).replace("'", '"')


def test_mautic_names_the_form_or_email_as_the_campaign() -> None:
    raws = mautic.split((FIXTURES / "mautic_batch.json").read_bytes())
    form = mautic.convert(raws[1].payload)
    assert isinstance(form, EngagementItem)
    assert (form.campaign, form.campaign_external_id) == ("Request a demo", "form:3")
    opened = mautic.convert(
        {
            "type": "mautic.email_on_open",
            "email": {"id": 12, "name": "November newsletter"},
            "contact": {"id": 1},
        }
    )
    assert isinstance(opened, EngagementItem) and opened.campaign_external_id == "email:12"
    clicked = mautic.convert(
        {
            "type": "mautic.page_on_hit",
            "hit": {"id": 9, "source": "email", "sourceId": 12},
            "contact": {"id": 1},
        }
    )
    assert isinstance(clicked, EngagementItem) and clicked.kind == "email_click"
    assert (clicked.campaign, clicked.campaign_external_id) == (None, "email:12")


def test_a_salesforce_campaign_member_is_an_engagement_in_its_campaign() -> None:
    body = campaign_member(
        CampaignId="7015g000000AbCdAAK", LeadId="00Q5g00000XyZ12EAB", Status="Attended",
        Email="peter.gibbons@initech.de", LastModifiedDate="2026-11-20T10:00:00.000Z",
    )  # fmt: skip
    [raw] = salesforce.split(body)
    item = salesforce.convert(raw.payload)
    assert isinstance(item, EngagementItem) and item.kind == "webinar_attended"
    assert item.campaign_external_id == "7015g000000AbCdAAK" and item.source_id == "00Q5g00000XyZ12EAB"
    [raw] = salesforce.split(campaign_member(LeadId="00Q5g00000XyZ12EAB"))
    refused = salesforce.convert(raw.payload)
    assert isinstance(refused, Rejected) and refused.field == "CampaignId"


def test_hubspot_keeps_the_contacts_first_converting_campaign() -> None:
    item = hubspot.contact(
        {"email": "a@b.co", "hs_analytics_first_touch_converting_campaign": "2f1c6f4e-5d1a-4b8e-9c1a-7d2f"}
    )
    assert isinstance(item, LeadItem) and item.fields["campaign"] == "2f1c6f4e-5d1a-4b8e-9c1a-7d2f"
