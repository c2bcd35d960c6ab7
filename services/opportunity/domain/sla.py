"""SLA state of an opp in its current stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

SlaState = Literal["none", "ok", "breached"]


@dataclass(frozen=True)
class SlaStatus:
    state: SlaState
    sla_hours: float | None
    due_at: datetime | None
    overdue_by_seconds: float


def sla_status(entered_at: datetime, sla_hours: float | None, now: datetime) -> SlaStatus:
    if sla_hours is None:
        return SlaStatus("none", None, None, 0.0)
    due = entered_at + timedelta(hours=sla_hours)
    overdue = (now - due).total_seconds()
    return SlaStatus("breached" if overdue > 0 else "ok", sla_hours, due, max(overdue, 0.0))
