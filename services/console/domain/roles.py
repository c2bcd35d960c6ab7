"""People's roles in the console and what each may change (everyone signed in may read)."""

from __future__ import annotations

ROLES = ("admin", "revops", "sales", "marketing", "read-only")

# What a change needs, in words people read on a refusal.
ACTIONS = {
    "review": "resolve review items",
    "quarantine": "resubmit or discard quarantined webhooks",
    "opportunities": "change opportunities and buying groups",
    "accept": "accept handoffs",
    "operations": "change routing pools, reps and subscriptions",
    "dead-letters": "retry or discard dead letters",
    "users": "manage console users",
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(ACTIONS),
    "revops": frozenset({"review", "quarantine", "opportunities", "accept", "operations"}),
    "sales": frozenset({"review", "opportunities", "accept"}),
    # Marketing owns the marketing stages: its people accept what is handed to them there.
    "marketing": frozenset({"quarantine", "accept"}),
    "read-only": frozenset(),
}


def may(role: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, frozenset())


def refusal(role: str, action: str) -> str:
    allowed = [r for r in ROLES if may(r, action)]
    return f"Your role ({role}) may not {ACTIONS[action]}; that needs {' or '.join(allowed)}."
