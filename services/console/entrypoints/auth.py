"""Sign-in (local users or OIDC), sign-out, the console's users, and its own files."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from services.console.app import auth, oidc
from services.console.domain.roles import ROLES
from services.console.entrypoints.deps import HasherDep, IssuerDep, SettingsDep, UowDep
from services.console.entrypoints.web import (
    COOKIE,
    ViewerDep,
    WriterDep,
    act,
    page,
    refused,
    render,
    safe_back,
)
from shared.errors import DomainError

router = APIRouter(include_in_schema=False)
PRE_CSRF = "cascade_csrf"  # the sign-in form's token, before there is a session (double submit)
HOME = "/review-queue"
STATIC = Path(__file__).parent / "static"
OWN_FILES = {"console.css": "text/css", "console.js": "text/javascript"}
CHART_JS = Path("chart.js/dist/chart.umd.min.js")


def _sign_in_form(
    request: Request,
    settings: SettingsDep,
    next_url: str | None,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    token = request.cookies.get(PRE_CSRF) or secrets.token_urlsafe(24)
    context = {
        "csrf": token,
        "next": safe_back(next_url, HOME),
        "error": error,
        "oidc": settings.oidc_enabled,
    }
    response = render(request, "sign_in.html", context, status)
    response.set_cookie(
        PRE_CSRF, token, httponly=True, samesite="strict", secure=settings.console_secure_cookies
    )
    return response


def _signed_in(settings: SettingsDep, token: str, next_url: str) -> Response:
    response = RedirectResponse(safe_back(next_url, HOME), status_code=303)
    max_age = int(settings.console_session_hours * 3600)
    response.set_cookie(
        COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=settings.console_secure_cookies
    )
    response.delete_cookie(PRE_CSRF)
    return response


@router.get("/")
async def home(request: Request, uow: UowDep, settings: SettingsDep) -> Response:
    token = request.cookies.get(COOKIE)
    if token and await auth.current(uow, token, datetime.now(UTC)):
        return RedirectResponse(HOME, status_code=303)
    return _sign_in_form(request, settings, request.query_params.get("next"))


@router.get("/favicon.ico")
async def favicon() -> Response:
    return Response(status_code=204)


@router.post("/sign-in")
async def sign_in(
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    hasher: HasherDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    expected = request.cookies.get(PRE_CSRF, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return _sign_in_form(
            request, settings, next, error="The form was stale: please sign in again.", status=403
        )
    address = request.client.host if request.client else "unknown"
    outcome = await auth.sign_in(
        uow,
        settings,
        hasher,
        username=username.strip(),
        password=password,
        address=address,
        now=datetime.now(UTC),
    )
    await uow.commit()
    if outcome.token is None:
        return _sign_in_form(request, settings, next, error=outcome.error, status=outcome.status)
    return _signed_in(settings, outcome.token, next)


@router.post("/sign-out")
async def sign_out(request: Request, uow: UowDep, viewer: WriterDep) -> Response:
    await auth.sign_out(uow, request.cookies.get(COOKIE, ""))
    await uow.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/sign-in/oidc")
async def oidc_begin(request: Request, uow: UowDep, settings: SettingsDep, issuer: IssuerDep) -> Response:
    if not settings.oidc_enabled:
        raise HTTPException(404, "Sign-in with OIDC is not configured.")
    next_url = safe_back(request.query_params.get("next"), HOME)
    url = await oidc.begin(uow, settings, issuer, next_url, datetime.now(UTC))
    await uow.commit()
    return RedirectResponse(url, status_code=303)


@router.get("/sign-in/oidc/callback")
async def oidc_callback(
    request: Request, uow: UowDep, settings: SettingsDep, issuer: IssuerDep, state: str = "", code: str = ""
) -> Response:
    if not settings.oidc_enabled:
        raise HTTPException(404, "Sign-in with OIDC is not configured.")
    try:
        token, next_url = await oidc.finish(
            uow, settings, issuer, state=state, code=code, now=datetime.now(UTC)
        )
    except DomainError as refused_sign_in:
        await uow.commit()  # the state is spent either way
        return _sign_in_form(request, settings, None, error=refused_sign_in.detail, status=401)
    await uow.commit()
    return _signed_in(settings, token, next_url)


@router.get("/users")
async def users(request: Request, uow: UowDep, viewer: ViewerDep) -> Response:
    if not viewer.may("users"):
        return refused(request, viewer, "Only admins manage console users.")

    async def build() -> dict[str, object]:
        return {"users": await uow.users.all(), "roles": ROLES}

    return await page(request, viewer, uow, "users.html", build)


@router.post("/users")
async def create_user(
    request: Request,
    uow: UowDep,
    hasher: HasherDep,
    viewer: WriterDep,
    username: Annotated[str, Form(max_length=200)],
    display_name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=50)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    async def work() -> str:
        user = await auth.create_user(
            uow,
            hasher,
            username=username.strip(),
            display_name=display_name,
            role=role,
            password=password,
            now=datetime.now(UTC),
        )
        return f"User {user.username} ({user.role}) created."

    return await act(request, viewer, uow, "users", "/users", work)


@router.post("/users/{username}")
async def change_user(
    request: Request,
    uow: UowDep,
    viewer: WriterDep,
    username: str,
    role: Annotated[str, Form(max_length=50)],
    active: Annotated[bool, Form()] = False,
) -> Response:
    async def work() -> str:
        user = await auth.change_user(uow, username, role=role, active=active)
        return f"User {user.username} is now {user.role}{'' if user.active else ', switched off'}."

    return await act(request, viewer, uow, "users", "/users", work)


@router.get("/static/{name}")
async def own_file(name: str) -> Response:
    if name not in OWN_FILES:
        raise HTTPException(404)
    return FileResponse(STATIC / name, media_type=OWN_FILES[name], headers={"Cache-Control": "max-age=300"})


@router.get("/assets/chart.js")
async def chart_js(settings: SettingsDep) -> Response:
    path = settings.console_assets_dir / CHART_JS
    if not path.is_file():
        raise HTTPException(404, f"Chart.js is not installed at {path}: run `npm ci` in services/console.")
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})
