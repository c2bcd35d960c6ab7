"""Sign-in with an OpenID Connect issuer (authorization-code flow): people's roles come from a
claim of their ID token, and the console keeps a user for each, without a password."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import structlog

from services.console.app.auth import open_session
from services.console.app.models import OidcLogin, User
from services.console.app.ports import Issuer
from services.console.app.uow import ConsoleUnitOfWork
from services.console.domain import oidc
from services.console.settings import ConsoleSettings
from shared.errors import DomainError, Invalid, Unauthorized

log = structlog.get_logger(__name__)
LOGIN_MINUTES = 10  # a sign-in left at the issuer longer than this must start again


async def begin(
    uow: ConsoleUnitOfWork, settings: ConsoleSettings, issuer: Issuer, next_url: str, now: datetime
) -> str:
    """The issuer's authorization URL for a new sign-in."""
    assert settings.console_oidc_client_id and settings.console_oidc_redirect_url, "OIDC is configured"
    login = OidcLogin(
        state=secrets.token_urlsafe(24), nonce=secrets.token_urlsafe(24), next_url=next_url, created_at=now
    )
    await uow.oidc.add(login)
    endpoints = await issuer.endpoints()
    return oidc.authorization_url(
        endpoints["authorization_endpoint"],
        client_id=settings.console_oidc_client_id,
        redirect_url=settings.console_oidc_redirect_url,
        state=login.state,
        nonce=login.nonce,
    )


async def finish(
    uow: ConsoleUnitOfWork, settings: ConsoleSettings, issuer: Issuer, *, state: str, code: str, now: datetime
) -> tuple[str, str]:
    """The session token and where to go, once the issuer has sent the person back with a code.
    Every refusal is logged with its reason, never with the token."""
    try:
        return await _finish(uow, settings, issuer, state=state, code=code, now=now)
    except DomainError as refused:
        log.warning("oidc.sign_in_refused", issuer=settings.console_oidc_issuer, reason=refused.detail)
        raise


async def _finish(
    uow: ConsoleUnitOfWork, settings: ConsoleSettings, issuer: Issuer, *, state: str, code: str, now: datetime
) -> tuple[str, str]:
    assert settings.console_oidc_issuer and settings.console_oidc_client_id, "OIDC is configured"
    login = await uow.oidc.take(state)
    if login is None or login.created_at < now - timedelta(minutes=LOGIN_MINUTES):
        raise Invalid("This sign-in is unknown or too old: sign in again.", field="state")
    answer = await issuer.exchange(code)
    try:
        claims = await _verified_claims(issuer, settings, str(answer.get("id_token", "")))
    except ValueError as bad:
        raise Unauthorized(f"Sign-in refused: {bad}.") from None
    problem = oidc.claims_problem(
        claims,
        issuer=settings.console_oidc_issuer,
        client_id=settings.console_oidc_client_id,
        nonce=login.nonce,
        now=now.timestamp(),
        leeway=settings.console_oidc_leeway_seconds,
    )
    if problem:
        raise Unauthorized(f"Sign-in refused: {problem}.")
    user = await _user_of(uow, settings, claims, now)
    return await open_session(uow, settings, user, now), login.next_url


async def _verified_claims(issuer: Issuer, settings: ConsoleSettings, id_token: str) -> dict[str, Any]:
    """The claims of an ID token that one of the issuer's keys has signed; ValueError saying why not."""
    listed = (await issuer.endpoints()).get("id_token_signing_alg_values_supported")
    algorithms = oidc.accepted_algorithms(listed, settings.console_oidc_algorithms)
    header = oidc.header_of(id_token)
    key = oidc.signing_key(await issuer.keys(), header, algorithms)
    if key is None:  # the issuer may have rotated its keys since they were read: read them once more
        key = oidc.signing_key(await issuer.keys(refresh=True), header, algorithms)
    if key is None:
        raise ValueError(
            f"the ID token is signed with a key the issuer does not publish (kid {header.get('kid')!r})"
        )
    return oidc.verified_claims(id_token, key, header["alg"])


async def _user_of(
    uow: ConsoleUnitOfWork, settings: ConsoleSettings, claims: dict[str, Any], now: datetime
) -> User:
    username = oidc.username_of(claims)
    known = await uow.users.get(username)
    if known is not None and not known.active:
        raise Unauthorized(f"The user {username!r} is switched off.")
    user = User(
        username=username,
        display_name=str(claims.get("name") or username)[:100],
        role=oidc.role_of(claims, settings.console_oidc_role_claim, settings.console_oidc_default_role),
        password_hash=known.password_hash if known else None,
        created_at=known.created_at if known else now,
    )
    await uow.users.put(user)
    return user
