"""Ingest's use cases: record a lead or an engagement, follow conversions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.ingest.domain import normalise
from services.ingest.domain.companies import clean_company
from services.ingest.domain.leads import changed_fields
from services.ingest.domain.people import department, seniority, split_name
from services.ingest.models import EngagementIn, LeadIn
from services.ingest.tables import Engagement, Lead
from shared.db import insert_or_skip
from shared.domains import registrable_domain
from shared.events import (
    EngagementRecorded,
    Envelope,
    LeadConverted,
    LeadCreated,
    LeadRejected,
    LeadUpdated,
)
from shared.problems import Problem
from shared.telemetry import instruments
from shared.uow import UnitOfWork

LEADS = Lead.__table__  # type: ignore[attr-defined]  # SQLModel tables are Table-backed
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "phone",
    "company",
    "website",
    "website_domain",
    "country",
    "industry",
    "employees",
    "campaign",
    "seniority",
    "department",
    "company_legal_suffix",
    "unsubscribed",
    "marketing_consent",
)


def normalised_lead(lead: LeadIn) -> dict[str, Any]:
    try:
        email = normalise.normalise_email(lead.email)
    except normalise.InvalidEmail as exc:
        raise Problem(
            422, "Invalid request", f"email: {exc}", errors=[{"field": "email", "reason": str(exc)}]
        ) from exc
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


async def record_lead(
    uow: UnitOfWork, fields: dict[str, Any], known_lead_id: str | None = None
) -> tuple[str, str]:
    """Insert the lead, or apply what changed to the lead with the same email.

    `known_lead_id` is the lead a source's own id points at: its email follows the source's
    (a person who changed address stays one person) unless another lead already has it.
    """
    if known_lead_id is not None:
        current = await uow.session.get(Lead, known_lead_id, with_for_update=True)
        if current is not None and (
            current.email == fields["email"] or not await _email_taken(uow, fields["email"])
        ):
            return _apply_changes(uow, current, fields, identity=current.email != fields["email"])
    lead_id = str(uuid.uuid4())
    row = {"lead_id": lead_id, **fields}
    statement = insert_or_skip(LEADS, tuple(row), ("email",), "lead_id")
    inserted = await uow.session.scalar(statement, row)
    if inserted:
        uow.emit(LeadCreated(lead_id=lead_id, **fields), aggregate_version=1)
        instruments.domain_counter("leads.created", "Leads created.").add(1, {"source": fields["source"]})
        return lead_id, "created"
    current = (
        await uow.session.scalars(select(Lead).where(col(Lead.email) == fields["email"]).with_for_update())
    ).one()
    return _apply_changes(uow, current, fields, identity=False)


async def _email_taken(uow: UnitOfWork, email: str) -> bool:
    return await uow.session.scalar(select(col(Lead.lead_id)).where(col(Lead.email) == email)) is not None


def _apply_changes(
    uow: UnitOfWork, current: Lead, fields: dict[str, Any], *, identity: bool
) -> tuple[str, str]:
    names = (*PERSON_FIELDS, "email", "email_domain", "is_free_mail") if identity else PERSON_FIELDS
    changes = changed_fields(current.model_dump(), {name: fields.get(name) for name in names})
    if not changes:
        return current.lead_id, "unchanged"
    for name, value in changes.items():
        setattr(current, name, value)
    current.version += 1
    current.updated_at = datetime.now(UTC)
    uow.emit(
        LeadUpdated(lead_id=current.lead_id, email=current.email, changed=changes),
        aggregate_version=current.version,
    )
    return current.lead_id, "updated"


async def record_engagement(uow: UnitOfWork, engagement: EngagementIn) -> tuple[str, str, str]:
    """Store the engagement (creating the lead for an unseen email); returns ids and status."""
    if engagement.lead_id:
        lead = await uow.session.get(Lead, engagement.lead_id)
        if lead is None:
            raise Problem(
                422,
                "Invalid request",
                "lead_id: no such lead",
                errors=[{"field": "lead_id", "reason": "no such lead"}],
            )
        lead_id, email = lead.lead_id, lead.email
    else:
        fields = normalised_lead(
            LeadIn(email=engagement.email or "", campaign=engagement.campaign, source="engagement")
        )
        lead_id, _ = await record_lead(uow, fields)
        email = fields["email"]
    if engagement.kind == "unsubscribe":
        person = await uow.session.get(Lead, lead_id, with_for_update=True)
        if person is not None:
            _apply_changes(uow, person, {"unsubscribed": True}, identity=False)
    engagement_id = engagement.engagement_id or str(uuid.uuid4())
    occurred_at = engagement.occurred_at or datetime.now(UTC)
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)
    stored = await uow.session.scalar(
        insert(Engagement)
        .values(
            engagement_id=engagement_id,
            lead_id=lead_id,
            kind=engagement.kind,
            occurred_at=occurred_at,
            campaign=engagement.campaign,
            url=engagement.url,
            properties=engagement.properties,
        )
        .on_conflict_do_nothing()
        .returning(col(Engagement.engagement_id))
    )
    if not stored:
        return engagement_id, lead_id, "duplicate"
    uow.emit(
        EngagementRecorded(
            engagement_id=engagement_id,
            lead_id=lead_id,
            email=email,
            kind=engagement.kind,
            occurred_at=occurred_at,
            campaign=engagement.campaign,
            url=engagement.url,
            properties=engagement.properties,
        )
    )
    return engagement_id, lead_id, "recorded"


async def on_lead_converted(event: LeadConverted, _: Envelope, uow: UnitOfWork) -> None:
    await uow.session.execute(
        update(Lead)
        .where(col(Lead.lead_id) == event.lead_id)
        .values(status="converted", account_id=event.account_id, contact_id=event.contact_id)
    )


async def on_lead_rejected(event: LeadRejected, _: Envelope, uow: UnitOfWork) -> None:
    await uow.session.execute(
        update(Lead).where(col(Lead.lead_id) == event.lead_id).values(status="rejected")
    )
