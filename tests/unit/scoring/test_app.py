"""Scoring's handlers and use cases against its unit of work in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.scoring.app import queries
from services.scoring.app.deals import (
    on_account_changed,
    on_contact_role_changed,
    on_opp_created,
    on_opp_stage_changed,
)
from services.scoring.app.decay import decay_pass
from services.scoring.app.handlers import (
    on_engagement_recorded,
    on_lead_converted,
    on_lead_created,
    on_lead_rejected,
    on_lead_updated,
)
from services.scoring.settings import ScoringSettings
from shared.errors import Conflict, NotFound
from shared.events import (
    AccountUpdated,
    EngagementRecorded,
    Event,
    LeadConverted,
    LeadCreated,
    LeadRejected,
    LeadUpdated,
    OppContactRoleChanged,
    OppCreated,
    OppStageChanged,
)
from tests.support.fakes import envelope
from tests.unit.scoring.fakes import FakeScoringUnitOfWork

SETTINGS = ScoringSettings()
NOW = datetime.now(UTC)
HANDLERS: dict[type[Event], Any] = {
    LeadCreated: on_lead_created,
    LeadUpdated: on_lead_updated,
    EngagementRecorded: on_engagement_recorded,
    LeadConverted: on_lead_converted,
    LeadRejected: on_lead_rejected,
    AccountUpdated: on_account_changed,
    OppCreated: on_opp_created,
    OppStageChanged: on_opp_stage_changed,
    OppContactRoleChanged: on_contact_role_changed,
}


async def deliver(uow: FakeScoringUnitOfWork, event: Event, version: int | None = None) -> None:
    """As the consumer runner does: the handler's effects, then one commit."""
    await HANDLERS[type(event)](event, envelope(event, version), uow, SETTINGS)
    await uow.commit()


def lead(n: int = 1, title: str = "VP Marketing") -> LeadCreated:
    return LeadCreated(
        lead_id=f"lead-{n}",
        source="api",
        email=f"p{n}@acme.example",
        email_domain="acme.example",
        title=title,
        employees=500,
        industry="Software",
        country="US",
    )


def click(n: int, kind: str = "meeting", engagement_id: str = "e1") -> EngagementRecorded:
    return EngagementRecorded(
        engagement_id=engagement_id,
        lead_id=f"lead-{n}",
        email="x",
        kind=kind,
        occurred_at=NOW,  # type: ignore[arg-type]
    )


def conversion(n: int, contact_id: str = "c1") -> LeadConverted:
    return LeadConverted(
        lead_id=f"lead-{n}",
        contact_id=contact_id,
        account_id="a1",
        account_created=False,
        method="email_domain",
        confidence=1.0,
        explanation="",
        email=f"p{n}@acme.example",
    )


async def test_a_lead_is_scored_on_fit_and_an_older_creation_keeps_newer_facts() -> None:
    uow = FakeScoringUnitOfWork()
    await deliver(uow, LeadUpdated(lead_id="lead-1", email="p1@acme.example", changed={"title": "CEO"}), 2)
    await deliver(uow, lead(1, title="Intern"), 1)
    person = uow.people.rows["lead-1"]
    assert person.title == "CEO" and person.fit > 0 and uow.types()[-1] == "lead.scored"
    before = len(uow.events())
    await deliver(uow, LeadUpdated(lead_id="lead-1", email="x", changed={"title": "Intern"}), 2)
    assert uow.people.rows["lead-1"].title == "CEO" and len(uow.events()) == before, "a stale update"


async def test_engagement_counts_once_per_id() -> None:
    uow = FakeScoringUnitOfWork()
    await deliver(uow, lead(1), 1)
    await deliver(uow, click(1))
    behaviour = uow.people.rows["lead-1"].behaviour
    await deliver(uow, click(1))
    assert behaviour > 0 and uow.people.rows["lead-1"].behaviour == behaviour


