"""Inbound identification: which open opps a newly converted person joins as a potential member.

A prospect account's person joins the open Acquisition opp of their buying group (the key the
rules give from the campaign or the department), else the account's single open Acquisition
opp, else every candidate (ambiguity is a potential membership on each, never a guess); with no
open opp one is founded. A customer's person joins its open Renewal / Upsell / Cross-sell opps,
never a new Acquisition opp.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CUSTOMER_TYPES = ("renewal", "upsell", "cross_sell")


@dataclass(frozen=True)
class OpenOpp:
    opp_id: str
    type: str
    buying_group_key: str | None


@dataclass(frozen=True)
class GroupRules:
    """The buying-group key a person belongs to, from their campaign, else their department."""

    by_campaign: Mapping[str, str]
    by_department: Mapping[str, str]

    def key_of(self, campaign: str | None, department: str | None) -> str | None:
        if campaign and campaign.lower() in self.by_campaign:
            return self.by_campaign[campaign.lower()]
        return self.by_department.get(department or "")


@dataclass(frozen=True)
class Identified:
    join: tuple[str, ...]  # opp ids the person becomes a potential member of
    found_key: str | None = None  # found an Acquisition opp of this key (when `found`)
    found: bool = False
    why: str = ""


def identify(
    open_opps: Sequence[OpenOpp],
    *,
    customer: bool,
    key: str | None,
) -> Identified:
    if customer:
        joined = tuple(o.opp_id for o in open_opps if o.type in CUSTOMER_TYPES)
        why = "a customer's person joins its open renewal and expansion opps"
        return Identified(joined, why=why if joined else "a customer with no open renewal or expansion opp")
    acquisitions = [o for o in open_opps if o.type == "acquisition"]
    if key is not None:
        same = tuple(o.opp_id for o in acquisitions if o.buying_group_key == key)
        if same:
            return Identified(same, why=f"the {key} buying group")
        return Identified((), found_key=key, found=True, why=f"no open opp for the {key} buying group")
    if acquisitions:
        many = len(acquisitions) > 1
        why = "no rule names the buying group: a potential member of each" if many else "the open opp"
        return Identified(tuple(o.opp_id for o in acquisitions), why=why)
    return Identified((), found=True, why="no open acquisition opp")
