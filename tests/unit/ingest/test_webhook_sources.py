"""Each source's signature rule and payload parser, on fixtures built from the platforms' docs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.ingest.domain.webhooks import generic, hubspot, marketo, mautic, salesforce, signatures
from services.ingest.domain.webhooks.items import (
    ContactFetch,
    EngagementItem,
    LeadItem,
    MalformedBody,
    PropertyChange,
    Rejected,
)
from tests.support import signing

FIXTURES = Path(__file__).parents[2] / "fixtures" / "webhooks"
URI = "https://cascade.example.com/v1/webhooks/hubspot"


def now() -> datetime:
    return datetime.now(UTC)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


class TestHubSpotSignature:
    body = fixture("hubspot_events.json")

    def check(
        self, headers: dict[str, str], body: bytes | None = None, secrets: tuple[str, ...] = ("s3cret",)
    ) -> str | None:
        return signatures.hubspot_v3(
            lower(headers), "POST", URI, self.body if body is None else body, list(secrets), now()
        )

    def test_a_valid_signature_passes(self) -> None:
        assert self.check(signing.hubspot("s3cret", URI, self.body)) is None

    def test_any_secret_of_a_rotation_passes(self) -> None:
        assert self.check(signing.hubspot("new-one", URI, self.body), secrets=("old", "new-one")) is None

    def test_a_tampered_body_fails(self) -> None:
        headers = signing.hubspot("s3cret", URI, self.body)
        assert self.check(headers, body=self.body.replace(b"7001", b"7009")) == "signature does not match"

    def test_a_re_serialised_body_fails(self) -> None:
        headers = signing.hubspot("s3cret", URI, self.body)
        reserialised = json.dumps(json.loads(self.body)).encode()
        assert self.check(headers, body=reserialised) == "signature does not match"

    def test_another_uri_fails(self) -> None:
        headers = signing.hubspot("s3cret", URI.replace("cascade", "evil"), self.body)
        assert self.check(headers) == "signature does not match"

    def test_a_stale_timestamp_fails_even_when_signed(self) -> None:
        headers = signing.hubspot("s3cret", URI, self.body, at=(now() - timedelta(minutes=6)).timestamp())
        assert "5-minute window" in (self.check(headers) or "")

    def test_missing_headers_fail(self) -> None:
        assert "missing" in (self.check({}) or "")

    @pytest.mark.parametrize("timestamp", ["²", "9" * 400, "-1", "1e3", " 1"])
    def test_absurd_timestamps_are_refused_not_raised(self, timestamp: str) -> None:
        headers = {**signing.hubspot("s3cret", URI, self.body), "X-HubSpot-Request-Timestamp": timestamp}
        assert "not a number" in (self.check(headers) or "")
        standard = lower(signing.standard("k", "m", b"{}"))
        standard["webhook-timestamp"] = timestamp
        assert "not a number" in (signatures.standard_webhooks(standard, b"{}", ["k"], now()) or "")


class TestOtherSignatures:
    def test_mautic_signs_the_body_alone(self) -> None:
        body = fixture("mautic_batch.json")
        headers = lower(signing.mautic("m-secret", body))
        assert signatures.mautic(headers, body, ["m-secret"]) is None
        assert signatures.mautic(headers, body + b" ", ["m-secret"]) == "signature does not match"
        assert signatures.mautic({}, body, ["m-secret"]) == "missing Webhook-Signature"

    def test_standard_webhooks_with_a_whsec_key(self) -> None:
        secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        body = fixture("generic.json")
        headers = lower(signing.standard(secret, "msg_1", body))
        assert signatures.standard_webhooks(headers, body, [secret], now()) is None
        forged = {**headers, "webhook-id": "msg_2"}
        assert signatures.standard_webhooks(forged, body, [secret], now()) == "signature does not match"
        stale = lower(signing.standard(secret, "msg_1", body, at=now().timestamp() - 301))
        assert "5-minute window" in (signatures.standard_webhooks(stale, body, [secret], now()) or "")

    def test_standard_webhooks_accepts_any_listed_signature(self) -> None:
        body = b"{}"
        headers = lower(signing.standard("k2-secret", "m", body))
        headers["webhook-signature"] = "v1,bm9wZQ== " + headers["webhook-signature"]
        assert signatures.standard_webhooks(headers, body, ["k2-secret"], now()) is None

    def test_marketo_shared_secret(self) -> None:
        assert signatures.shared_secret({"x-cascade-secret": "abc"}, "X-Cascade-Secret", ["abc"]) is None
        assert (
            signatures.shared_secret({"x-cascade-secret": "abd"}, "X-Cascade-Secret", ["abc"])
            == "wrong secret"
        )

    def test_salesforce_organization_15_or_18_characters(self) -> None:
        org = salesforce.organization_id(fixture("salesforce_outbound.xml"))
        assert org == "00D5g000004Ab1cEAC"
        assert signatures.salesforce_org(org, ["00D5g000004Ab1c"]) is None
        assert signatures.salesforce_org(org, ["00D5g000004Zz9z"]) == "organization not accepted"
        assert signatures.salesforce_org(org, ["00D5g000004Ab1cEAC"]) is None

    def test_salesforce_compares_whole_ids_and_refuses_placeholders(self) -> None:
        placeholder = "set-your-15-character-organization-id"
        assert (
            signatures.salesforce_org("set-your-15-cha", [placeholder])
            == "OrganizationId is not a Salesforce id"
        )
        assert (
            signatures.salesforce_org("00D5g000004Ab1c", [placeholder])
            == "no valid organization id is configured"
        )
        assert signatures.salesforce_org("00D5g000004Ab1cXXX", ["00D5g000004Ab1c"]) == (
            "OrganizationId is not a Salesforce id"  # a wrong case checksum
        )
        assert signatures.unusable("salesforce", placeholder) and signatures.unusable("mautic", "changeme")
        assert signatures.unusable("mautic", "s" * 24) is None


class TestParsers:
    def test_hubspot_workflow_contact_in_the_legacy_shape(self) -> None:
        [raw] = hubspot.split(fixture("hubspot_workflow.json"))
        item = hubspot.convert(raw.payload)
        assert isinstance(item, LeadItem) and item.source_id == "5101"
        assert item.fields["email"] == "Grace.Hopper@Navy-Labs.com"
        assert item.fields["title"] == "VP Engineering" and item.fields["employees"] == "500-1000"

    def test_hubspot_flat_workflow_properties(self) -> None:
        item = hubspot.convert({"email": "a@b.com", "firstname": "A", "hs_object_id": "9"})
        assert isinstance(item, LeadItem) and item.source_id == "9" and item.fields["first_name"] == "A"

    def test_hubspot_subscription_events(self) -> None:
        raws = hubspot.split(fixture("hubspot_events.json"))
        # eventId alone is not unique (HubSpot says so): portal, subscription, object and time with it.
        assert [raw.key for raw in raws] == [
            "62515:4200:1001:7001:1763900000000",
            "62515:4201:1002:7001:1763900001000",
            "62515:4201:1003:7002:1763900002000",
        ]
        items = [hubspot.convert(raw.payload) for raw in raws]
        assert items[0] == ContactFetch("7001")
        assert items[1] == PropertyChange("7001", "title", "Chief Technology Officer")
        assert items[2] == PropertyChange("7002", "email", "not-an-email")

    def test_hubspot_retries_keep_their_key(self) -> None:
        events = json.loads(fixture("hubspot_events.json"))
        retried = json.dumps([{**event, "attemptNumber": 3} for event in events]).encode()
        assert [r.key for r in hubspot.split(retried)] == [
            r.key for r in hubspot.split(fixture("hubspot_events.json"))
        ]

    @pytest.mark.parametrize(
        ("basis", "consent"),
        [
            ("Freely given consent from contact", True),
            ("Legitimate interest \u2013 prospect/lead;Freely given consent from contact", True),
            ("Legitimate interest \u2013 prospect/lead", False),
            ("Not applicable", False),
            ("", None),
        ],
    )
    def test_hubspot_consent_is_only_freely_given_consent(self, basis: str, consent: bool | None) -> None:
        item = hubspot.convert({"email": "a@b.com", "hs_legal_basis": basis})
        assert isinstance(item, LeadItem) and item.fields.get("marketing_consent") is consent
        change = hubspot.convert({"eventId": 1, "subscriptionType": "contact.propertyChange", "objectId": 1,
                                  "propertyName": "hs_legal_basis", "propertyValue": basis})  # fmt: skip
        assert isinstance(change, PropertyChange) and change.value is consent

    def test_the_main_phone_wins_over_the_mobile(self) -> None:
        item = hubspot.convert(
            {"email": "a@b.com", "phone": "+1 415 555 2671", "mobilephone": "+1 415 555 0000"}
        )
        assert isinstance(item, LeadItem) and item.fields["phone"] == "+1 415 555 2671"

    def test_hubspot_refuses_more_than_100_events(self) -> None:
        events = [{"eventId": n, "subscriptionType": "contact.creation", "objectId": n} for n in range(101)]
        with pytest.raises(MalformedBody, match="at most 100"):
            hubspot.split(json.dumps(events).encode())

    def test_hubspot_untracked_property_is_rejected_with_its_reason(self) -> None:
        item = hubspot.convert(
            {
                "eventId": 1,
                "subscriptionType": "contact.propertyChange",
                "objectId": 1,
                "propertyName": "favourite_colour",
                "propertyValue": "blue",
            }
        )
        assert isinstance(item, Rejected) and "favourite_colour" in item.reason

    def test_marketo_default_template_gives_a_lead_and_its_form_fill(self) -> None:
        [raw] = marketo.split(fixture("marketo_default.json"))
        lead, engagement = marketo.convert(raw.payload)
        assert isinstance(lead, LeadItem) and lead.source_id == "318592"
        assert lead.fields["company"] == "Analytical Engines Ltd" and "activity" not in lead.fields
        assert isinstance(engagement, EngagementItem) and engagement.kind == "form_submit"
        assert engagement.properties["asset"] == "Webinar Registration Form"

    def test_marketo_custom_field_map(self) -> None:
        [item] = marketo.convert({"Email": "x@y.com", "Co": "Y"}, {"Email": "email", "Co": "company"})
        assert isinstance(item, LeadItem) and item.fields == {"email": "x@y.com", "company": "Y"}

    def test_marketo_unrendered_tokens_are_rejected(self) -> None:
        [item] = marketo.convert({"email": "x@y.com", "title": "{{lead.Jobb Title}}"})
        assert isinstance(item, Rejected) and item.field == "title"

    def test_mautic_several_event_types_in_one_body(self) -> None:
        raws = mautic.split(fixture("mautic_batch.json"))
        assert [raw.payload["type"] for raw in raws] == [
            "mautic.lead_post_save_new",
            "mautic.form_on_submit",
            "mautic.page_on_hit",
            "mautic.page_on_hit",
        ]
        assert raws[0].key.startswith("mautic.lead_post_save_new:38186:2026-11-23T09:00:05+00:00:")
        assert raws[1].key == "mautic.form_on_submit:914" and raws[2].key == "mautic.page_on_hit:55120"
        lead, form, page, unknown = (mautic.convert(raw.payload) for raw in raws)
        assert isinstance(lead, LeadItem) and lead.fields["title"] == "Lead Architect"
        assert isinstance(form, EngagementItem) and form.kind == "form_submit"
        assert form.properties["results"]["budget"] == "yes"
        assert isinstance(page, EngagementItem) and page.kind == "page_view" and page.url.endswith("/pricing")
        assert isinstance(unknown, EngagementItem) and unknown.email is None and unknown.source_id == "999"

    def test_salesforce_notifications(self) -> None:
        raws = salesforce.split(fixture("salesforce_outbound.xml"))
        assert [raw.key for raw in raws] == ["04l5g00000AbCdEAAV", "04l5g00000AbCdFAAV"]
        first = salesforce.convert(raws[0].payload)
        assert isinstance(first, LeadItem) and first.source_id == "00Q5g00000XyZ12EAB"
        assert first.fields["unsubscribed"] is False and "website" not in first.fields

    def test_salesforce_refuses_xml_entities(self) -> None:
        bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
        with pytest.raises(MalformedBody):
            salesforce.split(bomb)

    def test_generic_envelope_with_a_lead_an_engagement_and_junk(self) -> None:
        raws = generic.split(fixture("generic.json"), "msg_7")
        assert [raw.key for raw in raws] == ["msg_7:0", "msg_7:1", "msg_7:2"]
        lead, download, junk = (generic.convert(raw.payload) for raw in raws)
        assert isinstance(lead, LeadItem) and lead.source_id == "c-1"
        assert isinstance(download, EngagementItem) and download.kind == "download"
        assert isinstance(junk, LeadItem) and "email" not in junk.fields

    def test_mautic_saves_of_one_contact_in_the_same_second_are_told_apart(self) -> None:
        def save(title: str) -> bytes:
            core = {"email": {"value": "a@b.io"}, "position": {"value": title}}
            contact = {"id": 5, "dateModified": "2026-11-23T09:00:05+00:00", "fields": {"core": core}}
            return json.dumps({"mautic.lead_post_save_update": [{"contact": contact}]}).encode()

        assert mautic.split(save("CTO"))[0].key != mautic.split(save("CEO"))[0].key

    def test_generic_engagement_keeps_the_senders_id(self) -> None:
        item = generic.convert({"email": "a@b.io", "kind": "meeting", "engagement_id": "mtg-9"})
        assert isinstance(item, EngagementItem) and item.engagement_id == "mtg-9"

    def test_generic_field_map_with_dotted_paths(self) -> None:
        item = generic.convert({"person": {"mail": "z@q.io"}}, {"person.mail": "email"})
        assert isinstance(item, LeadItem) and item.fields == {"email": "z@q.io"}

    @pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2", b"42"])
    def test_unreadable_bodies(self, body: bytes) -> None:
        for split in (hubspot.split, marketo.split, mautic.split, lambda b: generic.split(b, "m")):
            with pytest.raises(MalformedBody):
                split(body)
