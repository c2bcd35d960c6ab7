"""Suggested committee roles from who a person is: a configurable table of persona rules on
title, seniority and department. A suggestion is never a confirmed role: a person confirms it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Persona:
    role: str
    seniority: tuple[str, ...] = ()  # any of these (empty: any)
    department: tuple[str, ...] = ()  # any of these (empty: any)
    title: str | None = None  # a case-insensitive pattern the title must contain
    reason: str = ""
    _title: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.title:
            object.__setattr__(self, "_title", re.compile(self.title, re.IGNORECASE))

    def fits(self, title: str | None, seniority: str | None, department: str | None) -> bool:
        if self.seniority and seniority not in self.seniority:
            return False
        if self.department and department not in self.department:
            return False
        return self._title is None or bool(title and self._title.search(title[:300]))


SENIOR = ("c_level", "vp", "director")
DEFAULT_PERSONAS = (
    Persona(
        "economic_buyer",
        title=r"\b(cfo|chief financial|finance director|controller)\b",
        reason="the finance leader signs",
    ),
    Persona("economic_buyer", seniority=SENIOR, department=("finance",), reason="a senior finance title"),
    Persona(
        "technical_buyer",
        seniority=SENIOR,
        department=("engineering", "it"),
        reason="a senior engineering or IT title",
    ),
    Persona("decision_maker", seniority=("c_level",), reason="a C-level title"),
    Persona("decision_maker", seniority=("vp", "director"), reason="a VP or director owns the budget line"),
    Persona("champion", seniority=("manager",), reason="a manager who would run the project"),
    Persona("evaluator", department=("engineering", "it"), reason="an engineer evaluates the product"),
    Persona("user", seniority=("individual",), reason="an individual contributor would use it"),
)


def suggest(
    personas: Sequence[Persona], *, title: str | None, seniority: str | None, department: str | None
) -> tuple[str, str] | None:
    """The first persona the person fits: (role, why); None when none does."""
    for persona in personas:
        if persona.fits(title, seniority, department):
            who = ", ".join(p for p in (title, seniority, department) if p)
            return persona.role, f"{persona.reason} ({who})" if who else persona.reason
    return None
