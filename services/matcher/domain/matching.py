"""Lead-to-account matching, first version: exact email domain, then website domain.

Pure: the caller looks the candidates up and passes them in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LeadFacts:
    email: str
    email_domain: str
    is_free_mail: bool
    company: str | None
    website_domain: str | None
    first_name: str | None = None
    last_name: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None


@dataclass(frozen=True)
class AccountRef:
    account_id: str
    name: str
    owner: str | None = None


@dataclass(frozen=True)
class Decision:
    account: AccountRef | None
    method: str
    confidence: float
    explanation: str


@dataclass(frozen=True)
class NewAccount:
    name: str
    domains: tuple[str, ...]
    country: str | None
    industry: str | None
    employees: int | None


def decide(
    lead: LeadFacts, *, by_email_domain: AccountRef | None, by_website_domain: AccountRef | None
) -> Decision:
    if lead.is_free_mail:
        note = f"{lead.email_domain} is a free-mail domain, so the email says nothing of the company"
    else:
        note = f"no account has the email domain {lead.email_domain}"
    if by_email_domain is not None and not lead.is_free_mail:
        return Decision(
            by_email_domain,
            "email_domain",
            1.0,
            f"the email domain {lead.email_domain} belongs to {by_email_domain.name}",
        )
    if by_website_domain is not None:
        return Decision(
            by_website_domain,
            "website_domain",
            0.95,
            f"{note}; the website domain {lead.website_domain} belongs to {by_website_domain.name}",
        )
    return Decision(None, "no_match", 0.0, f"{note}; no account has the lead's website domain")


def account_from_lead(lead: LeadFacts) -> NewAccount:
    """The account a no-match lead founds: named after its company, owning its domains."""
    domains = [] if lead.is_free_mail else [lead.email_domain]
    if lead.website_domain and lead.website_domain not in domains:
        domains.append(lead.website_domain)
    person = " ".join(p for p in (lead.first_name, lead.last_name) if p)
    name = lead.company or (domains[0] if domains else None) or person or lead.email
    return NewAccount(name, tuple(domains), lead.country, lead.industry, lead.employees)
