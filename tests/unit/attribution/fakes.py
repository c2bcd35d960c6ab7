"""Attribution's unit of work in memory (the reports' counting is SQL: tested on PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from services.attribution.app.models import Campaign, LeadFacts, MembershipChange, OppChange, TouchIn
from services.attribution.app.uow import AttributionUnitOfWork
from services.attribution.domain.campaigns import Reference, name_key
from services.attribution.domain.touches import Attribution, Opp, Touch
from tests.support.fakes import FakeUnitOfWork

FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


class FakeCampaigns:
    def __init__(self) -> None:
        self.rows: dict[str, Campaign] = {}

    async def get(self, campaign_id: str) -> Campaign | None:
        return self.rows.get(campaign_id)

    async def find(self, ref: Reference) -> Campaign | None:
        by_id = [c for c in self.rows.values() if ref.external_id and c.external_id == ref.external_id]
        by_id.sort(key=lambda c: c.source != ref.source)
        by_name = [c for c in self.rows.values() if ref.name and name_key(c.name) == name_key(ref.name)]
        return (by_id or by_name or [None])[0]

    def _taken(self, campaign: Campaign) -> bool:
        return any(
            c.campaign_id != campaign.campaign_id
            and (
                name_key(c.name) == name_key(campaign.name)
                or (
                    campaign.external_id
                    and (c.source, c.external_id) == (campaign.source, campaign.external_id)
                )
            )
            for c in self.rows.values()
        )

    async def add(self, campaign: Campaign) -> bool:
        if self._taken(campaign):
            return False
        self.rows[campaign.campaign_id] = campaign
        return True

    async def save(self, campaign: Campaign) -> bool:
        return await self.add(campaign)

    async def list(
        self, *, channel: str | None, program: str | None, limit: int, offset: int
    ) -> list[Campaign]:
        return list(self.rows.values())[offset : offset + limit]


class FakePeople:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def lock(self, *, leads: Sequence[str] = (), contacts: Sequence[str] = ()) -> None:
        pass

    def _row(self, lead_id: str) -> dict[str, Any]:
        return self.rows.setdefault(lead_id, {"contact_id": None, "account_id": None, "created": None,
                                              "campaign": None, "erased": False})  # fmt: skip

    async def created(self, lead_id: str, at: datetime, original_campaign_id: str | None) -> None:
        row = self._row(lead_id)
        if not row["erased"]:
            row["created"], row["campaign"] = (
                min(filter(None, [row["created"], at])),
                row["campaign"] or original_campaign_id,
            )

    async def converted(self, lead_id: str, contact_id: str, account_id: str) -> None:
        self._row(lead_id).update(contact_id=contact_id, account_id=account_id)

    async def contact_of(self, lead_id: str) -> str | None:
        row = self.rows.get(lead_id)
        return row["contact_id"] if row and not row["erased"] else None

    async def is_erased(self, lead_id: str) -> bool:
        return bool(self.rows.get(lead_id, {}).get("erased"))

    async def facts(self, contact_ids: Sequence[str]) -> list[LeadFacts]:
        rows = [
            (lid, r) for lid, r in self.rows.items() if r["contact_id"] in contact_ids and not r["erased"]
        ]
        ordered = sorted(rows, key=lambda x: x[1]["created"] or FOREVER)
        return [
            LeadFacts(
                contact_id=r["contact_id"], lead_created_at=r["created"], original_campaign_id=r["campaign"]
            )
            for _, r in ordered
        ]

    async def erase(self, lead_ids: Sequence[str], contact_ids: Sequence[str]) -> list[str]:
        raise NotImplementedError("erasure is SQL: tested through the broker")


class FakeTouches:
    def __init__(self, people: FakePeople) -> None:
        self.rows: dict[str, TouchIn] = {}
        self._people = people

    async def add(self, touch: TouchIn) -> bool:
        self._people._row(touch.lead_id)
        if touch.touch_id in self.rows:
            return False
        self.rows[touch.touch_id] = touch
        return True

    async def around(
        self, account_ids: Sequence[str], contact_ids: Sequence[str], since: datetime
    ) -> list[tuple[str | None, Touch]]:
        out = []
        for t in self.rows.values():
            person = self._people.rows[t.lead_id]
            if (
                person["account_id"] in account_ids or person["contact_id"] in contact_ids
            ) and t.occurred_at >= since:
                touch = Touch(
                    t.touch_id, person["contact_id"] or t.lead_id, t.campaign_id, t.kind, t.occurred_at
                )
                out.append((person["account_id"], touch))
        return out


class FakeOpps:
    def __init__(self) -> None:
        self.rows: dict[str, OppChange] = {}
        self.amounts: list[tuple[str, datetime, int | None]] = []
        self.stages: list[tuple[str, datetime, str]] = []
        self.members: list[dict[str, Any]] = []

    async def apply(self, change: OppChange) -> None:
        known = self.rows.get(change.opp_id)
        created = min(filter(None, [known.created_at if known else None, change.created_at]), default=None)
        self.rows[change.opp_id] = change.model_copy(update={"created_at": created})
        if change.amount_given:
            self.amounts.append((change.opp_id, change.at, change.amount_cents))
        if change.stage is not None:
            self.stages.append((change.opp_id, change.at, change.stage))

    async def as_of(self, opp_ids: Sequence[str], at: datetime | None) -> list[Opp]:
        at = at or FOREVER
        out = []
        for opp_id in sorted(opp_ids):
            row = self.rows.get(opp_id)
            if row is None or row.created_at is None or row.created_at > at:
                continue
            amount = [a for o, when, a in self.amounts if o == opp_id and when <= at]
            stage = [(when, s) for o, when, s in self.stages if o == opp_id and when <= at]
            closed = stage[-1] if stage and stage[-1][1] in ("closed_won", "closed_lost") else None
            won = bool(closed and closed[1] == "closed_won")
            cents = (amount or [0])[-1] or 0
            out.append(
                Opp(
                    opp_id,
                    row.account_id,
                    row.type,
                    row.created_at,
                    cents,
                    closed[0] if closed else None,
                    won,
                )
            )
        return out

    async def change_member(self, change: MembershipChange) -> None:
        for m in self.members:
            if (m["opp_id"], m["contact_id"], m["to"]) == (change.opp_id, change.contact_id, None):
                m["to"] = change.at
        if change.status is not None:
            self.members.append({"opp_id": change.opp_id, "contact_id": change.contact_id,
                                 "status": change.status, "from": change.at, "to": None})  # fmt: skip

    async def confirmed(self, opp_ids: Sequence[str], at: datetime | None) -> dict[str, set[str]]:
        at = at or FOREVER
        out: dict[str, set[str]] = {}
        for m in self.members:
            if (
                m["opp_id"] in opp_ids
                and m["status"] == "confirmed"
                and m["from"] <= at
                and (m["to"] is None or m["to"] > at)
            ):
                out.setdefault(m["opp_id"], set()).add(m["contact_id"])
        return out

    async def of_contacts(self, contact_ids: Sequence[str]) -> list[str]:
        current = [m for m in self.members if m["to"] is None and m["status"] == "confirmed"]
        return sorted({m["opp_id"] for m in current if m["contact_id"] in contact_ids})

    async def ids(
        self,
        *,
        opp_type: str | None,
        created_before: datetime | None,
        batch: int,
        created_from: datetime | None = None,
    ) -> AsyncIterator[list[str]]:
        found = sorted(self.rows)
        for i in range(0, len(found), batch):
            yield found[i : i + batch]


class FakeCredits:
    def __init__(self) -> None:
        self.rows: dict[str, Attribution] = {}
        self.refreshed: list[list[str]] = []
        self.regrouped: list[tuple[str, str | None, str | None]] = []

    async def lock(self, opp_ids: Sequence[str]) -> None:
        pass

    async def reconcile(self) -> None:
        self.reconciled = True

    async def regroup(self, campaign_id: str, *, channel: str | None, program: str | None) -> None:
        self.regrouped.append((campaign_id, channel, program))

    async def replace(self, opp_ids: Sequence[str], attributions: Sequence[Attribution]) -> None:
        self.refreshed.append(list(opp_ids))
        for opp_id in opp_ids:
            self.rows.pop(opp_id, None)
        self.rows.update((a.opp.opp_id, a) for a in attributions)


class FakeAttributionUnitOfWork(FakeUnitOfWork, AttributionUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.campaigns = FakeCampaigns()
        self.people = FakePeople()
        self.touches = FakeTouches(self.people)
        self.opps = FakeOpps()
        self.credits = FakeCredits()
