"""Reps and pools as the matcher keeps them and takes them in: the catalog's fields (one
definition for every service that assigns), validated at the door."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared.events.teams import PoolFields, RepFields, Segment, Team
from shared.territory import REGIONS


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Europe/Berlin)") from error
    return name


def _region(name: str) -> str:
    if name not in REGIONS:
        raise ValueError(f"unknown region {name!r}; regions are {', '.join(REGIONS)}")
    return name


Name = Annotated[str, Field(min_length=1, max_length=255)]
Country = Annotated[str, Field(pattern=r"^[A-Za-z]{2}$"), AfterValidator(str.upper)]
Region = Annotated[str, Field(max_length=16), AfterValidator(_region)]
Zone = Annotated[str, Field(max_length=64), AfterValidator(_zone)]
Clock = Annotated[str, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
Weekday = Annotated[int, Field(ge=1, le=7)]
Countries = Annotated[list[Country], Field(max_length=300)]


class TerritoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    countries: Countries = []
    regions: Annotated[list[Region], Field(max_length=len(REGIONS))] = []
    segments: Annotated[list[Segment], Field(max_length=3)] = []


class RepIn(TerritoryIn):
    """`PUT /v1/reps/{rep_id}`: the whole rep."""

    name: Name
    team: Team
    email: Annotated[str, Field(max_length=320)] | None = None
    capacity: Annotated[int, Field(ge=0, le=100_000)] | None = None
    time_zone: Zone = "UTC"
    work_start: Clock = "00:00"
    work_end: Clock = "24:00"
    work_days: Annotated[list[Weekday], Field(min_length=1, max_length=7)] = [1, 2, 3, 4, 5, 6, 7]
    out_of_office_from: datetime | None = None
    out_of_office_until: datetime | None = None
    active: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> RepIn:
        if self.work_start == self.work_end:
            raise ValueError("work_start and work_end are the same time: no working hours")
        start, until = self.out_of_office_from, self.out_of_office_until
        if start is not None and until is not None and until <= start:
            raise ValueError("out_of_office_until must come after out_of_office_from")
        return self


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    rep_id: Name
    weight: Annotated[int, Field(ge=0, le=1000)] = 1


class PoolIn(TerritoryIn):
    """`PUT /v1/pools/{pool_id}`: the whole pool; a territory left empty covers everything."""

    name: Name | None = None
    team: Team
    members: Annotated[list[MemberIn], Field(max_length=500)] = []
    sticky: bool = False

    @model_validator(mode="after")
    def _members_once(self) -> PoolIn:
        ids = [m.rep_id for m in self.members]
        if len(set(ids)) != len(ids):
            raise ValueError("a rep is listed twice in members")
        return self


class RepPatch(BaseModel):
    """`PATCH /v1/reps/{rep_id}`: only what is sent changes; the merged rep is checked as a PUT."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Name | None = None
    team: Team | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    countries: Countries | None = None
    regions: Annotated[list[Region], Field(max_length=len(REGIONS))] | None = None
    segments: Annotated[list[Segment], Field(max_length=3)] | None = None
    capacity: Annotated[int, Field(ge=0, le=100_000)] | None = None
    time_zone: Zone | None = None
    work_start: Clock | None = None
    work_end: Clock | None = None
    work_days: Annotated[list[Weekday], Field(min_length=1, max_length=7)] | None = None
    out_of_office_from: datetime | None = None
    out_of_office_until: datetime | None = None
    active: bool | None = None


class PoolPatch(BaseModel):
    """`PATCH /v1/pools/{pool_id}`: only what is sent changes; `members` replaces the list."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Name | None = None
    team: Team | None = None
    countries: Countries | None = None
    regions: Annotated[list[Region], Field(max_length=len(REGIONS))] | None = None
    segments: Annotated[list[Segment], Field(max_length=3)] | None = None
    members: Annotated[list[MemberIn], Field(max_length=500)] | None = None
    sticky: bool | None = None


class StoredRep(RepFields):
    version: int = 1
    updated_at: datetime
    updated_by: str | None = None


class StoredPool(PoolFields):
    version: int = 1
    updated_at: datetime
    updated_by: str | None = None
