"""Input built to hurt, for the tests that must answer it and the bench that times the answer:
very long, deeply nested, mixed scripts, NUL, lone surrogates, huge numbers; each webhook
source's shape carrying them, signed; and ingest running in this process to deliver them to."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from xml.sax.saxutils import escape

import httpx

from services.ingest.bootstrap import DEFINITION
from services.ingest.domain import normalise
from services.ingest.domain.companies import clean_company
from services.ingest.domain.people import department, seniority, split_name
from services.ingest.domain.webhooks.hubspot import PROPERTIES
from services.ingest.domain.webhooks.marketo import DEFAULT_FIELD_MAP
from services.ingest.domain.webhooks.mautic import CORE_FIELDS
from services.ingest.domain.webhooks.salesforce import FIELDS
from services.matcher.domain.names import company_name, domain_label
from services.opportunity.domain.personas import DEFAULT_PERSONAS, suggest
from shared.app import create_app
from shared.domains import registrable_domain
from tests.conftest import API_KEY, make_settings
from tests.support import signing
from tests.support.hubspot_api import HUBSPOT_TOKEN, serve_hubspot

LONG = "a" * 100_000
SPACES = "1" + " " * 5_000 + "x"
MIXED = "Ωmega Gmbh Москва 東京 株式会社 " * 2_000
NUL = "ad\x00a@exa\x00mple.com"
SURROGATE = "lone \ud800 surrogate"
DIGITS = "9" * 5_000
PUNCTUATION = "-" * 10_000 + "@" + "." * 10_000
NASTY: list[Any] = [LONG, SPACES, MIXED, NUL, SURROGATE, DIGITS, PUNCTUATION, "", " \t\n", "@", "a@b"]

NORMALISERS: list[Callable[[Any], Any]] = [
    normalise.normalise_email,
    normalise.clean_text,
    normalise.country_code,
    normalise.phone_e164,
    normalise.flag,
    normalise.employee_count,
    normalise.storable,
    lambda v: normalise.is_free_mail(str(v)),
    lambda v: normalise.email_domain(str(v)),
    clean_company,
    split_name,
    seniority,
    department,
    registrable_domain,
    company_name,
    domain_label,
    lambda v: suggest(DEFAULT_PERSONAS, title=v, seniority=None, department=None),
]

SECRETS = {
    "generic": "fuzz-generic-secret-0123",
    "mautic": "fuzz-mautic-secret-0123",
    "hubspot": "fuzz-hubspot-secret-0123",
    "marketo": "fuzz-marketo-secret-0123",
    "salesforce": "00D5g000004Ab1c",
}
TYPICAL = {
    "email": "grace.hopper@cobol-systems.com",
    "first_name": "Grace",
    "last_name": "Hopper",
    "title": "VP Engineering",
    "company": "COBOL Systems Inc.",
    "country": "US",
    "phone": "+1 415 555 0100",
}


def deep(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": [value]}
    return value


def deep_json(depth: int) -> bytes:
    """Nesting no encoder would write (json.dumps stops at its recursion limit)."""
    return b'{"k":[' * depth + b'"leaf"' + b"]}" * depth


def signed(source: str, body: bytes) -> dict[str, str]:
    if source == "generic":
        return signing.standard(SECRETS["generic"], f"msg_{uuid.uuid4().hex}", body)
    if source == "mautic":
        return signing.mautic(SECRETS["mautic"], body)
    if source == "hubspot":
        return signing.hubspot(SECRETS["hubspot"], "http://ingest/v1/webhooks/hubspot", body)
    if source == "marketo":
        return {"Content-Type": "application/json", "X-Cascade-Secret": SECRETS["marketo"]}
    return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}


def salesforce_xml(leads: list[dict[str, str]]) -> bytes:
    notifications = "".join(
        f'<Notification><Id>04l{n:015d}</Id><sObject xsi:type="sf:Lead">'
        + "".join(f"<sf:{name}>{escape(value)}</sf:{name}>" for name, value in lead.items())
        + "</sObject></Notification>"
        for n, lead in enumerate(leads)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope'
        ' xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound"'
        ' xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        f"<OrganizationId>00D5g000004Ab1cEAC</OrganizationId>{notifications}"
        "</notifications></soapenv:Body></soapenv:Envelope>"
    ).encode("utf-8", "surrogatepass")


def _lead_body(source: str, fields: dict[str, str]) -> bytes:
    """One lead with Cascade's `fields` (by Cascade name) in `source`'s own shape and names."""

    def named(names: dict[str, str]) -> dict[str, str]:
        return {theirs: fields[ours] for theirs, ours in names.items() if ours in fields}

    if source == "generic":
        return json.dumps({"data": [fields]}).encode()
    if source == "mautic":
        core = {name: {"value": value} for name, value in named(CORE_FIELDS).items()}
        contact = {"id": 41, "dateModified": "2026-11-30T10:00:00+00:00", "fields": {"core": core}}
        return json.dumps({"mautic.lead_post_save_new": [{"contact": contact}]}).encode()
    if source == "hubspot":
        properties = {name: {"value": value} for name, value in named(PROPERTIES).items()}
        return json.dumps({"objectId": 5101, "properties": properties}).encode()
    if source == "marketo":
        return json.dumps(named(DEFAULT_FIELD_MAP)).encode()
    return salesforce_xml([{"Id": "00Q5g00000AbCdE", **named(FIELDS)}])


def typical_bodies(source: str, count: int) -> list[bytes]:
    return [
        _lead_body(source, TYPICAL | {"email": f"grace.hopper+{uuid.uuid4().hex[:8]}@cobol-systems.com"})
        for _ in range(count)
    ]


def hostile_bodies(source: str) -> list[bytes]:
    """Each nasty value in every field of the source's shape, then nesting and huge numbers."""
    bodies = [_lead_body(source, dict.fromkeys(TYPICAL, value)) for value in NASTY]
    bodies += [_lead_body(source, TYPICAL | {field: value}) for field in TYPICAL for value in NASTY[:3]]
    if source != "salesforce":
        bodies += [deep_json(50), deep_json(100_000)]
    if source == "generic":
        bodies += [json.dumps({"data": [TYPICAL | {"properties": deep(200)}]}).encode()]
        bodies += [f'{{"data": [{{"email": "a@b.co", "employees": {"9" * 4000}}}]}}'.encode()]
    return bodies


@asynccontextmanager
async def ingest_in_process(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Ingest on a migrated database, no broker, the five sources' secrets set, HubSpot's API
    served locally: a client that posts to it through ASGI."""
    with serve_hubspot() as hubspot_api:
        settings = DEFINITION.settings(
            **make_settings(database_url, "127.0.0.1:1"),
            webhook_secrets=SECRETS,
            hubspot_access_token=HUBSPOT_TOKEN,
            hubspot_api_base=hubspot_api,
        )
        app = create_app(DEFINITION, settings, with_kafka=False)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://ingest",
                headers={"Authorization": f"Bearer {API_KEY}"},
            ) as client,
        ):
            client.app = app  # type: ignore[attr-defined]
            yield client
