"""Events about accounts: the directory's records, as every service copies them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event


class AccountFields(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    account_id: str
    name: str
    domains: list[str] = Field(default_factory=list)
    website: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None
    parent_id: str | None = None
    owner: str | None = None
    csm: str | None = None
    is_customer: bool = False


class AccountCreated(Event, AccountFields):
    TYPE = "account.created"

    def key(self) -> str:
        return self.account_id


class AccountUpdated(Event, AccountFields):
    TYPE = "account.updated"

    def key(self) -> str:
        return self.account_id
