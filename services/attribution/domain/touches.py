"""An opp's touches and what each model credits its campaigns with.

An opp's touches are those of its confirmed buying-group members from the look-back window before
its creation until it closed (or until the report's date while open). The touches of the
account's other people in that window are excluded and counted: the "27 of 30".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.attribution.domain.models import MODELS, Milestones, ModelName, split, weights


@dataclass(frozen=True)
class Touch:
    """One engagement of one person in one campaign at one time."""

    touch_id: str
    person_id: str  # the contact once converted, else the lead
    campaign_id: str
    kind: str
    occurred_at: datetime


@dataclass(frozen=True)
class Opp:
    """The opp as it stood at the moment attributed: the amount and closing then."""

    opp_id: str
    account_id: str
    type: str
    created_at: datetime
    amount_cents: int
    closed_at: datetime | None = None
    is_won: bool = False


@dataclass(frozen=True)
class Selection:
    counted: list[Touch]  # in time order (then by id, so equal times order alike every time)
    excluded_touches: int
    excluded_people: int


@dataclass(frozen=True)
class CampaignCredit:
    """What one campaign gets of one opp: its touches, whether it sourced the opp, and per model
    the cents of the amount attributed to it."""

    campaign_id: str
    touches: int
    sourced: bool
    cents: dict[ModelName, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Attribution:
    opp: Opp
    selection: Selection
    milestones: Milestones | None
    per_touch: list[dict[ModelName, int]]  # parallel to selection.counted
    credits: list[CampaignCredit]
    sourced_campaign_id: str | None


def window(opp: Opp, lookback: timedelta, as_of: datetime | None) -> tuple[datetime, datetime | None]:
    """From `lookback` before creation until the close (or `as_of`, whichever is earlier)."""
    ends = [at for at in (opp.closed_at, as_of) if at is not None]
    return opp.created_at - lookback, min(ends) if ends else None


def select(
    opp: Opp,
    touches: Iterable[Touch],
    members: set[str],
    lookback: timedelta,
    as_of: datetime | None = None,
) -> Selection:
    """The confirmed members' touches in the window, and what the account's others did in it."""
    start, end = window(opp, lookback, as_of)
    counted: list[Touch] = []
    others: set[str] = set()
    excluded = 0
    for touch in touches:
        if touch.occurred_at < start or (end is not None and touch.occurred_at > end):
            continue
        if touch.person_id in members:
            counted.append(touch)
        else:
            excluded += 1
            others.add(touch.person_id)
    counted.sort(key=lambda t: (t.occurred_at, t.touch_id))
    return Selection(counted, excluded, len(others))


def at_or_before(times: Sequence[datetime], moment: datetime | None) -> int:
    """The touch a milestone falls on: the last at or before the moment, else the first after it
    (an unknown moment falls on the first touch)."""
    if moment is None:
        return 0
    before = [i for i, at in enumerate(times) if at <= moment]
    return before[-1] if before else 0


def milestones(
    times: Sequence[datetime], opp_created_at: datetime, lead_created_at: datetime | None
) -> Milestones:
    return Milestones(
        first=0,
        lead_creation=at_or_before(times, lead_created_at),
        opp_creation=at_or_before(times, opp_created_at),
        last=len(times) - 1,
    )


def sourced_by(counted: Sequence[Touch], opp: Opp, original_campaign_id: str | None) -> str | None:
    """The first touch before the opp's creation, else the converting lead's original campaign."""
    if counted and counted[0].occurred_at <= opp.created_at:
        return counted[0].campaign_id
    return original_campaign_id


def attribute(
    opp: Opp,
    selection: Selection,
    *,
    lead_created_at: datetime | None,
    original_campaign_id: str | None,
    half_life: timedelta,
) -> Attribution:
    counted = selection.counted
    sourced = sourced_by(counted, opp, original_campaign_id)
    if not counted:
        credits = [CampaignCredit(sourced, 0, True, dict.fromkeys(MODELS, 0))] if sourced else []
        return Attribution(opp, selection, None, [], credits, sourced)
    times = [t.occurred_at for t in counted]
    marks = milestones(times, opp.created_at, lead_created_at)
    per_model = {m: split(opp.amount_cents, weights(m, times, marks, half_life)) for m in MODELS}
    per_touch = [{m: per_model[m][i] for m in MODELS} for i in range(len(counted))]
    return Attribution(opp, selection, marks, per_touch, _by_campaign(counted, per_touch, sourced), sourced)


def _by_campaign(
    counted: Sequence[Touch], per_touch: Sequence[dict[ModelName, int]], sourced: str | None
) -> list[CampaignCredit]:
    order: list[str] = []
    touches: dict[str, int] = {}
    cents: dict[str, dict[ModelName, int]] = {}
    for touch, credit in zip(counted, per_touch, strict=True):
        if touch.campaign_id not in cents:
            order.append(touch.campaign_id)
            touches[touch.campaign_id], cents[touch.campaign_id] = 0, dict.fromkeys(MODELS, 0)
        touches[touch.campaign_id] += 1
        for model, value in credit.items():
            cents[touch.campaign_id][model] += value
    if sourced is not None and sourced not in cents:
        order.append(sourced)
        touches[sourced], cents[sourced] = 0, dict.fromkeys(MODELS, 0)
    return [CampaignCredit(c, touches[c], c == sourced, cents[c]) for c in order]
