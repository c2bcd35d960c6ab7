"""What a lead's company name says about one account, as scored signals with their reasons.

The rules of the trade: the same normalised name is strong evidence; one typo in a long name
is too; a name that contains the other plus a distinctive word ("Delta Dental" vs "Delta") is
a different company until a person says otherwise; acronyms and domain labels count only
where the data shows them (the account's initials, the account's own domain).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

from services.matcher.domain.names import GENERIC_WORDS, CompanyName, domain_label


class LeadDomains(Protocol):
    @property
    def email_domain(self) -> str: ...
    @property
    def is_free_mail(self) -> bool: ...


@dataclass(frozen=True)
class Signal:
    method: str
    score: float
    reason: str


def similarity(a: CompanyName, b: CompanyName) -> float:
    """0-1: the better of the compact keys' ratio and the word-order-free ratio."""
    return max(fuzz.ratio(a.key, b.key), fuzz.token_sort_ratio(a.text, b.text)) / 100


def _digits(name: CompanyName) -> str:
    return "".join(ch for ch in name.key if ch.isdigit())


def _typo_score(lead: CompanyName, account: CompanyName) -> float:
    """One slip of the keyboard in a long name is the same company; short names are riskier."""
    if _digits(lead) != _digits(account):
        return 0.0  # "Studio 54" and "Studio 55" are not a typo apart
    edits = DamerauLevenshtein.distance(lead.key, account.key)
    length = min(len(lead.key), len(account.key))
    if edits == 1 and length >= 8:
        return 0.92
    if edits == 1 and length >= 5:
        return 0.8
    if edits == 2 and length >= 12:
        return 0.84
    return 0.0


def _containment(lead: CompanyName, account: CompanyName) -> Signal | None:
    lead_words, account_words = set(lead.tokens), set(account.tokens)
    if lead_words == account_words or not (lead_words < account_words or account_words < lead_words):
        return None
    extra = sorted(lead_words ^ account_words)
    if all(word in GENERIC_WORDS for word in extra):
        return Signal(
            "name_variant", 0.8, f"'{lead.text}' and '{account.text}' differ only by {', '.join(extra)}"
        )
    return Signal(
        "look_alike",
        0.5,
        f"'{lead.text}' and '{account.text}' share words but '{' '.join(extra)}' makes another company",
    )


def _fuzzy(lead: CompanyName, account: CompanyName) -> Signal | None:
    typo = _typo_score(lead, account)
    ratio = similarity(lead, account)
    if typo:
        return Signal("fuzzy_name", typo, f"'{lead.text}' is a typo away from '{account.text}'")
    if ratio >= 0.85 and sorted(lead.tokens) == sorted(account.tokens):
        return Signal("fuzzy_name", 0.9, f"'{lead.text}' has the words of '{account.text}' in another order")
    if ratio >= 0.85:
        value = round(min(0.78, 0.5 + (ratio - 0.85) * 3), 4)
        return Signal("fuzzy_name", value, f"'{lead.text}' resembles '{account.text}' ({ratio:.2f})")
    return None


def _domain_conflict(lead: LeadDomains, lead_name: CompanyName, account_domains: tuple[str, ...]) -> bool:
    """A corporate email domain that is not the account's, and does not spell the name either."""
    if lead.is_free_mail or not account_domains or lead.email_domain in account_domains:
        return False
    label = domain_label(lead.email_domain)
    return fuzz.ratio(label, lead_name.key) < 80 and label != lead_name.acronym


def name_signals(
    lead: LeadDomains, lead_name: CompanyName, account_name: CompanyName, account_domains: tuple[str, ...]
) -> list[Signal]:
    if not lead_name or not account_name:
        return []
    signal: Signal | None
    if lead_name.key == account_name.key:
        signal = Signal("exact_name", 0.95, f"the normalised name '{lead_name.text}' is the account's")
    elif lead_name.key in {domain_label(d) for d in account_domains}:
        signal = Signal("name_domain", 0.9, f"'{lead_name.text}' is the name of the account's domain")
    elif lead_name.key == account_name.acronym or account_name.key == lead_name.acronym:
        signal = Signal("acronym", 0.8, f"'{lead_name.text}' and '{account_name.text}' are one's acronym")
    else:
        signal = _containment(lead_name, account_name) or _fuzzy(lead_name, account_name)
    if signal is None:
        return []
    if signal.score > 0.5 and _domain_conflict(lead, lead_name, account_domains):
        return [
            Signal(
                signal.method,
                round(signal.score - 0.1, 4),
                f"{signal.reason}, but the lead's email domain {lead.email_domain}"
                " is not the account's (-0.1)",
            )
        ]
    return [signal]
