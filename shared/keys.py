"""API keys with names and roles, kept as SHA-256 digests.

An entry of `API_KEYS` is `name:role=key` (or `name=key`: role `write`; a bare key: name `api`,
role `admin`, as the embedded stack's single key). The key may be given as `sha256:<hex digest>`
so that the plain key never reaches the service's environment. The name is the actor recorded
for what a request changes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

# What each role may do: read (GET); write (read, and change things); webhook-admin (read, and
# fix or discard quarantined webhook items); console (write, webhook-admin, dead-letters and
# subscriptions, on behalf of its signed-in people, whose console role it checks); admin
# (everything: erasure, operations, dead letters' retry and discard, webhook subscriptions).
ROLES: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}),
    "write": frozenset({"read", "write"}),
    "webhook-admin": frozenset({"read", "webhook-admin"}),
    "console": frozenset({"read", "write", "webhook-admin", "dead-letters", "subscriptions", "on-behalf"}),
    "admin": frozenset({"read", "write", "webhook-admin", "dead-letters", "subscriptions", "admin"}),
}
PLACEHOLDERS = {"changeme", "change-me", "secret", "api-key", ""}
MIN_LENGTH = 16


@dataclass(frozen=True)
class ApiKey:
    name: str
    role: str
    digest: str  # hex SHA-256 of the key

    def may(self, right: str) -> bool:
        return right in ROLES[self.role]


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse(entry: str) -> ApiKey:
    """One `API_KEYS` entry; ValueError naming what is wrong (never the key itself)."""
    head, has_name, key = entry.partition("=")
    if not has_name:
        head, key = "api:admin", entry
    name, _, role = head.strip().partition(":")
    role = role or "write"
    if not name:
        raise ValueError("an API key entry needs a name before '='")
    if role not in ROLES:
        raise ValueError(f"API key {name!r}: unknown role {role!r}; roles are {', '.join(ROLES)}")
    key = key.strip()
    if key.startswith("sha256:"):
        hexed = key.removeprefix("sha256:").lower()
        if len(hexed) != 64 or any(c not in "0123456789abcdef" for c in hexed):
            raise ValueError(f"API key {name!r}: sha256: must be followed by 64 hex digits")
        return ApiKey(name, role, hexed)
    if key.lower() in PLACEHOLDERS or len(key) < MIN_LENGTH:
        raise ValueError(f"API key {name!r} must be at least {MIN_LENGTH} characters and not a placeholder")
    return ApiKey(name, role, digest(key))


def authenticate(offered: str, keys: list[ApiKey]) -> ApiKey | None:
    """The key `offered` is, compared with every key so the time says nothing of which matched."""
    offered_digest = digest(offered)
    matches = [(key, hmac.compare_digest(offered_digest, key.digest)) for key in keys]
    return next((key for key, matched in matches if matched), None)
