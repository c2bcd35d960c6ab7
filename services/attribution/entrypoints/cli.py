"""`cascade attribution rebuild`: every opp's stored attribution from the copies, after a change
of model, look-back or half-life (events keep them current otherwise)."""

from __future__ import annotations

import time
from collections.abc import Callable

from services.attribution.app import attribute
from services.attribution.app.uow import AttributionUnitOfWork
from services.attribution.settings import AttributionSettings


async def run_rebuild(settings: AttributionSettings, uows: Callable[[], AttributionUnitOfWork]) -> int:
    started = time.perf_counter()
    done = await attribute.rebuild(uows, settings)
    print(f"attributed {done} opportunities in {time.perf_counter() - started:.1f} s")
    return 0
