"""What the influence numbers mean: amounts in the currency's units, cost per opp, return on
cost; the same report as of a past date (buying groups, amounts and closes as they stood then);
an opp's touches with each model's split; a campaign's opps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from services.attribution.app import attribute
from services.attribution.app.uow import AttributionUnitOfWork
from services.attribution.domain.models import MODELS, ModelName
from services.attribution.domain.touches import Attribution
from services.attribution.settings import AttributionSettings
from shared.errors import NotFound

GROUPINGS = ("campaign", "channel", "program", "type", "month", "quarter")
MONEY = (
    "pipeline_sourced",
    "pipeline_influenced",
    "pipeline_attributed",
    "revenue_sourced",
    "revenue_attributed",
)
COUNTS = ("opps_sourced", "opps_influenced", "won_influenced")


def units(cents: int | Decimal | None) -> float:
    """Cents (SQL sums come as decimals) in the currency's units."""
    return round(int(cents or 0) / 100, 2)


def shaped(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in MONEY and k not in COUNTS}
    out |= {name: int(row.get(name) or 0) for name in COUNTS}
    out |= {name: units(row.get(name)) for name in MONEY}
    cost = row.get("cost")
    out["cost_per_opp"] = round(cost / out["opps_influenced"], 2) if cost and out["opps_influenced"] else None
    out["return_on_cost"] = round(out["revenue_attributed"] / cost, 4) if cost else None
    return out


async def influence(
    uow: AttributionUnitOfWork,
    settings: AttributionSettings,
    *,
    model: ModelName,
    group_by: str,
    opp_type: str | None,
    start: datetime | None,
    end: datetime | None,
    as_of: datetime | None,
) -> dict[str, Any]:
    """Per campaign (or channel, program, opp type, month, quarter): opps and pipeline sourced and
    influenced, pipeline and won revenue attributed by `model`, cost, cost per opp, return on cost.
    Periods and `start`/`end` are by the opp's creation. Without `as_of`, from the stored rows."""
    if as_of is not None:
        await uow.reports.stage([])  # the report reads the staged rows even when no opp is staged
        before = min(as_of, end) if end else as_of  # only the opps the report can show
        batches = uow.opps.ids(
            opp_type=opp_type,
            created_before=before,
            created_from=start,
            batch=settings.attribution_batch_size,
        )
        async for batch in batches:
            await uow.reports.stage(await attribute.compute(uow, settings, batch, as_of))
    rows = await uow.reports.influence(
        model=model, group_by=group_by, opp_type=opp_type, start=start, end=end, staged=as_of is not None
    )
    shaped_rows = sorted(
        (shaped(row) for row in rows),
        key=lambda r: (-r["revenue_attributed"], -r["pipeline_influenced"], str(r.get("name") or r["key"])),
    )
    return {
        "model": model,
        "group_by": group_by,
        "type": opp_type,
        "from": start,
        "to": end,
        "as_of": as_of,
        "rows": shaped_rows,
    }


def _touches(attribution: Attribution) -> list[dict[str, Any]]:
    return [
        {
            "touch_id": touch.touch_id,
            "contact_id": touch.person_id,
            "campaign_id": touch.campaign_id,
            "kind": touch.kind,
            "occurred_at": touch.occurred_at,
            "credit_cents": credit,
        }
        for touch, credit in zip(attribution.selection.counted, attribution.per_touch, strict=True)
    ]


async def opp_touches(
    uow: AttributionUnitOfWork, settings: AttributionSettings, opp_id: str, as_of: datetime | None
) -> dict[str, Any]:
    """The opp's counted touches (its confirmed members', in the window) with every model's split
    in cents, its milestones, and how many of the account's other touches and people were left out."""
    found = await attribute.compute(uow, settings, [opp_id], as_of)
    if not found:
        when = f" on {as_of.isoformat()}" if as_of else ""
        raise NotFound(f"No opportunity {opp_id}{when}.")
    a = found[0]
    marks = a.milestones
    return {
        "opp_id": opp_id,
        "as_of": as_of,
        "amount": units(a.opp.amount_cents),
        "amount_cents": a.opp.amount_cents,
        "is_won": a.opp.is_won,
        "closed_at": a.opp.closed_at,
        "created_at": a.opp.created_at,
        "touches": _touches(a),
        "excluded": a.selection.excluded_touches,
        "excluded_people": a.selection.excluded_people,
        "milestones": marks.__dict__ if marks else None,
        "sourced_campaign_id": a.sourced_campaign_id,
        "campaigns": [
            {
                "campaign_id": c.campaign_id,
                "touches": c.touches,
                "sourced": c.sourced,
                "credit_cents": c.cents,
            }
            for c in a.credits
        ],
        "models": list(MODELS),
    }


async def campaign_detail(
    uow: AttributionUnitOfWork, campaign_id: str, *, model: ModelName, limit: int
) -> dict[str, Any]:
    """The campaign, its totals under `model`, and the opps it touched or sourced (newest first)."""
    campaign = await uow.campaigns.get(campaign_id)
    if campaign is None:
        raise NotFound(f"No campaign {campaign_id}.")
    rows = await uow.reports.influence(
        model=model, group_by="campaign", opp_type=None, start=None, end=None, campaign_id=campaign_id
    )
    totals = shaped(rows[0]) if rows else {}
    opps = [
        {
            "opp_id": row["opp_id"],
            "type": row["opp_type"],
            "created_at": row["opp_created_at"],
            "is_won": row["is_won"],
            "amount": units(row["amount_cents"]),
            "touches": row["touches"],
            "sourced": row["sourced"],
            "attributed": units(row[model]),
            "credit_cents": {m: row[m] for m in MODELS},
        }
        for row in await uow.reports.campaign_opps(campaign_id, model=model, limit=limit)
    ]
    return {"campaign": campaign, "model": model, "totals": totals, "opps": opps}
