"""The matcher on a real PostgreSQL and broker: candidates from the indexes, decisions, and
conversion without duplicate contacts under concurrent deliveries."""

from __future__ import annotations

import asyncio
import random
import string
import uuid
from datetime import UTC, datetime
from typing import Any

from services.matcher.app.handlers import on_lead_created
from services.matcher.settings import MatcherSettings
from shared.events import Envelope, LeadCreated, OppCreated, OppStageChanged
from tests.conftest import make_settings
from tests.support.db import fetch, scalar
from tests.support.events import publish
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually


def word(n: int = 7) -> str:
    """A made-up word, so this test's names never meet another test's."""
    return "".join(random.choices(string.ascii_lowercase, k=n)).capitalize()


def lead(email: str, **fields: Any) -> LeadCreated:
    domain = email.split("@")[1]
    free = domain in ("gmail.com", "yahoo.com")
    return LeadCreated(
        lead_id=str(uuid.uuid4()),
        source="test",
        email=email,
        email_domain=domain,
        is_free_mail=free,
        **fields,
    )


async def test_leads_match_by_name_typo_subsidiary_domain_and_look_alikes_do_not(
    database_url: str, broker: Broker
) -> None:
    brand, other = word(), word()
    settings = make_settings(database_url, broker.bootstrap)
    async with InProcessStack(settings, names=("matcher",)) as stack:
        await stack.wait_connected()
        matcher = stack.client("matcher")

        async def account(**body: Any) -> str:
            response = await matcher.post("/v1/accounts", json=body)
            assert response.status_code == 201, response.text
            return str(response.json()["account_id"])

        parent = await account(name=f"{brand} Holdings Inc.", domains=[f"{brand.lower()}.com"], country="US")
        child = await account(name=f"{brand} Robotics GmbH", parent_id=parent, country="DE", owner="dora")
        plain = await account(name=f"{other} Instruments Ltd", domains=[f"{other.lower()}-inst.co.uk"])
        leads = {
            "by_name": lead(f"ann-{word()}@gmail.com", company=f"The {other} Instruments Limited"),
            "typo": lead(f"bob-{word()}@gmail.com", company=f"{other} Instrumnets"),
            "subdomain": lead(f"cy@mail.{other.lower()}-inst.co.uk"),
            "subsidiary": lead(f"dee@{brand.lower()}.com", company=f"{brand} Robotics"),
            "look_alike": lead(f"eve@{other.lower()}dental.com", company=f"{other} Instruments Dental"),
            "uncertain": lead(f"fay-{word()}@gmail.com", company=f"{other} Instruments Group"),
        }
        await publish(broker, settings["kafka_topic_prefix"], *((event, 1) for event in leads.values()))

        async def decided() -> dict[str, dict[str, Any]] | None:
            found = {k: (await matcher.get(f"/v1/leads/{e.lead_id}/match")).json() for k, e in leads.items()}
            return found if all(m["status"] != "pending" for m in found.values()) else None

        matches = await eventually(decided)
    assert (matches["by_name"]["status"], matches["by_name"]["method"]) == ("matched", "exact_name")
    assert (matches["typo"]["account_id"], matches["typo"]["method"]) == (plain, "fuzzy_name")
    assert (matches["subdomain"]["account_id"], matches["subdomain"]["method"]) == (plain, "email_domain")
    assert matches["subsidiary"]["account_id"] == child and matches["subsidiary"]["owner"] == "dora"
    assert "child_before_parent" in matches["subsidiary"]["explanation"]
    assert matches["look_alike"]["status"] == "account_created"
    assert f"{other} Instruments Ltd [look_alike" in matches["look_alike"]["explanation"]
    assert (matches["uncertain"]["status"], matches["uncertain"]["account_id"]) == ("in_review", plain)
    review = await fetch(
        database_url,
        "SELECT candidates FROM matcher.review_items WHERE lead_id = $1",
        leads["uncertain"].lead_id,
    )
    assert len(review) == 1


