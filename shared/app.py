"""The app factory every service uses: health, readiness, metrics, docs, problems, auth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import Span
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from shared.group_commit import GroupCommit
from shared.jobs import UowFactory
from shared.keys import ApiKey, authenticate
from shared.limits import Limits
from shared.logging import configure_logging
from shared.problems import Problem, install_problem_handlers
from shared.runtime import Runtime, ServiceDefinition
from shared.settings import Settings
from shared.telemetry.setup import setup_telemetry

_bearer = HTTPBearer(auto_error=False)


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` in its thread pool, a
# hand-off that cost more than the rest of the dependency work on every request.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


# Each service names these with its own types in `entrypoints/deps.py`:
#   SettingsDep = Annotated[MatcherSettings, Depends(get_settings)]
async def get_settings(runtime: RuntimeDep) -> Any:
    return runtime.settings


async def get_uow(runtime: RuntimeDep) -> AsyncIterator[Any]:
    """A unit of work for the request; what the route does not commit is rolled back."""
    async with runtime.uow() as uow:
        yield uow


async def get_clients(runtime: RuntimeDep) -> dict[str, Any]:
    return runtime.clients


async def get_group(runtime: RuntimeDep) -> GroupCommit:
    """For a write many requests make at once: they share one transaction (`shared.group_commit`)."""
    assert runtime.group is not None, "the runtime has started"
    return runtime.group


async def get_uow_factory(runtime: RuntimeDep) -> UowFactory:
    """For use cases that run several transactions (a webhook delivery, a bulk import, a scan)."""
    return runtime.uow


READS = {"GET", "HEAD", "OPTIONS"}
RIGHT = "x-cascade-right"
ON_BEHALF = "X-Cascade-On-Behalf-Of"  # the console names the signed-in person who acts


async def require_api_key(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> None:
    """Who calls (the key's name, the actor of what it changes) and whether its role may: reads
    need `read`, changes `write`, and a route that needs another right says so (`right(...)`)."""
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise Problem(401, "Unauthorized", "Send 'Authorization: Bearer <api key>'.", unauthorized)
    key = authenticate(credentials.credentials, runtime.keys)
    if key is None:
        raise Problem(401, "Unauthorized", "The API key is not valid.", unauthorized)
    route = request.scope.get("route")
    declared = (getattr(route, "openapi_extra", None) or {}).get(RIGHT)
    needed = declared or ("read" if request.method in READS else "write")
    if not key.may(needed):
        raise _forbidden(key, needed)
    request.state.key = key
    request.state.caller = _actor(key, request.headers.get(ON_BEHALF))


def _actor(key: ApiKey, on_behalf: str | None) -> str:
    if on_behalf and key.may("on-behalf"):
        person = "".join(ch for ch in on_behalf if ch.isprintable())[:100].strip()
        if person:
            return f"{person} (via {key.name})"
    return key.name


def _forbidden(key: ApiKey, right: str) -> Problem:
    return Problem(
        403,
        "Forbidden",
        f"The key {key.name!r} has the role {key.role!r}; this needs the {right} right.",
        errors=[{"field": "authorization", "reason": f"needs {right}"}],
    )


def right(name: str) -> dict[str, Any]:
    """`openapi_extra` of a route that needs a right other than read (GET) or write (changes)."""
    return {RIGHT: name}


async def get_caller(request: Request) -> str:
    caller: str = request.state.caller
    return caller


CallerDep = Annotated[str, Depends(get_caller)]


def create_app(definition: ServiceDefinition, settings: Settings, *, with_kafka: bool = True) -> FastAPI:
    configure_logging(settings.log_level, settings.log_json)
    setup_telemetry(definition.name, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(definition, settings)
        await runtime.start(with_kafka=with_kafka)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        title=f"Cascade {definition.name}",
        description=definition.description,
        version="0.1.0",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    large = tuple(f"/v1{path}" for path in definition.large_bodies)
    app.add_middleware(
        Limits,
        limit=settings.http_max_body_bytes,
        streamed=lambda path: settings.http_max_large_body_bytes if path.startswith(large) else None,
    )
    from shared.dead_letter_api import router as dead_letters  # it takes its dependencies from here

    app.include_router(_operations_router())
    app.include_router(definition.router, prefix="/v1", dependencies=[Depends(require_api_key)])
    app.include_router(dead_letters, prefix="/v1", dependencies=[Depends(require_api_key)])
    if definition.public_router is not None:
        app.include_router(definition.public_router, prefix="/v1")
    if definition.pages is not None:
        app.include_router(definition.pages)
    # One server span per request; the per-message "http receive/send" spans said nothing and cost
    # about a tenth of a request's CPU.
    FastAPIInstrumentor.instrument_app(
        app,
        excluded_urls="healthz,readyz,metrics",
        exclude_spans=["receive", "send"],
        server_request_hook=_redact_query,
    )
    return app


def _redact_query(span: Span, scope: dict[str, Any]) -> None:
    """A query may name a person (`?email=`): spans keep its keys, never its values."""
    query = scope.get("query_string", b"").decode("latin-1")
    if not query or not span.is_recording():
        return
    redacted = "&".join(f"{part.split('=', 1)[0]}=*" for part in query.split("&") if part)
    target = f"{scope.get('path', '')}?{redacted}"
    span.set_attribute("http.target", target)
    span.set_attribute("url.query", redacted)
    host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
    span.set_attribute("http.url", f"{scope.get('scheme', 'http')}://{host}{target}")


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(runtime: RuntimeDep) -> JSONResponse:
        checks = await runtime.readiness()
        ready = all(check["ok"] for check in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router
