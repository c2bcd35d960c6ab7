"""Scoring's routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlmodel import col

from services.scoring.tables import Person
from shared.app import UowDep
from shared.problems import Problem

router = APIRouter(tags=["scoring"])


class ScoreOut(BaseModel):
    person_id: str
    lead_id: str
    contact_id: str | None
    account_id: str | None
    score: float
    fit: float
    behaviour: float
    lifecycle_stage: str
    reasons: list[dict[str, Any]]
    model_version: str
    updated_at: datetime


@router.get("/scores/{person_id}")
async def get_score(person_id: str, uow: UowDep) -> ScoreOut:
    """The score of a lead id or a contact id, with its reasons."""
    person = (
        await uow.session.scalars(
            select(Person).where(or_(col(Person.person_id) == person_id, col(Person.contact_id) == person_id))
        )
    ).first()
    if person is None:
        raise Problem(404, "Not Found", f"No score for {person_id}.")
    return ScoreOut(
        person_id=person.person_id,
        lead_id=person.person_id,
        contact_id=person.contact_id,
        account_id=person.account_id,
        score=person.score,
        fit=person.fit,
        behaviour=person.behaviour,
        lifecycle_stage=person.lifecycle_stage,
        reasons=[*person.fit_reasons, *person.behaviour_reasons],
        model_version=person.model_version,
        updated_at=person.updated_at,
    )
