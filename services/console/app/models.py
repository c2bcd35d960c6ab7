"""The console's own records: its users and their sessions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class User(BaseModel):
    username: str
    display_name: str
    role: str
    password_hash: str | None = None  # None: signs in with OIDC only
    active: bool = True
    created_at: datetime


class Session(BaseModel):
    digest: str  # SHA-256 of the cookie's token: the token itself is never stored
    username: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    flash: str | None = None


class OidcLogin(BaseModel):
    """A sign-in under way at the issuer: its state and nonce, until the issuer sends the person back."""

    state: str
    nonce: str
    next_url: str
    created_at: datetime
