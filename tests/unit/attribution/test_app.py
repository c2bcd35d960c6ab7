"""Attribution's handlers and use cases against its unit of work in memory: each event refreshes
the stored attribution of the opps it affects and only those."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.attribution.app import attribute, campaigns
from services.attribution.app.handlers import HANDLERS, cents
from services.attribution.domain.campaigns import CampaignIn, CampaignPatch
from services.attribution.settings import AttributionSettings
from shared.errors import Conflict, NotFound
from shared.events import (
    EngagementRecorded,
    Event,
    LeadConverted,
    LeadCreated,
    OppContactRoleChanged,
    OppCreated,
    OppUpdated,
)
from tests.support.fakes import envelope
from tests.unit.attribution.fakes import FakeAttributionUnitOfWork

SETTINGS = AttributionSettings()
NOW = datetime.now(UTC)


async def deliver(uow: FakeAttributionUnitOfWork, event: Event, at: datetime | None = None) -> None:
    """As the consumer runner does: the handler's effects, then one commit."""
    record = envelope(event, 1)
    await HANDLERS[type(event)](event, replace(record, time=at or record.time), uow, SETTINGS)
    await uow.commit()


def person(n: int, account: str = "a1") -> list[Event]:
    lead_id = f"lead-{n}"
    return [
        LeadCreated(lead_id=lead_id, source="api", email=f"p{n}@x.example", email_domain="x.example"),
        LeadConverted(lead_id=lead_id, contact_id=f"c{n}", account_id=account, account_created=False,
                      method="domain", confidence=1.0, explanation="", email=f"p{n}@x.example"),
    ]  # fmt: skip


def touch(n: int, campaign: str, days_ago: float, touch_id: str | None = None) -> EngagementRecorded:
    return EngagementRecorded(
        engagement_id=touch_id or f"e-{n}-{campaign}-{days_ago}",
        lead_id=f"lead-{n}",
        email="x",
        kind="form_submit",
        occurred_at=NOW - timedelta(days=days_ago),
        campaign=campaign,
        source="marketo",
    )


def opp(opp_id: str, account: str = "a1", amount: float = 100.0) -> OppCreated:
    return OppCreated(opp_id=opp_id, account_id=account, type="acquisition", stage="target", amount=amount,
                      created_by="test")  # fmt: skip


def member(opp_id: str, n: int, change: str = "added", account: str = "a1") -> OppContactRoleChanged:
    return OppContactRoleChanged(opp_id=opp_id, account_id=account, contact_id=f"c{n}", role="champion",
                                 change=change, status="confirmed")  # type: ignore[arg-type]  # fmt: skip


async def world() -> FakeAttributionUnitOfWork:
    """Two accounts: a1 with people 1-3 and opp o1 (members 1, 2); a2 with person 4 and opp o2."""
    uow = FakeAttributionUnitOfWork()
    for event in [*person(1), *person(2), *person(3), *person(4, "a2"), opp("o1"), opp("o2", "a2")]:
        await deliver(uow, event)
    for event in (member("o1", 1), member("o1", 2), member("o2", 4, account="a2")):
        await deliver(uow, event)
    uow.credits.refreshed.clear()
    return uow


async def test_a_members_touch_refreshes_only_the_opps_it_is_a_member_of() -> None:
    uow = await world()
    await deliver(uow, touch(1, "Webinar", 3))
    assert uow.credits.refreshed == [["o1"]]
    [credit] = uow.credits.rows["o1"].credits
    assert credit.cents["linear"] == 10000 and credit.sourced
    await deliver(uow, touch(3, "Webinar", 2))  # person 3 is no member of any opp
    await deliver(uow, touch(1, "Webinar", 3))  # a repeat
    assert uow.credits.refreshed == [["o1"]]
    [live] = await attribute.compute(uow, SETTINGS, ["o1"], None)  # what the opp's touches route shows
    assert (live.selection.excluded_touches, live.selection.excluded_people) == (1, 1)


