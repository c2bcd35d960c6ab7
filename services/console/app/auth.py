"""Signing in and out, sessions with their CSRF token, and the console's users."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.console.app.models import Session, User
from services.console.app.ports import Hasher
from services.console.app.uow import ConsoleUnitOfWork
from services.console.domain.roles import ROLES
from services.console.domain.users import Failures, password_problem, throttled, username_problem
from services.console.settings import ConsoleSettings
from shared.errors import Conflict, Invalid, NotFound
from shared.jobs import Job

FIRST_ADMIN = "admin"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignIn:
    """A session's cookie token, or why there is none (and the HTTP status to answer with)."""

    token: str | None = None
    error: str | None = None
    status: int = 200


async def sign_in(
    uow: ConsoleUnitOfWork,
    settings: ConsoleSettings,
    hasher: Hasher,
    *,
    username: str,
    password: str,
    address: str,
    now: datetime,
) -> SignIn:
    window = settings.console_sign_in_window_minutes
    of_user, of_address = await uow.attempts.failures(username, address, now - timedelta(minutes=window))
    if throttled(Failures(of_user, of_address), settings.console_sign_in_max_failures):
        return SignIn(error=f"Too many failed sign-ins: try again in {window:g} minutes.", status=429)
    await ensure_first_admin(uow, settings, hasher, now)
    user = await uow.users.get(username)
    if user is None or user.password_hash is None or not user.active:
        await hasher.hash(password)  # the same time as a wrong password: the answer tells no names
        valid = False
    else:
        valid = await hasher.verify(user.password_hash, password)
    if user is None or not valid:
        await uow.attempts.fail(username, address, now)
        return SignIn(error="Wrong user name or password.", status=401)
    await uow.attempts.clear(username)
    return SignIn(token=await open_session(uow, settings, user, now))


async def ensure_first_admin(
    uow: ConsoleUnitOfWork, settings: ConsoleSettings, hasher: Hasher, now: datetime
) -> None:
    """While no user exists, `admin` with the password of CONSOLE_ADMIN_PASSWORD_FILE."""
    password = settings.first_admin_password()
    if password is None or await uow.users.count() > 0:
        return
    await uow.users.put(
        User(
            username=FIRST_ADMIN,
            display_name="Admin",
            role="admin",
            password_hash=await hasher.hash(password),
            created_at=now,
        )
    )


async def open_session(uow: ConsoleUnitOfWork, settings: ConsoleSettings, user: User, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    await uow.sessions.add(
        Session(
            digest=digest(token),
            username=user.username,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=settings.console_session_hours),
        )
    )
    return token


async def current(uow: ConsoleUnitOfWork, token: str, now: datetime) -> tuple[User, Session] | None:
    session = await uow.sessions.get(digest(token), now)
    if session is None:
        return None
    user = await uow.users.get(session.username)
    if user is None or not user.active:
        return None
    return user, session


async def sign_out(uow: ConsoleUnitOfWork, token: str) -> None:
    await uow.sessions.delete(digest(token))


async def create_user(
    uow: ConsoleUnitOfWork,
    hasher: Hasher,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    now: datetime,
) -> User:
    for field, problem in (
        ("username", username_problem(username)),
        ("password", password_problem(password)),
    ):
        if problem:
            raise Invalid(f"{problem.capitalize()}.", field=field)
    if role not in ROLES:
        raise Invalid(f"Roles are {', '.join(ROLES)}.", field="role")
    if await uow.users.get(username) is not None:
        raise Conflict(f"A user {username!r} exists.", field="username")
    user = User(
        username=username,
        display_name=display_name.strip()[:100] or username,
        role=role,
        password_hash=await hasher.hash(password),
        created_at=now,
    )
    await uow.users.put(user)
    return user


async def change_user(uow: ConsoleUnitOfWork, username: str, *, role: str, active: bool) -> User:
    user = await uow.users.get(username)
    if user is None:
        raise NotFound(f"No user {username!r}.")
    if role not in ROLES:
        raise Invalid(f"Roles are {', '.join(ROLES)}.", field="role")
    changed = user.model_copy(update={"role": role, "active": active})
    await uow.users.put(changed)
    if not active:
        await uow.sessions.delete_of(username)
    return changed


async def prune(uows: Callable[[], ConsoleUnitOfWork], settings: ConsoleSettings) -> dict[str, int]:
    """Forget expired sessions, failures past the throttling window and abandoned OIDC sign-ins."""
    now = datetime.now(UTC)
    async with uows() as uow:
        done = {
            "sessions": await uow.sessions.prune(now),
            "failures": await uow.attempts.prune(
                now - timedelta(minutes=settings.console_sign_in_window_minutes)
            ),
            "oidc_logins": await uow.oidc.prune(now - timedelta(hours=1)),
        }
        await uow.commit()
    return {k: v for k, v in done.items() if v}


PRUNE = Job("sign-ins", every=lambda s: s.console_prune_seconds, run=prune)
