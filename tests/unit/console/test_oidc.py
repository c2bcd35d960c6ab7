"""The OIDC sign-in's checks of an ID token (OpenID Connect Core 1.0, 3.1.3.7), on tokens signed
with keys generated here: the algorithms accepted, the key chosen from the issuer's JWK set, the
signature, the claims; and the use case, against a fake issuer: a rotated key is read once more,
a refusal is logged with its reason and without the token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa
from structlog.testing import LogCapture

from services.console.app import oidc as sign_in
from services.console.app.models import OidcLogin
from services.console.domain import oidc
from services.console.settings import ConsoleSettings
from shared.errors import Unauthorized
from tests.support.oidc_provider import SigningKey, hmac_with_public_key, unsigned
from tests.unit.console.fakes import FakeConsoleUnitOfWork

RSA, EC = SigningKey.generate("RS256", kid="r1"), SigningKey.generate("ES256", kid="e1")
KEY_SET = {"keys": [RSA.jwk(), EC.jwk()]}
ISSUER, CLIENT = "https://id.example", "console"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
GOOD = {
    "iss": ISSUER,
    "aud": CLIENT,
    "iat": 1000,
    "exp": 1300,
    "nonce": "n1",
    "sub": "42",
    "email": "rita@acme.io",
    "cascade_role": "revops",
}


@pytest.mark.parametrize(
    ("listed", "allowed", "accepted"),
    [
        (["RS256", "ES256", "HS256", "none"], ["RS256", "ES256"], ("RS256", "ES256")),
        (["ES256"], ["RS256", "ES256"], ("ES256",)),
        (None, ["RS256", "ES256"], ("RS256",)),
        (["HS256", "none", "RS256"], ["HS256", "none", "RS256"], ("RS256",)),
    ],
)
def test_only_public_key_algorithms_both_sides_list_are_accepted(
    listed: object, allowed: list[str], accepted: tuple[str, ...]
) -> None:
    assert oidc.accepted_algorithms(listed, allowed) == accepted


@pytest.mark.parametrize(
    ("header", "key_set", "chosen"),
    [
        ({"alg": "RS256", "kid": "r1"}, KEY_SET, "r1"),
        ({"alg": "ES256", "kid": "e1"}, KEY_SET, "e1"),
        ({"alg": "RS256", "kid": "r2"}, KEY_SET, None),
        ({"alg": "RS256", "kid": "e1"}, KEY_SET, None),
        ({"alg": "RS256"}, {"keys": [RSA.jwk()]}, "r1"),
        ({"alg": "RS256"}, {"keys": [RSA.jwk(), RSA.jwk() | {"kid": "r2"}]}, None),
        ({"alg": "RS256", "kid": "r1"}, {"keys": [RSA.jwk() | {"use": "enc"}]}, None),
        ({"alg": "RS256", "kid": "r1"}, {"keys": [RSA.jwk() | {"alg": "RS512"}]}, None),
        ({"alg": "RS256", "kid": "r1"}, {"keys": [RSA.jwk() | {"key_ops": ["encrypt"]}]}, None),
        ({"alg": "RS256", "kid": "r1"}, {}, None),
    ],
)
def test_the_key_is_the_published_one_the_header_names(
    header: dict[str, Any], key_set: dict[str, Any], chosen: str | None
) -> None:
    key = oidc.signing_key(key_set, header, ("RS256", "ES256"))
    assert (key and key["kid"]) == chosen


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", None])
def test_an_algorithm_not_accepted_is_refused_before_any_key_is_looked_for(alg: str | None) -> None:
    with pytest.raises(ValueError, match=f"signed with {alg!r}; the console accepts RS256, ES256"):
        oidc.signing_key(KEY_SET, {"alg": alg, "kid": "r1"}, ("RS256", "ES256"))


@pytest.mark.parametrize("key", [RSA, EC], ids=["RS256", "ES256"])
def test_a_token_signed_with_the_published_key_verifies(key: SigningKey) -> None:
    assert oidc.verified_claims(key.sign(GOOD), key.jwk(), key.alg) == GOOD


def _tampered(token: str) -> str:
    header, _, signature = token.split(".")
    payload = jwt.utils.base64url_encode(b'{"sub": "admin"}').decode()
    return f"{header}.{payload}.{signature}"


@pytest.mark.parametrize(
    ("token", "alg", "why"),
    [
        (SigningKey.generate(kid="r1").sign(GOOD), "RS256", "signature does not verify"),
        (_tampered(RSA.sign(GOOD)), "RS256", "signature does not verify"),
        (hmac_with_public_key(GOOD, RSA), "HS256", "cannot be verified"),
        (unsigned(GOOD, "r1"), "RS256", "cannot be verified"),
        (jwt.PyJWS().encode(b"not json", RSA.private, "RS256"), "RS256", "payload is not a JSON object"),
    ],
    ids=["another key", "tampered", "HS256 keyed with the public key", "alg none", "not JSON"],
)
def test_a_token_the_key_does_not_verify_is_refused(token: str, alg: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        oidc.verified_claims(token, RSA.jwk(), alg)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_key_too_short_to_trust_is_refused() -> None:
    weak = SigningKey("w1", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=1024))
    with pytest.raises(ValueError, match=r"cannot be verified .*1024 bits"):
        oidc.verified_claims(weak.sign(GOOD), weak.jwk(), "RS256")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        ({"aud": [CLIENT]}, None),
        ({"aud": [CLIENT, "other"], "azp": CLIENT}, None),
        ({"exp": 950}, None),
        ({"iat": 1060}, None),
        ({"nbf": 1050}, None),
        ({"iss": f"{ISSUER}/"}, "the ID token comes from another issuer"),
        ({"iss": "https://evil.example"}, "the ID token comes from another issuer"),
        ({"aud": "other"}, "the ID token is for another client"),
        ({"aud": ["other", "more"]}, "the ID token is for another client"),
        ({"aud": [CLIENT, "other"]}, "the ID token was issued to another party (azp)"),
        ({"azp": "other"}, "the ID token was issued to another party (azp)"),
        ({"exp": 940}, "the ID token has expired"),
        ({"exp": "2000"}, "the ID token has expired"),
        ({"exp": True}, "the ID token has expired"),
        ({"exp": None}, "the ID token has expired"),
        ({"iat": 1061}, "the ID token's issue time is missing or in the future"),
        ({"iat": None}, "the ID token's issue time is missing or in the future"),
        ({"nbf": 1100}, "the ID token is not valid yet"),
        ({"nonce": "n2"}, "the ID token is not of this sign-in"),
        ({"nonce": None}, "the ID token is not of this sign-in"),
        ({"sub": ""}, "the ID token names nobody"),
    ],
)
def test_the_claims_are_checked(change: dict[str, Any], problem: str | None) -> None:
    claims = {k: v for k, v in (GOOD | change).items() if v is not None}
    found = oidc.claims_problem(claims, issuer=ISSUER, client_id=CLIENT, nonce="n1", now=1000.0, leeway=60.0)
    assert found == problem


def test_the_claims_give_a_user_name_and_a_role_and_the_request_a_nonce() -> None:
    assert oidc.username_of(GOOD) == "rita@acme.io"
    assert oidc.role_of(GOOD, "cascade_role", "read-only") == "revops"
    assert oidc.role_of(GOOD | {"cascade_role": "god"}, "cascade_role", "read-only") == "read-only"
    with pytest.raises(ValueError, match="not a JWT"):
        oidc.header_of("not-a-jwt")
    url = oidc.authorization_url(
        "https://id.example/auth", client_id="console", redirect_url="https://c/cb", state="s", nonce="n"
    )
    assert url.startswith(
        "https://id.example/auth?response_type=code&client_id=console&redirect_uri=https%3A%2F%2Fc%2Fcb"
    )
    assert url.endswith("&state=s&nonce=n")


class FakeIssuer:
    """The Issuer port: a key set read earlier, and the one it publishes now."""

    def __init__(self, read_earlier: list[SigningKey], published: list[SigningKey], token: str) -> None:
        self.read, self.published, self.token = read_earlier, published, token
        self.refreshes = 0

    async def endpoints(self) -> dict[str, Any]:
        return {"issuer": ISSUER, "id_token_signing_alg_values_supported": ["RS256", "ES256"]}

    async def keys(self, *, refresh: bool = False) -> dict[str, Any]:
        if refresh:
            self.refreshes += 1
            self.read = self.published
        return {"keys": [key.jwk() for key in self.read]}

    async def exchange(self, code: str) -> dict[str, Any]:
        return {"access_token": "at", "id_token": self.token}


SETTINGS = ConsoleSettings(
    console_oidc_issuer=ISSUER,
    console_oidc_client_id=CLIENT,
    console_oidc_redirect_url="https://console/sign-in/oidc/callback",
)


async def _finish(issuer: FakeIssuer) -> tuple[FakeConsoleUnitOfWork, tuple[str, str]]:
    uow = FakeConsoleUnitOfWork()
    await uow.oidc.add(OidcLogin(state="s1", nonce="n1", next_url="/review-queue", created_at=NOW))
    return uow, await sign_in.finish(uow, SETTINGS, issuer, state="s1", code="c1", now=NOW)


def _claims_now() -> dict[str, Any]:
    return GOOD | {"iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 300}


async def test_a_key_rotated_in_since_the_key_set_was_read_is_read_once_more() -> None:
    rotated = SigningKey.generate("ES256", kid="e2")
    issuer = FakeIssuer([RSA], [rotated], rotated.sign(_claims_now()))
    uow, (session_token, next_url) = await _finish(issuer)
    assert session_token and next_url == "/review-queue" and issuer.refreshes == 1
    user = await uow.users.get("rita@acme.io")
    assert user is not None and user.role == "revops"


async def test_a_refusal_is_logged_with_its_reason_and_not_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    captured = LogCapture()
    monkeypatch.setattr(sign_in, "log", structlog.wrap_logger(None, processors=[captured]))
    never_published = SigningKey.generate(kid="x9")
    issuer = FakeIssuer([RSA], [RSA, EC], never_published.sign(_claims_now()))
    with pytest.raises(Unauthorized, match="signed with a key the issuer does not publish"):
        await _finish(issuer)
    assert issuer.refreshes == 1, "an unknown key id reads the key set once more, not more"
    [entry] = captured.entries
    assert entry["event"] == "oidc.sign_in_refused" and "does not publish (kid 'x9')" in entry["reason"]
    assert all(issuer.token not in str(value) for value in entry.values())
