"""OpenID Connect (authorization-code flow) without I/O: the authorization URL, the checks of an
ID token (OpenID Connect Core 1.0, 3.1.3.7): which of the issuer's published keys may have signed
it, its signature, its claims; and the console role a token gives.

The signature is checked with PyJWT: pure computation, no I/O; the issuer's key set is read by the
adapter and handed in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import jwt

from services.console.domain.roles import ROLES

SCOPES = "openid email profile"
# Public-key algorithms only: never `none`, and never HMAC, whose "secret" would be a public key.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
UNLISTED_ALGORITHMS = ("RS256",)  # what an issuer whose discovery lists none signs with (3.1.3.7, 7)
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


def authorization_url(endpoint: str, *, client_id: str, redirect_url: str, state: str, nonce: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_url,
        "scope": SCOPES,
        "state": state,
        "nonce": nonce,
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def accepted_algorithms(listed: object, allowed: Sequence[str]) -> tuple[str, ...]:
    """The algorithms both the issuer's discovery (`id_token_signing_alg_values_supported`) lists
    and the console allows."""
    offered = listed if isinstance(listed, list) else UNLISTED_ALGORITHMS
    return tuple(name for name in allowed if name in offered and name in SIGNING_ALGORITHMS)


def header_of(id_token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, not yet trusted; ValueError when it is not one."""
    try:
        return jwt.get_unverified_header(id_token)
    except jwt.PyJWTError:
        raise ValueError("the ID token is not a JWT") from None


def signing_key(
    key_set: Mapping[str, Any], header: Mapping[str, Any], algorithms: Sequence[str]
) -> dict[str, Any] | None:
    """The key of the issuer's JWK set that may have signed a token with this header; None when the
    set holds none (it may predate a rotation). ValueError when the algorithm is not accepted."""
    alg = header.get("alg")
    if alg not in algorithms:
        accepted = ", ".join(algorithms) or "none of the algorithms the issuer lists"
        raise ValueError(f"the ID token is signed with {alg!r}; the console accepts {accepted}")
    keys = [key for key in key_set.get("keys", []) if isinstance(key, dict) and _may_sign(key, str(alg))]
    if "kid" not in header:
        return keys[0] if len(keys) == 1 else None
    return next((key for key in keys if key.get("kid") == header["kid"]), None)


def _may_sign(key: Mapping[str, Any], alg: str) -> bool:
    return (
        key.get("kty") == _KEY_TYPES[alg[:2]]
        and key.get("use", "sig") == "sig"
        and "verify" in key.get("key_ops", ["verify"])
        and key.get("alg", alg) == alg
        and key.get("crv") == _CURVES.get(alg)
    )


def verified_claims(id_token: str, key: Mapping[str, Any], alg: str) -> dict[str, Any]:
    """The payload of an ID token whose signature `key` verifies with `alg`; ValueError otherwise."""
    try:
        public_key = jwt.PyJWK(dict(key), algorithm=alg)
        signed = jwt.PyJWS().decode_complete(
            id_token, public_key, algorithms=[alg], options={"enforce_minimum_key_length": True}
        )
    except jwt.InvalidSignatureError:
        raise ValueError("the ID token's signature does not verify with the issuer's key") from None
    except jwt.PyJWTError as bad:
        raise ValueError(f"the ID token cannot be verified ({bad})") from None
    try:
        claims = json.loads(signed["payload"])
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise ValueError("the ID token's payload is not a JSON object")
    return claims


def claims_problem(
    claims: Mapping[str, Any], *, issuer: str, client_id: str, nonce: str, now: float, leeway: float
) -> str | None:
    """What is wrong with a verified token's claims for this sign-in, if anything."""
    if claims.get("iss") != issuer:
        return "the ID token comes from another issuer"
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        return "the ID token is for another client"
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        return "the ID token was issued to another party (azp)"
    if not _is_time(claims.get("exp")) or claims["exp"] <= now - leeway:
        return "the ID token has expired"
    if not _is_time(claims.get("iat")) or claims["iat"] > now + leeway:
        return "the ID token's issue time is missing or in the future"
    if "nbf" in claims and (not _is_time(claims["nbf"]) or claims["nbf"] > now + leeway):
        return "the ID token is not valid yet"
    if claims.get("nonce") != nonce:
        return "the ID token is not of this sign-in"
    if not claims.get("sub"):
        return "the ID token names nobody"
    return None


def _is_time(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def username_of(claims: Mapping[str, Any]) -> str:
    return str(claims.get("preferred_username") or claims.get("email") or claims["sub"])[:64]


def role_of(claims: Mapping[str, Any], claim: str, default: str) -> str:
    found = claims.get(claim)
    return found if isinstance(found, str) and found in ROLES else default
