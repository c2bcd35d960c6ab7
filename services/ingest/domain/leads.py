"""A lead: its normalised fields (the catalog's `LeadFields`, one definition for every service),
and what a lead arriving again changes; never a second lead."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.ingest.domain import normalise
from services.ingest.domain.companies import clean_company
from services.ingest.domain.inputs import LeadIn
from services.ingest.domain.people import department, seniority, split_name
from shared.domains import registrable_domain
from shared.errors import Invalid
from shared.events.catalog import LeadFields

IDENTITY_FIELDS = ("email", "email_domain", "is_free_mail")
# What a later arrival of the same person may change (its identity changes only by source id).
PERSON_FIELDS = tuple(name for name in LeadFields.model_fields if name not in IDENTITY_FIELDS)


class StoredLead(LeadFields):
    """A lead as ingest keeps it."""

    lead_id: str
    source: str
    source_id: str | None = None
    status: str = "new"
    account_id: str | None = None
    contact_id: str | None = None
    version: int = 1
    created_at: datetime
    updated_at: datetime


def changed_fields(current: Mapping[str, Any], incoming: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `incoming` that carry a new value; an absent (None) value erases nothing."""
    return {
        name: value for name, value in incoming.items() if value is not None and current.get(name) != value
    }


def consented(current: Mapping[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """An unsubscribe is never undone by a replay or an older copy of the person: only a change
    that carries fresh marketing consent re-subscribes them."""
    if (
        current.get("unsubscribed")
        and changes.get("unsubscribed") is False
        and not changes.get("marketing_consent")
    ):
        return {name: value for name, value in changes.items() if name != "unsubscribed"}
    return changes


def normalised_lead(lead: LeadIn) -> dict[str, Any]:
    """The lead's fields as every service sees them (`LeadFields`), with its source."""
    try:
        email = normalise.normalise_email(lead.email)
    except normalise.InvalidEmail as exc:
        raise Invalid(f"email: {exc}", errors=[{"field": "email", "reason": str(exc)}]) from exc
    domain = normalise.email_domain(email)
    company, legal_suffix = clean_company(lead.company)
    country = normalise.country_code(lead.country)
    first_name, last_name = normalise.clean_text(lead.first_name), normalise.clean_text(lead.last_name)
    if first_name and not last_name and " " in first_name:
        first_name, last_name = split_name(first_name)
    title = normalise.clean_text(lead.title)
    return {
        "email": email,
        "email_domain": domain,
        "is_free_mail": normalise.is_free_mail(domain),
        "first_name": first_name,
        "last_name": last_name,
        "title": title,
        "seniority": seniority(title),
        "department": department(title),
        "phone": normalise.phone_e164(lead.phone, country),
        "company": company,
        "company_legal_suffix": legal_suffix,
        "website": normalise.clean_text(lead.website),
        "website_domain": registrable_domain(lead.website),
        "country": country,
        "industry": normalise.clean_text(lead.industry),
        "employees": lead.employees,
        "source": lead.source,
        "source_id": lead.source_id,
        "campaign": normalise.clean_text(lead.campaign),
        "unsubscribed": lead.unsubscribed,
        "marketing_consent": lead.marketing_consent,
    }
