"""What every page shares: the signed-in viewer, CSRF checks, rendering, acting and saying how it went."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from services.console.app import auth
from services.console.app.models import Session, User
from services.console.app.ports import Refused, Unreachable
from services.console.domain import handshakes, text
from services.console.domain.roles import may, refusal
from services.console.entrypoints.deps import UowDep
from shared.errors import DomainError

COOKIE = "cascade_session"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
    " frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def when(value: Any) -> Markup:
    """A time in UTC (for people without scripts); console.js shows it in the viewer's own zone."""
    if not value:
        return Markup("-")
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return Markup('<time datetime="{}">{}</time>').format(
        at.isoformat(), at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    )


def flash_links(message: str) -> Markup:
    """`[lead:<id>]` in a message becomes a link to the lead's page."""
    out, rest = Markup(""), message
    while (start := rest.find("[lead:")) >= 0 and (end := rest.find("]", start)) > start:
        lead_id = rest[start + 6 : end]
        out += Markup('{}<a href="/leads/{}">see the lead</a>').format(rest[:start], quote(lead_id, safe=""))
        rest = rest[end + 1 :]
    return out + rest


def with_page(query: Any, number: int) -> str:
    return urlencode([*((k, v) for k, v in query.items() if k != "page"), ("page", str(number))])


templates.env.filters.update(
    when=when,
    label=text.label,
    money=text.money,
    duration=text.duration,
    percent=text.percent,
    routed_to=text.routed_to,
    decision=handshakes.decision,
    flash_links=flash_links,
    with_page=with_page,
)


@dataclass(frozen=True)
class Viewer:
    user: User
    session: Session

    @property
    def actor(self) -> str:
        """The name the services record for what this person changes."""
        return self.user.display_name

    def may(self, action: str) -> bool:
        return may(self.user.role, action)


async def get_viewer(request: Request, uow: UowDep) -> Viewer:
    token = request.cookies.get(COOKIE)
    found = await auth.current(uow, token, datetime.now(UTC)) if token else None
    if found is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, headers={"Location": f"/?next={quote(back, safe='')}"})
    return Viewer(*found)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


async def get_writer(viewer: ViewerDep, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Viewer:
    """The viewer of a form post, once the form's CSRF token is the session's."""
    if not hmac.compare_digest(csrf_token.encode(), viewer.session.csrf_token.encode()):
        raise HTTPException(403, "The form is stale or not from the console: reload the page and try again.")
    return viewer


WriterDep = Annotated[Viewer, Depends(get_writer)]


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


def safe_back(url: str | None, default: str) -> str:
    """Only a path of this site: never another site's address (an open redirect)."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return default


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(HEADERS)
    return response


async def page(
    request: Request,
    viewer: Viewer,
    uow: UowDep,
    template: str,
    build: Callable[[], Awaitable[dict[str, Any]]],
    **context: Any,
) -> HTMLResponse:
    """A page from what `build` reads; a service that is away or refuses is said so on the page."""
    status = 200
    try:
        context |= await build()
    except Unreachable as away:
        context["unavailable"], status = away.detail, 503
    except Refused as refused:
        context["unavailable"], status = (
            refused.detail,
            refused.status if refused.status in (403, 404) else 502,
        )
    except DomainError as invalid:
        context["unavailable"], status = invalid.detail, 422
    flash = viewer.session.flash
    if flash:
        await uow.sessions.set_flash(viewer.session.digest, None)
        await uow.commit()
    return render(
        request,
        template,
        {"viewer": viewer, "flash": flash, "query": dict(request.query_params), **context},
        status,
    )


async def act(
    request: Request, viewer: Viewer, uow: UowDep, action: str, back: str, work: Callable[[], Awaitable[str]]
) -> Response:
    """Do a change the viewer's role allows, then go back with how it went (a refusal named in full)."""
    if not viewer.may(action):
        return refused(request, viewer, refusal(viewer.user.role, action))
    try:
        message = await work()
    except DomainError as failed:
        fields = "; ".join(
            f"{e.get('field')}: {e.get('reason')}"
            for e in failed.errors
            if e.get("field") and e.get("reason") != failed.detail  # the detail says it already
        )
        message = f"Not done: {failed.detail}" + (
            f" ({fields})" if fields and fields not in failed.detail else ""
        )
    await uow.sessions.set_flash(viewer.session.digest, message)
    await uow.commit()
    return RedirectResponse(back, status_code=303)


def refused(request: Request, viewer: Viewer, why: str) -> HTMLResponse:
    return render(request, "error.html", {"viewer": viewer, "title": "Not allowed", "message": why}, 403)
