"""Sign-in with OpenID Connect against a local provider that signs its ID tokens with a key of its
own: the authorization-code flow gives a session with the role the ID token names; a replayed
state, a forged token (another key, `alg: none`, HS256 keyed with the public key, an algorithm the
provider does not list) and a token for another client, from another issuer, expired or of another
sign-in are refused; a rotated key is read when a token names it."""

from __future__ import annotations

import html
import time
from collections.abc import AsyncIterator, Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from services.console.bootstrap import DEFINITION
from shared.app import create_app
from tests.conftest import make_settings
from tests.support.console_fakes import FakeServices
from tests.support.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    OidcProvider,
    SigningKey,
    hmac_with_public_key,
    unsigned,
)


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    running = OidcProvider()
    yield running
    running.stop()


@pytest.fixture
async def console(fresh_database_url: str, provider: OidcProvider) -> AsyncIterator[httpx.AsyncClient]:
    """On a database of its own: the people an OIDC sign-in creates would otherwise keep the
    session database's console from ever making its first admin."""
    settings = DEFINITION.settings(
        **make_settings(fresh_database_url, "127.0.0.1:1", log_json=True),
        console_oidc_issuer=provider.url,
        console_oidc_client_id=CLIENT_ID,
        console_oidc_client_secret=CLIENT_SECRET,
        console_oidc_redirect_url="http://console/sign-in/oidc/callback",
    )
    app = create_app(DEFINITION, settings, with_kafka=False)
    async with app.router.lifespan_context(app):
        app.state.runtime.clients["services"] = FakeServices(
            routes={("matcher", "GET", "/v1/review-queue"): []}
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://console"
        ) as client:
            yield client


async def to_provider_and_back(console: httpx.AsyncClient) -> tuple[str, httpx.Response]:
    """Start a sign-in, let the provider answer, and bring its redirect back to the console."""
    started = await console.get("/sign-in/oidc", params={"next": "/review-queue?status=all"})
    assert started.status_code == 303
    async with httpx.AsyncClient() as browser:
        answered = await browser.get(started.headers["location"])
    assert answered.status_code == 302
    back = urlsplit(answered.headers["location"])
    callback = f"{back.path}?{back.query}"
    return callback, await console.get(callback)


async def test_an_oidc_sign_in_opens_a_session_with_the_tokens_role(
    console: httpx.AsyncClient, provider: OidcProvider
) -> None:
    assert "Sign in with your company account" in (await console.get("/")).text
    provider.person |= {
        "sub": "u-7",
        "preferred_username": "olga",
        "name": "Olga Ops",
        "cascade_role": "revops",
    }
    callback, signed = await to_provider_and_back(console)
    assert signed.status_code == 303 and signed.headers["location"] == "/review-queue?status=all"
    page = await console.get("/review-queue")
    assert (
        page.status_code == 200
        and "Olga Ops" in page.text
        and '<span class="role">revops</span>' in page.text
    )
    assert provider.key_set_reads == 1

    console.cookies.clear()
    replayed = await console.get(callback)
    assert replayed.status_code == 401 and "unknown or too old" in replayed.text


async def test_a_token_naming_no_valid_role_gives_the_default_role(
    console: httpx.AsyncClient, provider: OidcProvider
) -> None:
    provider.person |= {
        "sub": "u-8",
        "preferred_username": "sam",
        "name": "Sam Seller",
        "cascade_role": "emperor",
    }
    _, signed = await to_provider_and_back(console)
    assert signed.status_code == 303
    assert '<span class="role">read-only</span>' in (await console.get("/review-queue")).text


def _signed_by_another_key(provider: OidcProvider) -> None:
    impostor = SigningKey.generate(kid=provider.key.kid)
    provider.signer = impostor.sign


def _set(**claims: object) -> Callable[[OidcProvider], None]:
    def setup(provider: OidcProvider) -> None:
        provider.claims = claims

    return setup


def _only_es256_listed(provider: OidcProvider) -> None:
    provider.algorithms = ["ES256"]


def _of_another_sign_in(provider: OidcProvider) -> None:
    provider.wrong_nonce = True


NOW = int(time.time())
REFUSALS = {
    "another key": (_signed_by_another_key, "signature does not verify"),
    "alg none": (
        lambda p: setattr(p, "signer", lambda claims: unsigned(claims, p.key.kid)),
        "signed with 'none'; the console accepts RS256, ES256",
    ),
    "HS256 keyed with the public key": (
        lambda p: setattr(p, "signer", lambda claims: hmac_with_public_key(claims, p.key)),
        "signed with 'HS256'; the console accepts RS256, ES256",
    ),
    "an algorithm discovery does not list": (
        _only_es256_listed,
        "signed with 'RS256'; the console accepts ES256",
    ),
    "another client": (_set(aud="someone-else"), "the ID token is for another client"),
    "several audiences, no azp": (_set(aud=[CLIENT_ID, "someone-else"]), "issued to another party"),
    "another issuer": (_set(iss="https://id.evil.example"), "the ID token comes from another issuer"),
    "expired": (_set(iat=NOW - 900, exp=NOW - 600), "the ID token has expired"),
    "another sign-in": (_of_another_sign_in, "the ID token is not of this sign-in"),
}


@pytest.mark.parametrize(("forge", "why"), REFUSALS.values(), ids=REFUSALS.keys())
async def test_a_forged_or_misdirected_token_is_refused_and_the_page_says_why(
    console: httpx.AsyncClient, provider: OidcProvider, forge: Callable[[OidcProvider], None], why: str
) -> None:
    forge(provider)
    _, refused = await to_provider_and_back(console)
    assert refused.status_code == 401 and "cascade_session" not in refused.cookies
    said = html.unescape(refused.text)
    assert "Sign-in refused: the ID token" in said and why in said
    assert (await console.get("/review-queue")).status_code != 200


async def test_a_rotated_key_is_read_once_when_a_token_names_it(
    console: httpx.AsyncClient, provider: OidcProvider
) -> None:
    for _ in range(2):
        assert (await to_provider_and_back(console))[1].status_code == 303
    assert provider.key_set_reads == 1, "the key set is kept between sign-ins"

    provider.rotate("ES256")
    console.cookies.clear()
    _, signed = await to_provider_and_back(console)
    assert signed.status_code == 303 and provider.key_set_reads == 2
    assert (await console.get("/review-queue")).status_code == 200

    provider.signer = SigningKey.generate().sign  # a key the provider never publishes
    _, refused = await to_provider_and_back(console)
    assert refused.status_code == 401 and "signed with a key the issuer does not publish" in refused.text
    assert provider.key_set_reads == 3, "an unknown key id reads the key set once more, not more"
