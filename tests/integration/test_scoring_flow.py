"""Scoring on a real database and broker: events in, stored scores and `lead.scored` out."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from services.scoring.app.decay import decay_pass
from services.scoring.settings import ScoringSettings
from shared.events import (
    AccountCreated,
    AccountUpdated,
    EngagementRecorded,
    Event,
    LeadConverted,
    LeadCreated,
    LeadRejected,
    OppContactRoleChanged,
    OppCreated,
    OppStageChanged,
)
from tests.conftest import as_, make_settings
from tests.support.db import fetch, scalar
from tests.support.events import send
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually

NOW = datetime.now(UTC)


class Scoring:
    """The scoring service in this process, and a producer that plays every other service."""

    def __init__(self, stack: InProcessStack, producer: AIOKafkaProducer, settings: dict[str, Any]) -> None:
        self.stack, self.producer, self.settings = stack, producer, settings
        self.client = stack.client("scoring")
        self.database_url: str = settings["database_url"]

    async def publish(self, *events: Event, version: int = 1) -> None:
        for event in events:
            await send(self.producer, self.settings["kafka_topic_prefix"], event, version)

    async def score(self, person_id: str, until: Any = bool) -> dict[str, Any]:
        async def found() -> dict[str, Any] | None:
            response = await self.client.get(f"/v1/scores/{person_id}")
            body = response.json() if response.status_code == 200 else None
            return body if body and until(body) else None

        return await eventually(found, timeout=180)  # generous: CI shares two cores

    async def emitted(self, person_id: str) -> list[dict[str, Any]]:
        rows = await fetch(
            self.database_url,
            "SELECT payload FROM scoring.outbox"
            " WHERE headers->>'ce_type' = 'lead.scored' AND key = $1 ORDER BY seq",
            person_id,
        )
        return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]


@pytest.fixture
async def scoring(database_url: str, broker: Broker) -> AsyncIterator[Scoring]:
    settings = make_settings(database_url, broker.bootstrap, scoring_decay_interval_seconds=3600)
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    await producer.start()
    try:
        async with InProcessStack(settings, names=("scoring",)) as stack:
            await stack.wait_connected()
            yield Scoring(stack, producer, settings)
    finally:
        await producer.stop()


def lead(title: str = "VP Marketing", **fields: Any) -> LeadCreated:
    lead_id = str(uuid.uuid4())
    domain = f"s{uuid.uuid4().hex[:8]}.example"
    values = {"employees": 500, "industry": "Software", "country": "US", **fields}
    return LeadCreated(
        lead_id=lead_id, source="test", email=f"p@{domain}", email_domain=domain, title=title, **values
    )


def engagement(lead_id: str, kind: str, at: datetime = NOW, **fields: Any) -> EngagementRecorded:
    return EngagementRecorded(
        engagement_id=str(uuid.uuid4()),
        lead_id=lead_id,
        email="p@x.example",
        kind=kind,
        occurred_at=at,
        **fields,
    )  # type: ignore[arg-type]


async def test_score_reasons_and_events_only_on_a_step_or_a_threshold(scoring: Scoring) -> None:
    person = lead()  # fit 20 + 10 + 10 + 10 + 10 = 60
    await scoring.publish(person)
    score = await scoring.score(person.lead_id)
    assert score["fit"] == 60.0 and score["lifecycle_stage"] == "prospect"
    assert score["model_version"] == ScoringSettings().scoring_model.version

    day = datetime.combine(NOW.date(), datetime.min.time(), UTC) + timedelta(hours=12)
    opens = [engagement(person.lead_id, "email_open", day - timedelta(minutes=i)) for i in range(6)]
    await scoring.publish(*opens)  # 1 point each, capped at 3 a day: never a step of 5

    async def points() -> list[float]:
        sql = "SELECT points FROM scoring.engagements WHERE person_id = $1 ORDER BY points"
        found = [r[0] for r in await fetch(scoring.database_url, sql, person.lead_id)]
        return found if len(found) == 6 else []

    assert await eventually(points) == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert (await scoring.score(person.lead_id))["behaviour"] == pytest.approx(3.0, abs=0.1)
    assert len(await scoring.emitted(person.lead_id)) == 1

    await scoring.publish(
        engagement(person.lead_id, "page_view", url="https://acme.com/pricing"),
        engagement(person.lead_id, "meeting"),
        engagement(person.lead_id, "form_submit", properties={"budget": "approved"}),
    )
    score = await scoring.score(person.lead_id, until=lambda s: s["lifecycle_stage"] == "mql")
    assert score["fit"] == 75.0 and score["score"] >= 100
    rules = {r["rule"] for r in score["reasons"]}
    assert {"page_view_pricing", "meeting", "bant_budget_approved", "email_open"} <= rules
    assert all(r["kind"] in ("fit", "negative", "behaviour") for r in score["reasons"])

    events = await scoring.emitted(person.lead_id)
    mql = [e for e in events if e["lifecycle_stage"] == "mql"]
    assert len(mql) == 1  # the threshold is crossed once
    assert mql[0]["previous_lifecycle_stage"] == "prospect" and mql[0]["lifecycle_actor"] == "rules"
    assert mql[0]["previous_score"] == events[events.index(mql[0]) - 1]["score"]
    assert mql[0]["model_version"] == score["model_version"]


async def test_unsubscribe_and_bounce_are_negative_and_do_not_decay(scoring: Scoring) -> None:
    person = lead(title="Analyst", employees=None, industry=None, country=None)
    await scoring.publish(person)
    await scoring.score(person.lead_id)
    await scoring.publish(
        engagement(person.lead_id, "unsubscribe"),
        engagement(person.lead_id, "email_click", properties={"bounced": True}),
    )
    score = await scoring.score(person.lead_id, until=lambda s: s["negative"] == -80.0)
    assert {r["rule"] for r in score["reasons"] if r["kind"] == "negative"} == {
        "unsubscribed",
        "email_bounced",
    }


async def test_a_lead_rejected_in_review_scores_the_rejection(scoring: Scoring) -> None:
    person = lead()
    await scoring.publish(
        person, LeadRejected(lead_id=person.lead_id, reason="spam", rejected_by="ops@acme.com")
    )
    score = await scoring.score(person.lead_id, until=lambda s: s["negative"] == -100.0)
    assert [r["rule"] for r in score["reasons"] if r["kind"] == "negative"] == ["lead_rejected"]
    assert score["score"] == score["fit"] - 100


async def test_a_converted_lead_history_follows_it_to_the_contact_and_two_leads_merge(
    scoring: Scoring,
) -> None:
    first, second = lead(), lead(title="Director of IT")
    contact_id, account_id = str(uuid.uuid4()), str(uuid.uuid4())
    await scoring.publish(first, second)
    await scoring.publish(
        engagement(first.lead_id, "download"), engagement(second.lead_id, "webinar_attended")
    )
    await scoring.score(first.lead_id, until=lambda s: s["behaviour"] > 0)
    await scoring.score(second.lead_id, until=lambda s: s["behaviour"] > 0)

    for converted in (first, second):  # one after the other: the first lead's person holds the contact
        if converted is second:
            await scoring.score(first.lead_id, until=lambda s: s["contact_id"])
        await scoring.publish(
            LeadConverted(
                lead_id=converted.lead_id,
                contact_id=contact_id,
                account_id=account_id,
                account_created=False,
                method="email_domain",
                confidence=1.0,
                explanation="test",
                email=converted.email,
            )
        )
    merged = await scoring.score(contact_id, until=lambda s: s["behaviour"] > 20)
    assert merged["person_id"] == first.lead_id and merged["account_id"] == account_id
    assert merged["behaviour"] == pytest.approx(10 + 15, abs=0.1)
    assert (await scoring.score(second.lead_id))["person_id"] == first.lead_id
    # Engagement of the merged lead now scores the one person.
    await scoring.publish(engagement(second.lead_id, "call"))
    after = await scoring.score(contact_id, until=lambda s: s["behaviour"] > 35)
    assert after["behaviour"] == pytest.approx(40, abs=0.1)
    rows = await fetch(
        scoring.database_url,
        "SELECT count(*) FROM scoring.people WHERE person_id = ANY($1::text[])",
        [first.lead_id, second.lead_id],
    )
    assert rows[0][0] == 1
    assert (await scoring.emitted(first.lead_id))[-1]["contact_id"] == contact_id


async def test_the_decay_pass_emits_only_for_people_whose_decayed_score_is_news(scoring: Scoring) -> None:
    person = lead()  # fit 60, then 50 behaviour points: 110
    kinds = ("meeting", "call", "download")
    await scoring.publish(person, *[engagement(person.lead_id, kind) for kind in kinds])
    await scoring.score(person.lead_id, until=lambda s: s["behaviour"] > 49)
    before = len(await scoring.emitted(person.lead_id))
    runtime = scoring.stack.runtime("scoring")
    settings = runtime.settings
    assert isinstance(settings, ScoringSettings)

    await decay_pass(runtime.uow, settings, datetime.now(UTC) + timedelta(hours=1))
    assert len(await scoring.emitted(person.lead_id)) == before  # 110 -> 109.95: not news
    later = await decay_pass(runtime.uow, settings, datetime.now(UTC) + timedelta(days=60))
    events = await scoring.emitted(person.lead_id)
    assert later.rescored >= 1 and len(events) == before + 1
    assert events[-1]["behaviour"] == pytest.approx(12.5, abs=0.1)  # 50 points after two half-lives
    assert events[-1]["previous_score"] == pytest.approx(110, abs=0.1)
    assert events[-1]["lifecycle_stage"] == "mql"  # decay never demotes
    await decay_pass(runtime.uow, settings, datetime.now(UTC) + timedelta(days=60))
    assert len(await scoring.emitted(person.lead_id)) == before + 1
    due = await fetch(
        scoring.database_url, "SELECT due_at FROM scoring.people WHERE person_id = $1", person.lead_id
    )
    assert due[0][0] > datetime.now(UTC) + timedelta(days=60)


async def test_lifecycle_moves_by_sales_are_recorded_and_emitted(scoring: Scoring) -> None:
    person = lead()
    await scoring.publish(person, *[engagement(person.lead_id, k) for k in ("meeting", "call", "download")])

    async def all_scored() -> bool:  # else a late one re-qualifies the recycled person (an MQL again)
        sql = "SELECT count(*) FROM scoring.engagements WHERE person_id = $1"
        return await scalar(scoring.database_url, sql, person.lead_id) == 3

    await eventually(all_scored)
    await scoring.score(person.lead_id, until=lambda s: s["lifecycle_stage"] == "mql")
    client, path = scoring.client, f"/v1/people/{person.lead_id}/lifecycle"

    assert (await client.post(path, json={"stage": "customer"})).status_code == 422
    assert (await client.post(path, json={"stage": "sal"}, headers=as_("ann"))).status_code == 200
    assert (await client.post(path, json={"stage": "sql"})).status_code == 200
    refused = await client.post(path, json={"stage": "sal"})
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "stage"
    assert "cannot move from sql to sal" in refused.json()["detail"]
    no_reason = await client.post(path, json={"stage": "nurture"})
    assert no_reason.status_code == 409 and "reason" in no_reason.json()["detail"]
    recycled = await client.post(path, json={"stage": "nurture", "reason": "project slipped to next year"})
    body = recycled.json()
    assert body["lifecycle_stage"] == "nurture"
    assert [(c["from_stage"], c["to_stage"]) for c in body["history"]] == [
        ("suspect", "prospect"), ("prospect", "mql"), ("mql", "sal"), ("sal", "sql"), ("sql", "nurture"),
    ]  # fmt: skip
    assert body["history"][2]["actor"] == "ann"
    assert body["history"][-1]["reason"] == "project slipped to next year"
    stages = [e["lifecycle_stage"] for e in await scoring.emitted(person.lead_id)]
    # An engagement scored between the moves emits its stage again: the moves are the changes.
    changes = [stage for n, stage in enumerate(stages) if n == 0 or stages[n - 1] != stage]
    assert changes[-3:] == ["sal", "sql", "nurture"]
    assert (await client.get("/v1/people/nobody/lifecycle")).status_code == 404


async def test_buying_group_engagement_and_deal_stages_from_opportunity_events(scoring: Scoring) -> None:
    account_id, opp_id = str(uuid.uuid4()), str(uuid.uuid4())
    champion, buyer, quiet = lead(), lead(title="CFO"), lead(title="Engineer")
    contacts = {p.lead_id: str(uuid.uuid4()) for p in (champion, buyer, quiet)}
    await scoring.publish(champion, buyer, quiet)
    await scoring.publish(
        engagement(champion.lead_id, "meeting"),
        engagement(buyer.lead_id, "download", NOW - timedelta(days=40)),
    )
    for person in (champion, buyer, quiet):
        await scoring.publish(
            LeadConverted(
                lead_id=person.lead_id,
                contact_id=contacts[person.lead_id],
                account_id=account_id,
                account_created=False,
                method="email_domain",
                confidence=1.0,
                explanation="test",
                email=person.email,
            )
        )
    await scoring.publish(
        OppCreated(
            opp_id=opp_id, account_id=account_id, type="acquisition", stage="target", created_by="test"
        )
    )
    for person, role in ((champion, "champion"), (buyer, "economic_buyer"), (quiet, "user")):
        await scoring.publish(
            OppContactRoleChanged(
                opp_id=opp_id,
                account_id=account_id,
                contact_id=contacts[person.lead_id],
                role=role,
                change="added",
            )
        )

    async def group() -> dict[str, Any] | None:
        response = await scoring.client.get(f"/v1/opportunities/{opp_id}/buying-group-engagement")
        body = response.json() if response.status_code == 200 else None
        return body if body and len(body["members"]) == 3 and body["total_engagement"] > 25 else None

    body = await eventually(group, timeout=180)
    assert body["engaged"] == [contacts[champion.lead_id]]
    assert set(body["not_engaged"]) == {contacts[buyer.lead_id], contacts[quiet.lead_id]}
    assert body["roles_not_covered"] == ["decision_maker", "influencer", "technical_buyer"]
    assert body["total_engagement"] == pytest.approx(25 + 10 * 0.5 ** (40 / 30), abs=0.1)
    assert body["average_engagement"] == pytest.approx(body["total_engagement"] / 3, abs=0.01)
    account = (await scoring.client.get(f"/v1/accounts/{account_id}/buying-group-engagement")).json()
    assert account["total_engagement"] == body["total_engagement"] and account["opp_id"] is None
    assert (await scoring.score(champion.lead_id))["lifecycle_stage"] == "opportunity"

    await scoring.publish(
        OppStageChanged(
            opp_id=opp_id,
            account_id=account_id,
            type="acquisition",
            from_stage="pipeline",
            to_stage="closed_won",
            at=datetime.now(UTC),
            actor="ae@acme.com",
        )
    )
    won = await scoring.score(quiet.lead_id, until=lambda s: s["lifecycle_stage"] == "customer")
    assert won["contact_id"] == contacts[quiet.lead_id]
    await scoring.publish(
        OppContactRoleChanged(
            opp_id=opp_id,
            account_id=account_id,
            contact_id=contacts[quiet.lead_id],
            role="user",
            change="removed",
        )
    )

    async def removed() -> bool:
        response = await scoring.client.get(f"/v1/opportunities/{opp_id}/buying-group-engagement")
        return len(response.json()["members"]) == 2

    await eventually(removed, timeout=180)
    assert (await scoring.client.get("/v1/opportunities/unknown/buying-group-engagement")).status_code == 404


async def test_the_scheduled_decay_pass_emits_decayed_scores_by_itself(
    database_url: str, broker: Broker
) -> None:
    """A half-life of about nine seconds and a pass every half second: the service re-emits the
    person's score as it decays, each event a step below the last."""
    settings = make_settings(
        database_url, broker.bootstrap, scoring_half_life_days=0.0001, scoring_decay_interval_seconds=0.5
    )
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    await producer.start()
    try:
        async with InProcessStack(settings, names=("scoring",)) as stack:
            await stack.wait_connected()
            scoring = Scoring(stack, producer, settings)
            person = lead(title="Analyst", employees=None, industry=None, country=None)
            await scoring.publish(person, engagement(person.lead_id, "meeting", datetime.now(UTC)))

            async def decayed() -> list[dict[str, Any]]:
                events = await scoring.emitted(person.lead_id)
                return events if len(events) >= 4 else []

            events = await eventually(decayed, timeout=180)
    finally:
        await producer.stop()
    scores = [e["score"] for e in events]
    assert max(scores) >= 20 and scores[-1] < scores[-2] < scores[-3]
    assert all(e["previous_score"] - e["score"] >= 5 for e in events[-2:])
    assert all(e["model_version"].endswith("+half-life-0.0001d") for e in events)


