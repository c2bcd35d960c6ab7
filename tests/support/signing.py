"""Sign webhook bodies the way each platform does (for tests and the ingest benchmark)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


def _b64_hmac(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def hubspot(
    secret: str, uri: str, body: bytes, *, method: str = "POST", at: float | None = None
) -> dict[str, str]:
    timestamp = str(int((time.time() if at is None else at) * 1000))
    signature = _b64_hmac(secret.encode(), method.encode() + uri.encode() + body + timestamp.encode())
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": signature,
        "X-HubSpot-Request-Timestamp": timestamp,
    }


def mautic(secret: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "Webhook-Signature": _b64_hmac(secret.encode(), body)}


def standard(secret: str, msg_id: str, body: bytes, *, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    key = base64.b64decode(secret.removeprefix("whsec_")) if secret.startswith("whsec_") else secret.encode()
    signature = _b64_hmac(key, f"{msg_id}.{timestamp}.".encode() + body)
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": f"v1,{signature}",
    }
