"""The app factory every service uses: health, readiness, metrics, docs, problems, auth."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from shared.jobs import UowFactory
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


async def get_uow_factory(runtime: RuntimeDep) -> UowFactory:
    """For use cases that run several transactions (a webhook delivery, a bulk import, a scan)."""
    return runtime.uow


async def require_api_key(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> None:
    """The caller is the key's name: what the request changes is recorded as done by it."""
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise Problem(401, "Unauthorized", "Send 'Authorization: Bearer <api key>'.", unauthorized)
    offered = credentials.credentials.encode()
    # Compare with every key so that the time taken says nothing about which one matched.
    matches = [(name, hmac.compare_digest(offered, key.encode())) for key, name in runtime.key_names.items()]
    caller = next((name for name, matched in matches if matched), None)
    if caller is None:
        raise Problem(401, "Unauthorized", "The API key is not valid.", unauthorized)
    request.state.caller = caller


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
        title=f"Cascade {definition.name}",
        description=definition.description,
        version="0.1.0",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.include_router(_operations_router())
    app.include_router(definition.router, prefix="/v1", dependencies=[Depends(require_api_key)])
    if definition.public_router is not None:
        app.include_router(definition.public_router, prefix="/v1")
    # One server span per request; the per-message "http receive/send" spans said nothing and cost
    # about a tenth of a request's CPU.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"]
    )
    return app


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
