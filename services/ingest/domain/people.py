"""Who the person is: name parts, and seniority and department read off a job title."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Seniority = Literal["c_level", "vp", "director", "manager", "individual"]

_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "mme", "m"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "mba", "esq"}


def split_name(full: str | None) -> tuple[str | None, str | None]:
    """("Ada", "Lovelace") from "Ada Lovelace", "Lovelace, Ada", "Dr. Ada King Lovelace PhD"."""
    if not full or not full.strip():
        return None, None
    words = full.replace(",", " , ").split()
    while len(words) > 1 and words[-1].lower().replace(".", "") in _SUFFIXES | {","}:
        words = words[:-1]  # "John Smith, Jr."
    if "," in words:
        comma = words.index(",")
        return _joined(words[comma + 1 :]), _joined(words[:comma])
    while len(words) > 1 and words[0].lower().rstrip(".") in _HONORIFICS:
        words = words[1:]
    if len(words) == 1:
        return words[0], None
    return words[0], " ".join(words[1:])


def _joined(words: list[str]) -> str | None:
    return " ".join(words) or None


# Checked in order: the first rule whose pattern appears in the title wins. Word boundaries keep
# "director" out of "coordinator" and "vp" out of "mvp".
_SENIORITY_RULES: tuple[tuple[Seniority, re.Pattern[str]], ...] = (
    # Vice presidents first: "Vice President of Sales" also contains "president".
    ("vp", re.compile(r"\b(s?vp|evp|avp|vice[- ]president|head of|directeur general adjoint)\b")),
    (
        "c_level",
        re.compile(
            r"\b(c[efiotmrsd]o|chief|president|founder|co-?founder|"
            r"(?<!product )(?<!process )(?<!account )(?<!data )owner|"
            r"managing director|managing partner|general partner|general manager|geschaftsfuhrer|"
            r"gerant|pdg|directeur general)\b"
        ),
    ),
    ("director", re.compile(r"\b(director|directeur|directora?|leiter|head)\b")),
    ("manager", re.compile(r"\b(manager|mgr|lead|supervisor|team lead|responsable|gerente)\b")),
)

_DEPARTMENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("engineering", re.compile(r"\b(engineer\w*|developer|devops|cto|software|architect|r&d|technical)\b")),
    ("it", re.compile(r"\b(it|information technology|cio|systems?|infrastructure|network|security|ciso)\b")),
    ("marketing", re.compile(r"\b(marketing|cmo|brand|demand gen\w*|growth|content|seo|communications)\b")),
    ("sales", re.compile(r"\b(sales|cro|account executive|business development|bdr|sdr|revenue)\b")),
    ("finance", re.compile(r"\b(finance|financial|cfo|controller|accounting|accountant|treasur\w*)\b")),
    ("operations", re.compile(r"\b(operations|coo|ops|supply chain|logistics|procurement)\b")),
    ("hr", re.compile(r"\b(hr|human resources|people|talent|recruit\w*|chro)\b")),
    ("product", re.compile(r"\b(product|cpo|ux|design)\b")),
    ("legal", re.compile(r"\b(legal|counsel|compliance|clo|attorney|lawyer)\b")),
    ("customer_success", re.compile(r"\b(customer success|support|service|csm|customer experience)\b")),
    (
        "executive",
        re.compile(
            r"\b(ceo|founder|(?<!vice )(?<!vice-)president|owner|managing director|general manager)\b"
        ),
    ),
)


def _ascii_lower(title: str) -> str:
    decomposed = unicodedata.normalize("NFKD", title)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def seniority(title: str | None) -> Seniority | None:
    """The level a title names; "individual" for a title that names none; None with no title."""
    if not title or not title.strip():
        return None
    text = _ascii_lower(title)
    for level, pattern in _SENIORITY_RULES:
        if pattern.search(text):
            return level
    return "individual"


def department(title: str | None) -> str | None:
    if not title:
        return None
    text = _ascii_lower(title)
    for name, pattern in _DEPARTMENT_RULES:
        if pattern.search(text):
            return name
    return None