async def test_an_engagement_keeps_its_campaign() -> None:
    uow = FakeScoringUnitOfWork()
    await deliver(uow, lead(1), 1)
    named = click(1).model_copy(update={"campaign": "Q4 Webinar", "campaign_external_id": "1042"})
    await deliver(uow, named)
    assert uow.engagements.rows["e1"]["campaign"] == ("Q4 Webinar", "1042")


async def test_a_second_lead_of_one_contact_joins_the_person_who_holds_it() -> None:
    uow = FakeScoringUnitOfWork()
    for n in (1, 2):
        await deliver(uow, lead(n), 1)
        await deliver(uow, click(n, engagement_id=f"e{n}"))
        await deliver(uow, conversion(n))
    assert list(uow.people.rows) == ["lead-1"] and uow.people.aliases == {"lead-2": "lead-1"}
    assert (await queries.person(uow, "c1")).person_id == "lead-1"
    assert uow.events("lead.scored")[-1]["contact_id"] == "c1"


async def test_a_rejected_lead_scores_the_negative_rule() -> None:
    uow = FakeScoringUnitOfWork()
    await deliver(uow, lead(1), 1)
    await deliver(uow, LeadRejected(lead_id="lead-1", reason="a student", rejected_by="rita"))
    reasons = {r["rule"] for r in uow.people.rows["lead-1"].negative_reasons}
    assert "lead_rejected" in reasons


async def test_joining_a_buying_group_makes_opportunity_and_winning_makes_customer() -> None:
    uow = FakeScoringUnitOfWork()
    await deliver(uow, lead(1), 1)
    await deliver(uow, conversion(1))
    await deliver(
        uow, OppCreated(opp_id="o1", account_id="a1", type="acquisition", stage="target", created_by="x")
    )
    role = OppContactRoleChanged(
        opp_id="o1", account_id="a1", contact_id="c1", role="champion", change="added"
    )
    await deliver(uow, role)
    assert uow.people.rows["lead-1"].lifecycle_stage == "opportunity"
    won = OppStageChanged(
        opp_id="o1",
        account_id="a1",
        type="acquisition",
        from_stage="pipeline",
        to_stage="closed_won",
        at=NOW,
        actor="ann",
    )
    await deliver(uow, won)
    assert uow.people.rows["lead-1"].lifecycle_stage == "customer"
    assert uow.people.history[-1].actor == "ann"


async def test_a_removed_member_leaves_the_group_and_a_stale_account_event_changes_nothing() -> None:
    uow = FakeScoringUnitOfWork()
    role = OppContactRoleChanged(
        opp_id="o1", account_id="a1", contact_id="c1", role="champion", change="added"
    )
    await deliver(uow, role)
    await deliver(uow, role.model_copy(update={"change": "removed"}))
    assert not uow.deals.groups
    await deliver(uow, AccountUpdated(account_id="a1", name="Acme", is_customer=True), 3)
    await deliver(uow, AccountUpdated(account_id="a1", name="Acme", is_customer=False), 2)
    assert uow.accounts.rows["a1"].is_customer is True


async def test_sales_moves_the_lifecycle_only_where_the_rules_allow() -> None:
    uow = FakeScoringUnitOfWork()
    await deliver(uow, lead(1), 1)
    with pytest.raises(Conflict):
        await queries.move_lifecycle(uow, SETTINGS, "lead-1", "sql", reason=None, actor="sam")
    with pytest.raises(NotFound):
        await queries.person(uow, "nobody")


async def test_the_decay_pass_emits_for_people_whose_decayed_score_is_news() -> None:
    uow = FakeScoringUnitOfWork()
    await deliver(uow, lead(1), 1)
    for n, kind in enumerate(("meeting", "call", "download")):
        await deliver(uow, click(1, kind, engagement_id=f"e{n}"))
    before = len(uow.events("lead.scored"))
    report = await decay_pass(lambda: uow, SETTINGS, NOW + timedelta(days=60))
    assert report.rescored == 1 and len(uow.events("lead.scored")) == before + 1
    assert not await decay_pass(lambda: uow, SETTINGS, NOW + timedelta(days=60))
