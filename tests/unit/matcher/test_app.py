"""The matcher's use cases and handlers against its unit of work in memory."""

from __future__ import annotations

import pytest

from services.matcher.app import accounts, review, teams
from services.matcher.app.handlers import (
    on_lead_created,
    on_lead_updated,
    on_opp_created,
    on_opp_stage_changed,
)
from services.matcher.domain.teams import MemberIn, PoolIn, RepIn
from services.matcher.settings import MatcherSettings
from shared.errors import Conflict, Invalid, NotFound
from shared.events import LeadCreated, LeadUpdated, OppCreated, OppStageChanged
from tests.support.fakes import envelope
from tests.unit.matcher.fakes import FakeMatcherUnitOfWork

SETTINGS = MatcherSettings()
REVIEW = MatcherSettings(matcher_no_match_policy="review")


async def with_pool(uow: FakeMatcherUnitOfWork) -> None:
    """Two AEs sharing German accounts."""
    for rep in ("ann", "bo"):
        await teams.put_rep(uow, rep, RepIn(name=rep.title(), team="sales"), "rita")
    members = [MemberIn(rep_id="ann"), MemberIn(rep_id="bo")]
    await teams.put_pool(uow, "dach", PoolIn(team="sales", countries=["DE"], members=members), "rita")
    await uow.flush_events()
    uow.published.clear()


def lead(
    n: int, domain: str = "acme.com", company: str | None = "Acme", country: str | None = None
) -> LeadCreated:
    return LeadCreated(
        lead_id=f"lead-{n}",
        source="api",
        email=f"p{n}@{domain}",
        email_domain=domain,
        company=company,
        first_name=f"P{n}",
        country=country,
    )


async def created(
    uow: FakeMatcherUnitOfWork, event: LeadCreated, settings: MatcherSettings = SETTINGS
) -> None:
    await on_lead_created(event, envelope(event), uow, settings)


async def test_a_lead_on_a_known_domain_converts_to_that_account_with_its_owner() -> None:
    uow = FakeMatcherUnitOfWork()
    account = await accounts.create_account(uow, {"name": "Acme", "domains": ["acme.com"], "owner": "ann"})
    await created(uow, lead(1))
    [converted] = uow.events("lead.converted")
    assert converted["account_id"] == account.account_id and converted["owner"] == "ann"
    assert converted["method"] == "email_domain" and not converted["account_created"]


async def test_a_lead_already_decided_is_not_decided_again() -> None:
    uow = FakeMatcherUnitOfWork()
    await created(uow, lead(1))
    await created(uow, lead(1))
    assert uow.types().count("lead.converted") == 1


async def test_no_match_founds_an_account_owned_by_the_territory_pool() -> None:
    uow = FakeMatcherUnitOfWork()
    await with_pool(uow)
    await created(uow, lead(1, "newco.de", "Newco GmbH", "DE"))
    await created(uow, lead(2, "other.de", "Other AG", "DE"))
    assert uow.types() == ["account.created", "lead.converted"] * 2
    owners = [e["owner"] for e in uow.events("lead.converted")]
    assert owners == ["ann", "bo"], "weighted round-robin takes turns"
    await created(uow, lead(3, "newco.de", "Newco", "DE"))  # the same company again
    assert uow.events("lead.converted")[-1]["owner"] == "ann" and len(uow.accounts.rows) == 2


async def test_no_match_under_the_review_policy_waits_for_a_person() -> None:
    uow = FakeMatcherUnitOfWork()
    await created(uow, lead(1, "newco.io", "Newco"), REVIEW)
    assert uow.types() == ["lead.review_requested"]
    [item] = uow.review.rows.values()
    assert (await uow.matches.get("lead-1")).status == "in_review"  # type: ignore[union-attr]
    resolved = await review.resolve(
        uow,
        item.item_id,
        action="create",
        who="rita",
        account_id=None,
        account_name="NewCo Inc",
        reason=None,
    )
    assert resolved.status == "resolved" and uow.types()[-2:] == ["account.created", "lead.converted"]
    assert uow.events("lead.converted")[-1]["resolved_by"] == "rita"
    with pytest.raises(Conflict):
        await review.resolve(
            uow,
            item.item_id,
            action="reject",
            who="sam",
            account_id=None,
            account_name=None,
            reason=None,
        )


async def test_a_review_pick_needs_an_account_that_exists_and_a_reject_is_told() -> None:
    uow = FakeMatcherUnitOfWork()
    await created(uow, lead(1, "newco.io", "Newco"), REVIEW)
    [item] = uow.review.rows.values()
    for account_id in (None, "nowhere"):
        with pytest.raises(Invalid):
            await review.resolve(
                uow,
                item.item_id,
                action="pick",
                who="rita",
                account_id=account_id,
                account_name=None,
                reason=None,
            )
    with pytest.raises(NotFound):
        await review.resolve(
            uow,
            "nothing",
            action="reject",
            who="rita",
            account_id=None,
            account_name=None,
            reason=None,
        )
    await review.resolve(
        uow,
        item.item_id,
        action="reject",
        who="rita",
        account_id=None,
        account_name=None,
        reason="a student",
    )
    assert uow.events("lead.rejected")[0] == {
        "lead_id": "lead-1",
        "reason": "a student",
        "rejected_by": "rita",
    }


