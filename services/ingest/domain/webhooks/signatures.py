"""Webhook authentication schemes, over the raw bytes received (never a re-serialised body).

Each check takes every secret currently valid for the source (several during a rotation) and
answers with the reason it failed, or None when the delivery is authentic.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime

TOLERANCE_SECONDS = 300


def _hmac_b64(secret: bytes, message: bytes) -> bytes:
    return base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest())


def _any_equal(offered: bytes, expected: Sequence[bytes]) -> bool:
    # Compare against every candidate so the time taken says nothing about which one matched.
    matches = [hmac.compare_digest(offered, candidate) for candidate in expected]
    return any(matches)


def _is_epoch(value: str, max_digits: int) -> bool:
    # isdigit() alone takes "²" and arbitrarily long strings; int() of those raises.
    return value.isascii() and value.isdigit() and len(value) <= max_digits


def _stale(sent_at: float, now: datetime, tolerance: float) -> bool:
    return abs(now.timestamp() - sent_at) > tolerance


def hubspot_v3(
    headers: Mapping[str, str],
    method: str,
    uri: str,
    body: bytes,
    secrets: Sequence[str],
    now: datetime,
    tolerance: float = TOLERANCE_SECONDS,
) -> str | None:
    """X-HubSpot-Signature-v3: base64 HMAC-SHA256 of method + URI + body + timestamp (ms)."""
    signature = headers.get("x-hubspot-signature-v3")
    timestamp = headers.get("x-hubspot-request-timestamp")
    if not signature or not timestamp:
        return "missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp"
    if not _is_epoch(timestamp, 13):
        return "X-HubSpot-Request-Timestamp is not a number of milliseconds"
    if _stale(int(timestamp) / 1000, now, tolerance):
        return "X-HubSpot-Request-Timestamp is outside the 5-minute window"
    message = method.upper().encode() + uri.encode() + body + timestamp.encode()
    expected = [_hmac_b64(secret.encode(), message) for secret in secrets]
    return None if _any_equal(signature.strip().encode(), expected) else "signature does not match"


def mautic(headers: Mapping[str, str], body: bytes, secrets: Sequence[str]) -> str | None:
    """Webhook-Signature: base64 HMAC-SHA256 of the body. Mautic sends no timestamp."""
    signature = headers.get("webhook-signature")
    if not signature:
        return "missing Webhook-Signature"
    expected = [_hmac_b64(secret.encode(), body) for secret in secrets]
    return None if _any_equal(signature.strip().encode(), expected) else "signature does not match"


def shared_secret(headers: Mapping[str, str], header: str, secrets: Sequence[str]) -> str | None:
    """A secret the sender repeats in a header (Marketo signs nothing)."""
    offered = headers.get(header.lower())
    if not offered:
        return f"missing {header}"
    return None if _any_equal(offered.strip().encode(), [s.encode() for s in secrets]) else "wrong secret"


def standard_webhooks(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    now: datetime,
    tolerance: float = TOLERANCE_SECONDS,
) -> str | None:
    """Standard Webhooks: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, space-separated list."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    if not _is_epoch(timestamp, 10):
        return "webhook-timestamp is not a number of seconds"
    if _stale(int(timestamp), now, tolerance):
        return "webhook-timestamp is outside the 5-minute window"
    message = f"{msg_id}.{timestamp}.".encode() + body
    expected = [_hmac_b64(standard_webhooks_key(secret), message) for secret in secrets]
    offered = [part.split(",", 1)[1].encode() for part in signatures.split() if part.startswith("v1,")]
    if not offered:
        return "webhook-signature carries no v1 signature"
    return None if any(_any_equal(sig, expected) for sig in offered) else "signature does not match"


def standard_webhooks_key(secret: str) -> bytes:
    """`whsec_<base64>` secrets are base64 key bytes; anything else is used as typed."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


SALESFORCE_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
PLACEHOLDER_WORDS = ("set-your", "changeme", "change-me", "placeholder", "example", "your-secret", "xxxx")
MIN_SECRET = 16


def unusable(source: str, secret: str) -> str | None:
    """Why a configured secret cannot authenticate anything (a placeholder, too short), or None."""
    if source == "salesforce":
        return None if salesforce_id(secret) else "not a Salesforce organization id (15 or 18 characters)"
    lowered = secret.lower()
    if len(secret) < MIN_SECRET or any(word in lowered for word in PLACEHOLDER_WORDS):
        return f"a placeholder or shorter than {MIN_SECRET} characters"
    return None


def salesforce_id(value: str | None) -> str | None:
    """The 15-character form of a Salesforce id given in its 15- or 18-character form; None when it
    is neither (an 18-character id must carry the right case checksum)."""
    text = (value or "").strip()
    if len(text) not in (15, 18) or not text.isascii() or not text.isalnum():
        return None
    base = text[:15]
    if len(text) == 18:
        bits = [sum(1 << i for i, ch in enumerate(base[c : c + 5]) if ch.isupper()) for c in (0, 5, 10)]
        if "".join(SALESFORCE_CHECKSUM[b] for b in bits) != text[15:].upper():
            return None
    return base


def salesforce_org(organization_id: str | None, secrets: Sequence[str]) -> str | None:
    """Outbound Messages are not signed: the organization id in the body must be an accepted one,
    the whole of it (its 15- and 18-character forms agree; anything else is refused)."""
    if not organization_id:
        return "missing OrganizationId"
    offered = salesforce_id(organization_id)
    if offered is None:
        return "OrganizationId is not a Salesforce id"
    accepted = [canonical.encode() for s in secrets if (canonical := salesforce_id(s))]
    if not accepted:
        return "no valid organization id is configured"
    return None if _any_equal(offered.encode(), accepted) else "organization not accepted"
