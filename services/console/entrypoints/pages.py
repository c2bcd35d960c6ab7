"""Every page of the console, under one router (the platform mounts it at the root)."""

from __future__ import annotations

from fastapi import APIRouter

from services.console.entrypoints import auth, deals, operations, reports, work

router = APIRouter(include_in_schema=False)
for part in (auth.router, work.router, deals.router, reports.router, operations.router):
    router.include_router(part)
