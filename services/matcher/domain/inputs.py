"""What the account directory takes in, from the API and from a bulk import."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

Short = Annotated[str, Field(max_length=255)]


class AccountInput(BaseModel):
    """What an account is, as the API and the import both take it."""

    name: Annotated[str, Field(min_length=1, max_length=255)]
    domains: Annotated[list[Annotated[str, Field(max_length=255)]], Field(max_length=100)] = []
    website: Annotated[str, Field(max_length=2048)] | None = None
    country: Annotated[str, Field(max_length=64)] | None = None
    industry: Short | None = None
    employees: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    owner: Short | None = None
    csm: Short | None = None
    is_customer: bool = False
    last_activity_at: datetime | None = None


class AccountIn(AccountInput):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    external_id: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    parent_id: Short | None = None


class AccountPatch(BaseModel):
    """Only the fields sent change; `domains` replaces the account's list."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    domains: Annotated[list[Annotated[str, Field(max_length=255)]], Field(max_length=100)] | None = None
    website: Annotated[str, Field(max_length=2048)] | None = None
    country: Annotated[str, Field(max_length=64)] | None = None
    industry: Short | None = None
    employees: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    parent_id: Short | None = None
    owner: Short | None = None
    csm: Short | None = None
    is_customer: bool | None = None
    last_activity_at: datetime | None = None


class AccountImportRow(AccountInput):
    """One row of `POST /v1/accounts/import` (CSV columns or NDJSON keys); unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    external_id: Annotated[str, Field(min_length=1, max_length=255)]
    parent_external_id: Short | None = None

    @field_validator("domains", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """CSV cells hold several domains separated by `;`, `|`, `,` or spaces."""
        if isinstance(value, str):
            return [d for d in re.split(r"[;|,\s]+", value) if d]
        return value