async def test_an_account_fills_fit_the_lead_left_out_and_a_customer_account_makes_customers(
    scoring: Scoring,
) -> None:
    account_id, contact_id = str(uuid.uuid4()), str(uuid.uuid4())
    person = lead(title="VP Sales", employees=None, industry=None, country=None)  # fit 20 + 10
    firmographics = {
        "account_id": account_id,
        "name": "Acme",
        "industry": "SaaS",
        "employees": 5000,
        "country": "GB",
    }
    await scoring.publish(person, AccountCreated(**firmographics), version=1)
    await scoring.score(person.lead_id)
    await scoring.publish(
        LeadConverted(
            lead_id=person.lead_id,
            contact_id=contact_id,
            account_id=account_id,
            account_created=True,
            method="created",
            confidence=1.0,
            explanation="test",
            email=person.email,
        )
    )
    converted = await scoring.score(contact_id)
    assert converted["fit"] == 30 + 15 + 10 + 10  # employees, industry and country from the account
    assert converted["lifecycle_stage"] == "prospect"

    await scoring.publish(AccountUpdated(**firmographics, is_customer=True), version=2)
    customer = await scoring.score(contact_id, until=lambda s: s["lifecycle_stage"] == "customer")
    history = (await scoring.client.get(f"/v1/people/{contact_id}/lifecycle")).json()["history"]
    assert history[-1]["actor"] == "account" and "customer" in history[-1]["reason"]
    assert customer["fit"] == converted["fit"]
    await scoring.publish(AccountUpdated(**{**firmographics, "employees": 10}), version=1)  # stale: ignored
    await scoring.publish(AccountUpdated(**{**firmographics, "country": "US"}, is_customer=True), version=3)

    async def account() -> list[Any]:
        sql = "SELECT employees, country FROM scoring.accounts WHERE account_id = $1"
        rows = await fetch(scoring.database_url, sql, account_id)
        return rows if rows and rows[0][1] == "US" else []  # the same partition: the stale one came first

    assert tuple((await eventually(account))[0]) == (5000, "US")