async def test_an_unknown_campaign_is_created_once_and_an_engagement_without_one_is_no_touch() -> None:
    uow = await world()
    await deliver(uow, touch(1, "Spring webinar", 3))
    await deliver(uow, touch(2, "spring  WEBINAR", 2))
    [created] = [c for c in uow.campaigns.rows.values() if c.name == "Spring webinar"]
    assert created.created_by == "engagement from marketo"
    assert uow.types().count("campaign.created") == 1
    await deliver(uow, touch(1, "", 1))
    assert len(uow.touches.rows) == 2


async def test_membership_and_amount_changes_refresh_that_opp_and_keep_history() -> None:
    uow = await world()
    await deliver(uow, touch(1, "Webinar", 3))
    await deliver(uow, touch(2, "Ebook", 2))
    uow.credits.refreshed.clear()
    before = datetime.now(UTC)
    await deliver(uow, member("o1", 2, "removed"), at=before + timedelta(seconds=1))
    assert uow.credits.refreshed == [["o1"]]
    assert [c.campaign_id for c in uow.credits.rows["o1"].credits] == [
        uow.touches.rows["e-1-Webinar-3"].campaign_id
    ]
    changed = OppUpdated(opp_id="o1", account_id="a1", type="acquisition", changed={"amount": 300.0},
                         previous={"amount": 100.0}, actor="t", at=before + timedelta(seconds=2))  # fmt: skip
    await deliver(uow, changed)
    assert uow.credits.rows["o1"].credits[0].cents["linear"] == 30000
    [then] = await attribute.compute(uow, SETTINGS, ["o1"], before)
    assert then.opp.amount_cents == 10000 and len(then.selection.counted) == 2


async def test_a_late_conversion_refreshes_the_contacts_opps() -> None:
    uow = await world()
    await deliver(uow, member("o1", 5))  # confirmed before the person's conversion arrived
    await deliver(uow, touch(5, "Webinar", 1))
    assert "o1" not in {o for batch in uow.credits.refreshed[1:] for o in batch}
    for event in person(5):
        await deliver(uow, event)
    assert len(uow.credits.rows["o1"].selection.counted) == 1


async def test_rebuild_attributes_every_opp() -> None:
    uow = await world()
    await deliver(uow, touch(1, "Webinar", 3))
    uow.credits.rows.clear()
    assert await attribute.rebuild(lambda: uow, SETTINGS) == 2
    assert set(uow.credits.rows) == {"o1", "o2"}


async def test_campaigns_are_created_changed_and_refused_by_name() -> None:
    uow = FakeAttributionUnitOfWork()
    made = await campaigns.create(uow, CampaignIn(name="Q4 Webinar", channel="webinar", cost=500), "ann")
    assert made.created_by == "ann" and uow.types() == ["campaign.created"]
    with pytest.raises(Conflict):
        await campaigns.create(uow, CampaignIn(name="q4 webinar"), "ann")
    changed = await campaigns.change(uow, made.campaign_id, CampaignPatch(cost=750))
    assert changed.version == 2 and uow.events("campaign.updated")[-1]["changed"] == ["cost"]
    same = await campaigns.change(uow, made.campaign_id, CampaignPatch(cost=750))
    assert same.version == 2 and uow.types().count("campaign.updated") == 1  # nothing changed: no event
    assert uow.credits.regrouped == []  # the cost moves no opp between channels or programs
    await campaigns.change(uow, made.campaign_id, CampaignPatch(channel="event", program="Field"))
    assert uow.credits.regrouped == [(made.campaign_id, "event", "Field")]
    with pytest.raises(NotFound):
        await campaigns.get(uow, "nope")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(1234.56, 123456), ("99.99", 9999), (None, None), ("n/a", None), (float("inf"), None), (True, None)],
)
def test_amounts_become_cents_and_what_is_no_number_is_unknown(amount: object, expected: int | None) -> None:
    assert cents(amount) == expected
