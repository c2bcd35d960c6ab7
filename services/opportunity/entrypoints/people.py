"""`POST /v1/opportunities/{opp_id}/people`: research-based identification. People found with a
prospecting tool (a JSON list or a CSV with a header row: email, first_name, last_name, title,
role) join the opp: a contact of its account at once; anyone else through the normal pipeline
(a lead, converted onto the opp's account), then onto the opp."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from pydantic import TypeAdapter, ValidationError

from services.opportunity.app import identification
from services.opportunity.entrypoints.deps import SettingsDep, UowDep
from services.opportunity.entrypoints.models import PersonIn, PersonOutcomeOut
from shared.app import CallerDep
from shared.errors import Invalid

router = APIRouter(tags=["buying group"])
MAX_PEOPLE = 1000
PEOPLE = TypeAdapter(list[PersonIn])


@router.post(
    "/opportunities/{opp_id}/people",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": PersonIn.model_json_schema()}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def identify_people(
    opp_id: str, request: Request, uow: UowDep, settings: SettingsDep, caller: CallerDep
) -> list[PersonOutcomeOut]:
    """Each person with a `role` is confirmed by the caller; without one, a potential member."""
    people = _parse(await request.body(), request.headers.get("content-type", ""))
    outcomes = await identification.identify_people(
        uow,
        settings,
        opp_id,
        [identification.PersonIn(**p.model_dump()) for p in people],
        actor=caller,
        now=datetime.now(UTC),
    )
    await uow.commit()
    return [PersonOutcomeOut.model_validate(vars(o)) for o in outcomes]


def _parse(body: bytes, content_type: str) -> list[PersonIn]:
    try:
        if content_type.split(";")[0].strip().lower() == "text/csv":
            rows = [
                {k: v for k, v in r.items() if k and v} for r in csv.DictReader(io.StringIO(body.decode()))
            ]
        else:
            rows = json.loads(body)
        people = PEOPLE.validate_python(rows)
    except (ValueError, UnicodeDecodeError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else []
        fields = [{"field": ".".join(map(str, e["loc"])), "reason": e["msg"]} for e in errors]
        raise Invalid(f"The people cannot be read: {exc}"[:500], field="body", errors=fields) from None
    if not 0 < len(people) <= MAX_PEOPLE:
        raise Invalid(f"Send 1 to {MAX_PEOPLE} people.", field="body")
    return people