async def test_concurrent_deliveries_never_duplicate_a_contact(database_url: str, broker: Broker) -> None:
    settings = MatcherSettings(**make_settings(database_url, broker.bootstrap))
    domain = f"{word().lower()}.example"
    async with InProcessStack(make_settings(database_url, broker.bootstrap), names=("matcher",)) as stack:
        runtime = stack.runtime("matcher")

        async def deliver(event: LeadCreated) -> None:
            async with runtime.uow() as uow:
                envelope = Envelope("e", "test", event.TYPE, event.lead_id, datetime.now(UTC), {})
                await on_lead_created(event, envelope, uow, settings)
                await uow.commit()

        for n in range(8):
            email = f"person{n}@{domain}"
            first, second = lead(email, company="Same Person Co"), lead(email, company="Same Person Co")
            # two leads of one person, and the same lead delivered twice, all at once
            await asyncio.gather(deliver(first), deliver(second), deliver(first))
    contacts = await fetch(
        database_url,
        "SELECT email, count(*) AS n FROM matcher.contacts WHERE email LIKE $1 GROUP BY email",
        f"%@{domain}",
    )
    assert len(contacts) == 8 and all(row["n"] == 1 for row in contacts)
    assert (
        await scalar(database_url, "SELECT count(*) FROM matcher.accounts WHERE $1 = ANY(domains)", domain)
        == 1
    )
    per_lead = await fetch(
        database_url,
        "SELECT count(*) AS n FROM matcher.outbox WHERE headers->>'ce_type' = 'lead.converted'"
        " AND payload->>'email' LIKE $1 GROUP BY key",
        f"%@{domain}",
    )
    assert len(per_lead) == 16 and all(row["n"] == 1 for row in per_lead)
    same_contact = await scalar(
        database_url,
        "SELECT count(DISTINCT contact_id) FROM matcher.matches m JOIN matcher.contacts c USING (contact_id)"
        " WHERE c.email LIKE $1",
        f"%@{domain}",
    )
    assert same_contact == 8


async def test_an_open_opp_from_opp_events_breaks_a_tie_between_same_named_accounts(
    database_url: str, broker: Broker
) -> None:
    name = f"{word()} {word()}"
    settings = make_settings(database_url, broker.bootstrap)
    async with InProcessStack(settings, names=("matcher",)) as stack:
        await stack.wait_connected()
        matcher = stack.client("matcher")
        ids = [
            (await matcher.post("/v1/accounts", json={"name": name})).json()["account_id"] for _ in range(2)
        ]
        opp_id = str(uuid.uuid4())
        opened = OppCreated(
            opp_id=opp_id, account_id=ids[1], type="acquisition", stage="target", created_by="t"
        )
        await publish(broker, settings["kafka_topic_prefix"], (opened, 1))

        async def counted() -> bool:
            return (
                await scalar(
                    database_url, "SELECT open_opps FROM matcher.accounts WHERE account_id = $1", ids[1]
                )
                == 1
            )

        await eventually(counted)
        chooser = lead(f"z-{word()}@gmail.com", company=name)
        await publish(broker, settings["kafka_topic_prefix"], (chooser, 1))

        async def decided() -> dict[str, Any] | None:
            match: dict[str, Any] = (await matcher.get(f"/v1/leads/{chooser.lead_id}/match")).json()
            return match if match["status"] != "pending" else None

        match = await eventually(decided)
        assert match["account_id"] == ids[1] and "broken by the rule 'open_opp'" in match["explanation"]
        closed = OppStageChanged(
            opp_id=opp_id,
            account_id=ids[1],
            type="acquisition",
            from_stage="target",
            to_stage="closed_lost",
            at=datetime.now(UTC),
            actor="t",
        )
        await publish(broker, settings["kafka_topic_prefix"], (closed, 2))

        async def recounted() -> bool:
            return (
                await scalar(
                    database_url, "SELECT open_opps FROM matcher.accounts WHERE account_id = $1", ids[1]
                )
                == 0
            )

        await eventually(recounted)
