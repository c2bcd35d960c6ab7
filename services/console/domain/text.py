"""How values read on a page: labels, money, durations, where an alert went."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit


def label(name: str) -> str:
    """`economic_buyer` -> `Economic buyer`."""
    spaced = name.replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:]


def money(amount: float | None) -> str:
    if amount is None:
        return "no amount"
    return f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.2f}"


def duration(seconds: float) -> str:
    """The two largest units: `3 d 4 h`, `5 h 12 min`, `40 s`."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f} %"


def routed_to(alert: Mapping[str, Any]) -> str:
    """Where an alert went: `email ann@acme.example (revops)`. A chat target is an incoming
    webhook whose path is its secret: only its host is shown."""
    channel, target = str(alert.get("channel") or ""), str(alert.get("target") or "")
    if channel == "chat":
        target = urlsplit(target).hostname or "a chat webhook"
    audience = alert.get("audience")
    return f"{channel} {target}" + (f" ({audience})" if audience else "")
