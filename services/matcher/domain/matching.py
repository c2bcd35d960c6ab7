"""Lead-to-account matching: score the candidates the indexes found, break ties, decide.

Pure: the caller looks candidates up (by domain, name key, acronym, domain label and the fuzzy
name index) and passes their profiles in; the decision explains itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from services.matcher.domain.evidence import Signal, name_signals
from services.matcher.domain.names import CompanyName, company_name
from shared.domains import registrable_domain
from shared.events.catalog import LeadFields

Outcome = Literal["matched", "review", "no_match"]
TIE_BREAKERS = ("customer", "open_opp", "recent_activity", "child_before_parent")
DOMAIN_METHODS = ("email_domain", "website_domain", "parent_domain")
LOOSE_NAME_METHODS = ("fuzzy_name", "name_variant", "acronym")
CLOSE_SECOND = 0.15


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

    @classmethod
    def of(cls, lead: LeadFields) -> LeadFacts:
        """The facts matching reads off a lead."""
        return cls(**lead.model_dump(include=set(cls.__dataclass_fields__))).registrable()

    def registrable(self) -> LeadFacts:
        """The facts with the email domain reduced to the registrable one (mail.acme.com -> acme.com)."""
        domain = registrable_domain(self.email_domain) or self.email_domain
        return self if domain == self.email_domain else replace(self, email_domain=domain)


@dataclass(frozen=True)
class AccountProfile:
    account_id: str
    name: str
    domains: tuple[str, ...] = ()
    parent_domains: tuple[str, ...] = ()
    parent_id: str | None = None
    country: str | None = None
    owner: str | None = None
    is_customer: bool = False
    open_opps: int = 0
    last_activity: datetime | None = None


@dataclass(frozen=True)
class MatchRules:
    auto: float = 0.9
    review: float = 0.7
    tie_breakers: tuple[str, ...] = TIE_BREAKERS
    tie_margin: float = 0.02


@dataclass(frozen=True)
class Scored:
    account: AccountProfile
    score: float
    method: str
    reasons: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.account.name} [{self.method} {self.score:.2f}: {'; '.join(self.reasons)}]"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    account: AccountProfile | None
    method: str
    confidence: float
    explanation: str
    candidates: tuple[Scored, ...] = field(default=())


def _domain_signals(lead: LeadFacts, account: AccountProfile) -> list[Signal]:
    signals = []
    email_domain = None if lead.is_free_mail else lead.email_domain
    if email_domain and email_domain in account.domains:
        signals.append(Signal("email_domain", 1.0, f"the email domain {email_domain} is the account's"))
    if lead.website_domain and lead.website_domain in account.domains:
        signals.append(Signal("website_domain", 0.95, f"the website {lead.website_domain} is the account's"))
    for domain in (email_domain, lead.website_domain):
        if domain and domain in account.parent_domains and domain not in account.domains:
            signals.append(Signal("parent_domain", 0.8, f"{domain} is its parent account's domain"))
            break
    return signals


def score(lead: LeadFacts, lead_name: CompanyName, account: AccountProfile) -> Scored:
    """How strongly the facts say this lead works for `account`, with the reasons."""
    domains = _domain_signals(lead, account)
    names = name_signals(lead, lead_name, company_name(account.name), account.domains, account.parent_domains)
    signals = domains + names
    if not signals:
        return Scored(account, 0.0, "none", ("nothing in common",))
    best = max(signals, key=lambda s: s.score)
    value, method, reasons = best.score, best.method, [s.reason for s in signals]
    strong_name = any(s.score >= 0.9 for s in names)
    if strong_name and any(s.method == "parent_domain" for s in domains):
        value, method = 1.0, "parent_domain"
        reasons.append("the company name is this subsidiary's")
    elif domains and strong_name:
        value = min(1.0, value + 0.02)
    elif domains and names and names[0].method == "look_alike":
        value -= 0.05
        reasons.append("the company name points at another company (-0.05)")
    if lead.country and account.country and lead.country.casefold() != account.country.casefold():
        penalty = _country_penalty(method, lead_name)
        value -= penalty
        reasons.append(f"country {lead.country} differs from the account's {account.country} (-{penalty})")
    return Scored(account, round(max(value, 0.0), 4), method, tuple(reasons))


def _country_penalty(method: str, lead_name: CompanyName) -> float:
    """People work abroad: a domain barely cares, a distinctive exact name little, a surname more."""
    if method in DOMAIN_METHODS:
        return 0.03
    distinctive = len(lead_name.tokens) >= 2 or len(lead_name.key) >= 10
    return 0.04 if method in ("exact_name", "name_domain", "fuzzy_name") and distinctive else 0.1


def _close_second(top: Scored, ranked: list[Scored]) -> Scored | None:
    """For a winner by a loose name method, another company scoring close behind it."""
    if top.method not in LOOSE_NAME_METHODS:
        return None
    related = {top.account.account_id, top.account.parent_id}
    return next(
        (
            s
            for s in ranked
            if s.account.account_id not in related
            and s.account.parent_id != top.account.account_id
            and top.score - s.score <= CLOSE_SECOND
        ),
        None,
    )


def _best_by(rule: str, tied: list[Scored]) -> list[Scored]:
    if rule == "customer":
        return [s for s in tied if s.account.is_customer] or tied
    if rule == "open_opp":
        return [s for s in tied if s.account.open_opps > 0] or tied
    if rule == "recent_activity":
        latest = max((s.account.last_activity for s in tied if s.account.last_activity), default=None)
        return [s for s in tied if latest and s.account.last_activity == latest] or tied
    if rule == "child_before_parent":
        parents = {s.account.parent_id for s in tied}
        return [s for s in tied if s.account.account_id not in parents] or tied
    raise ValueError(f"unknown tie-breaker {rule!r}; known: {', '.join(TIE_BREAKERS)}")


def break_tie(tied: list[Scored], rules: Iterable[str]) -> tuple[Scored | None, str | None]:
    """The one candidate the rules prefer, and the rule that decided; None when still tied."""
    for rule in rules:
        tied = _best_by(rule, tied)
        if len(tied) == 1:
            return tied[0], rule
    return None, None


def decide(
    lead: LeadFacts, candidates: Sequence[AccountProfile], rules: MatchRules = MatchRules()
) -> Decision:
    lead_name = company_name(lead.company)
    ranked = sorted(
        (score(lead, lead_name, account) for account in candidates),
        key=lambda s: (-s.score, s.account.name, s.account.account_id),
    )
    ranked = [s for s in ranked if s.score > 0]
    listing = "; candidates: " + (", ".join(s.describe() for s in ranked[:5]) or "none")
    if lead.is_free_mail:
        listing = f"; {lead.email_domain} is free mail, so only the company name and website count" + listing
    if not ranked or ranked[0].score < rules.review:
        best = f" (best {ranked[0].score:.2f}, below the review threshold {rules.review})" if ranked else ""
        return Decision(
            "no_match",
            None,
            "no_match",
            ranked[0].score if ranked else 0.0,
            f"no account matches{best}{listing}",
            tuple(ranked),
        )
    top = ranked[0]
    tied = [s for s in ranked if top.score - s.score <= rules.tie_margin]
    note = ""
    confidence = top.score
    if len(tied) > 1:
        winner, rule = break_tie(tied, rules.tie_breakers)
        if winner is None:
            confidence = min(confidence, rules.auto - 0.01)
            note = f"; {len(tied)} candidates tie and no tie-breaker separates them, so a person decides"
            winner = top
        else:
            note = f"; {len(tied)} candidates tie, broken by the rule {rule!r}"
        top = winner
    second = _close_second(top, ranked)
    if second is not None and confidence >= rules.auto:
        confidence = rules.auto - 0.01
        note += f"; {second.account.name} scores close behind ({second.score:.2f}), so a person decides"
    outcome: Outcome = "matched" if confidence >= rules.auto else "review"
    verdict = (
        f"matched {top.account.name} by {top.method} with confidence {confidence:.2f}"
        if outcome == "matched"
        else f"{top.account.name} by {top.method} at {confidence:.2f} is below the auto threshold "
        f"{rules.auto}, so it goes to review"
    )
    return Decision(outcome, top.account, top.method, confidence, verdict + note + listing, tuple(ranked))


@dataclass(frozen=True)
class NewAccount:
    name: str
    domains: tuple[str, ...]
    country: str | None
    industry: str | None
    employees: int | None


def account_from_lead(lead: LeadFacts) -> NewAccount:
    """The account a no-match lead founds: named after its company, owning its domains."""
    domains = [] if lead.is_free_mail else [lead.email_domain]
    if lead.website_domain and lead.website_domain not in domains:
        domains.append(lead.website_domain)
    person = " ".join(p for p in (lead.first_name, lead.last_name) if p)
    company = lead.company if company_name(lead.company) else None
    name = company or (domains[0] if domains else None) or person or lead.email
    return NewAccount(name, tuple(domains), lead.country, lead.industry, lead.employees)
