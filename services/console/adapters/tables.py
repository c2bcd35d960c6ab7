"""The console's tables (schema `console`): its users, sessions, sign-in failures, OIDC sign-ins."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.tables import utc_column


class ConsoleTable(SQLModel, registry=registry()):
    pass


class UserRow(ConsoleTable, table=True):
    __tablename__ = "users"
    username: str = Field(primary_key=True)
    display_name: str
    role: str
    password_hash: str | None = None
    active: bool = True
    created_at: datetime = Field(sa_column=utc_column())


class SessionRow(ConsoleTable, table=True):
    __tablename__ = "sessions"
    digest: str = Field(primary_key=True)
    username: str = Field(index=True)
    csrf_token: str
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    flash: str | None = None


class FailureRow(ConsoleTable, table=True):
    __tablename__ = "sign_in_failures"
    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    username: str
    address: str
    at: datetime = Field(sa_column=utc_column())


class OidcLoginRow(ConsoleTable, table=True):
    __tablename__ = "oidc_logins"
    state: str = Field(primary_key=True)
    nonce: str
    next_url: str
    created_at: datetime = Field(sa_column=utc_column())
