"""An opp's handshake as people read it: whose stage it is, whether the handoff waits to be
accepted (and is late), and each handoff's decision and outcome in words.

The handoffs are the opportunity service's (`GET /v1/opportunities/{id}`'s `handoffs`, oldest
first, and `handoff`, the one in force, which its lists carry too; a lead's routes have the same
shape): status `open`, `accepted`, `reassigned` or `closed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.console.domain.board import Badge
from services.console.domain.text import duration, label

RULES = {
    "account_owner": "the account's owner",
    "account_csm": "the account's CSM",
    "named_by_mover": "named on the move",
    "round_robin": "round robin",
    "sticky": "sticky (had the account before)",
    "opp_stage": "covered by an opp's stage owner",
    "lifecycle": "lifecycle change",
    "clock_expired": "clock ran out",
    "no_pool": "no pool covers the account",
}


def _at(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def current(handoffs: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The handoff in force: the latest still open or accepted (as the service counts it)."""
    return next((h for h in reversed(handoffs) if h.get("status") in ("open", "accepted")), None)


def waits(handoff: Mapping[str, Any] | None) -> bool:
    """Someone is to accept it: open, with an owner."""
    return bool(handoff and handoff.get("status") == "open" and handoff.get("owner"))


def overdue_seconds(handoff: Mapping[str, Any] | None, now: datetime) -> float | None:
    """How long an open handoff has been past its accept-by time; None when it is not late."""
    due = _at(handoff.get("due_at")) if handoff is not None and waits(handoff) else None
    late = (now - due).total_seconds() if due is not None else 0.0
    return late if late > 0 else None


def badge(handoff: Mapping[str, Any] | None, now: datetime) -> Badge:
    """The state of the handoff in force, for the opp page."""
    if handoff is None:
        return Badge("none", "no handoff")
    if handoff.get("status") == "accepted":
        return Badge("ok", f"accepted by {handoff.get('accepted_by') or handoff.get('owner')}")
    if not waits(handoff):
        return Badge("none", f"with the {label(str(handoff.get('team') or ''))} team, no one to accept")
    late = overdue_seconds(handoff, now)
    if late is not None:
        return unaccepted(handoff, late)
    due = _at(handoff.get("due_at"))
    left = f", due in {duration((due - now).total_seconds())}" if due else ""
    return Badge("none", f"waiting for {handoff.get('owner')} to accept{left}")


def unaccepted(handoff: Mapping[str, Any], late: float) -> Badge:
    escalated = ", escalated" if handoff.get("escalated_at") else ""
    return Badge("breached", f"unaccepted, {duration(late)} overdue{escalated}")


def late_card(card: Mapping[str, Any], now: datetime) -> Badge | None:
    """A board card's badge, from the handoff in force that the opp list carries (`handoff`):
    only when it is open and past its accept-by time."""
    held = card.get("handoff")
    late = overdue_seconds(held, now)
    return unaccepted(held, late) if held and late is not None else None


def decision(handoff: Mapping[str, Any]) -> str:
    """Which rule chose the owner, and the pool turn when a pool did: `round robin, pool sdr-dach turn 3`."""
    rule = str(handoff.get("rule") or "")
    said = RULES.get(rule, label(rule))
    if handoff.get("pool_id"):
        turn = f" turn {handoff['turn']}" if handoff.get("turn") is not None else ""
        said += f", pool {handoff['pool_id']}{turn}"
    return said


@dataclass(frozen=True)
class Handshake:
    current: Mapping[str, Any] | None  # the handoff in force
    badge: Badge
    waits: bool  # open: its owner is to accept it


def handshake(handoffs: Sequence[Mapping[str, Any]], now: datetime) -> Handshake:
    held = current(handoffs)
    return Handshake(held, badge(held, now), held is not None and waits(held))
