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

from services.matcher.domain.names import GENERIC_WORDS, LEGAL_SUFFIXES, CompanyName, domain_label


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
    """One slip of the keyboard in a long name is the same company; in a short one, maybe not.

    A single word is often a surname, and surnames a letter apart are other people's firms
    ("Leonardi", "Leopardi"), so only a long one is trusted; several words carry more.
    """
    if _digits(lead) != _digits(account):
        return 0.0  # "Studio 54" and "Studio 55" are not a typo apart
    edits = min(
        DamerauLevenshtein.distance(lead.key, account.key),
        DamerauLevenshtein.distance("".join(lead.typed), "".join(account.typed)),
    )
    length = min(len(lead.key), len(account.key))
    several_words = len(lead.tokens) > 1 and len(account.tokens) > 1
    if edits == 1 and len(lead.tokens) == len(account.tokens) > 1:
        changed = [max(a, b, key=len) for a, b in zip(lead.tokens, account.tokens, strict=True) if a != b]
        if len(changed) == 1 and len(changed[0]) < 5:
            return 0.8  # "Zahn Systems" and "Hahn Systems": a short word's one letter is another name
    if edits == 1 and several_words and length >= 12:
        return 0.94
    if edits == 1 and (length >= 10 or (several_words and length >= 8)):
        return 0.92
    if edits == 1 and length >= 4:
        return 0.8
    if edits == 2 and length >= 12:
        return 0.84
    return 0.0


def _is_noise(word: str) -> bool:
    """A generic word, or a misspelt legal form ("Comany", "Limted") the normaliser could not strip."""
    if word in GENERIC_WORDS:
        return True
    return len(word) >= 4 and any(
        DamerauLevenshtein.distance(word, form[0], score_cutoff=1) <= 1
        for form in LEGAL_SUFFIXES
        if len(form) == 1
    )


def _containment(lead: CompanyName, account: CompanyName) -> Signal | None:
    lead_words, account_words = set(lead.tokens), set(account.tokens)
    if lead_words == account_words or not (lead_words < account_words or account_words < lead_words):
        return None
    extra = sorted(lead_words ^ account_words)
    if all(word not in GENERIC_WORDS and _is_noise(word) for word in extra):
        return Signal("fuzzy_name", 0.9, f"'{lead.text}' is '{account.text}' with a misspelt legal form")
    if all(_is_noise(word) for word in extra):
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


def _domain_conflict(
    lead: LeadDomains, account_name: CompanyName, account_domains: tuple[str, ...], method: str
) -> bool:
    """The lead's corporate domain is not the account's and says another name.

    An exact name survives a domain that spells the account's name (an alternate domain); a
    fuzzy one does not, since a lead's own domain spelling what it typed is no typo.
    """
    if lead.is_free_mail or lead.email_domain in account_domains:
        return False
    label = domain_label(lead.email_domain)
    if method in ("exact_name", "name_domain", "acronym"):
        return fuzz.ratio(label, account_name.key) < 80 and label != account_name.acronym
    return label != account_name.key


def name_signals(
    lead: LeadDomains,
    lead_name: CompanyName,
    account_name: CompanyName,
    account_domains: tuple[str, ...],
    parent_domains: tuple[str, ...] = (),
) -> list[Signal]:
    """A subsidiary's people often mail from the parent's domains: that is no conflict."""
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
    known_domains = account_domains + parent_domains
    if signal.score > 0.5 and _domain_conflict(lead, account_name, known_domains, signal.method):
        return [
            Signal(
                signal.method,
                round(signal.score - 0.1, 4),
                f"{signal.reason}, but the lead's email domain {lead.email_domain}"
                " is not the account's (-0.1)",
            )
        ]
    return [signal]