async def test_a_name_change_that_overtakes_its_lead_is_applied_at_conversion() -> None:
    uow = FakeMatcherUnitOfWork()
    changed = LeadUpdated(lead_id="lead-1", email="p1@acme.com", changed={"first_name": "Ada", "phone": "+1"})
    await on_lead_updated(changed, envelope(changed, 2), uow, SETTINGS)
    assert uow.matches.early["lead-1"] == {"first_name": "Ada"}  # only what a contact keeps
    await created(uow, lead(1))
    assert uow.events("lead.converted")[0]["first_name"] == "Ada" and not uow.matches.early
    renamed = LeadUpdated(lead_id="lead-1", email="p1@acme.com", changed={"title": "CTO"})
    await on_lead_updated(renamed, envelope(renamed, 3), uow, SETTINGS)
    assert uow.contacts.rows["p1@acme.com"]["title"] == "CTO"


async def test_open_opportunities_are_counted_and_a_late_creation_does_not_reopen_one() -> None:
    uow = FakeMatcherUnitOfWork()
    account = await accounts.create_account(uow, {"name": "Acme", "domains": ["acme.com"]})
    closed = OppStageChanged(
        opp_id="o1",
        account_id=account.account_id,
        type="acquisition",
        from_stage="pipeline",
        to_stage="closed_won",
        at=account.created_at,
        actor="ann",
    )
    opened = OppCreated(
        opp_id="o1", account_id=account.account_id, type="acquisition", stage="target", created_by="x"
    )
    await on_opp_stage_changed(closed, envelope(closed), uow, SETTINGS)
    await on_opp_created(opened, envelope(opened), uow, SETTINGS)
    assert uow.accounts.rows[account.account_id].open_opps == 0


async def test_an_account_cannot_take_a_domain_another_owns_nor_be_its_own_parent() -> None:
    uow = FakeMatcherUnitOfWork()
    first = await accounts.create_account(uow, {"name": "Acme", "domains": ["acme.com"]})
    with pytest.raises(Conflict) as taken:
        await accounts.create_account(uow, {"name": "Acme 2", "domains": ["www.acme.com"]})
    assert taken.value.errors == [{"field": "domains", "reason": "acme.com is taken"}]
    with pytest.raises(Invalid):
        await accounts.update_account(uow, first.account_id, {"parent_id": first.account_id})
    with pytest.raises(NotFound):
        await accounts.update_account(uow, "nothing", {"name": "x"})


async def test_an_account_change_replaces_its_domains_and_emits_the_next_version() -> None:
    uow = FakeMatcherUnitOfWork()
    account = await accounts.create_account(uow, {"name": "Acme", "domains": ["acme.com"]})
    changed = await accounts.update_account(uow, account.account_id, {"domains": ["acme.io"], "name": None})
    assert changed.domains == ["acme.io"] and changed.name == "Acme" and changed.version == 2
    assert uow.accounts.domains == {"acme.io": account.account_id}
    assert uow.queued[-1].headers["ce_aggregateversion"] == "2"


async def test_an_external_id_names_one_account() -> None:
    uow = FakeMatcherUnitOfWork()
    first = await accounts.create_account(uow, {"name": "Acme", "external_id": "crm-1"})
    with pytest.raises(Conflict) as taken:
        await accounts.create_account(uow, {"name": "Acme 2", "external_id": "crm-1"})
    assert taken.value.errors[0]["field"] == "external_id"
    other = await accounts.create_account(uow, {"name": "Beta"})
    with pytest.raises(Conflict):
        await accounts.update_account(uow, other.account_id, {"external_id": "crm-1"})
    await accounts.update_account(uow, first.account_id, {"external_id": "crm-1", "name": "Acme Inc"})


async def test_a_lead_update_older_than_what_its_contact_holds_changes_nothing() -> None:
    uow = FakeMatcherUnitOfWork()
    await created(uow, lead(1))

    async def update(version: int, **changed: str) -> None:
        event = LeadUpdated(lead_id="lead-1", email="p1@acme.com", changed=changed)
        await on_lead_updated(event, envelope(event, version), uow, SETTINGS)

    await update(4, title="CEO", first_name="Grace")
    await update(3, title="CTO", last_name="Hopper")  # late: its title is older, its last name is news
    await update(4, title="Intern")  # the same version again (a replay) changes nothing either
    contact = uow.contacts.rows["p1@acme.com"]
    assert (contact["title"], contact["first_name"], contact["last_name"]) == ("CEO", "Grace", "Hopper")


async def test_a_late_stage_change_does_not_reopen_a_closed_opp() -> None:
    uow = FakeMatcherUnitOfWork()
    account = await accounts.create_account(uow, {"name": "Acme", "domains": ["acme.com"]})

    def moved(to_stage: str) -> OppStageChanged:
        return OppStageChanged(
            opp_id="o1",
            account_id=account.account_id,
            type="acquisition",
            from_stage="target",
            to_stage=to_stage,
            at=account.created_at,
            actor="ann",
        )

    await on_opp_stage_changed(moved("closed_won"), envelope(moved("closed_won"), 3), uow, SETTINGS)
    await on_opp_stage_changed(moved("pipeline"), envelope(moved("pipeline"), 2), uow, SETTINGS)
    assert uow.accounts.rows[account.account_id].open_opps == 0
