"""The OpenID Connect issuer: its discovery document, its token endpoint and its signing keys."""

from __future__ import annotations

import time
from typing import Any

import httpx

from services.console.settings import ConsoleSettings
from shared.errors import Unauthorized, Unavailable


class OidcIssuer:
    def __init__(self, settings: ConsoleSettings) -> None:
        self._settings = settings
        self._client = httpx.AsyncClient(timeout=settings.console_http_timeout_seconds)
        self._endpoints: dict[str, Any] | None = None
        self._keys: dict[str, Any] | None = None
        self._keys_read = 0.0

    async def endpoints(self) -> dict[str, Any]:
        if self._endpoints is None:
            issuer = str(self._settings.console_oidc_issuer)
            document = await self._read(f"{issuer.rstrip('/')}/.well-known/openid-configuration", "issuer")
            if document.get("issuer") != issuer:  # OpenID Connect Discovery 1.0, 4.3
                raise Unavailable(
                    f"The OIDC discovery document names the issuer {document.get('issuer')!r},"
                    f" not the configured {issuer!r}."
                )
            self._endpoints = document
        return self._endpoints

    async def keys(self, *, refresh: bool = False) -> dict[str, Any]:
        stale = time.monotonic() - self._keys_read >= self._settings.console_oidc_keys_cache_seconds
        if self._keys is None or refresh or stale:
            uri = (await self.endpoints()).get("jwks_uri")
            if not isinstance(uri, str):
                raise Unavailable("The OIDC discovery document names no jwks_uri.")
            key_set = await self._read(uri, "key set")
            if not isinstance(key_set.get("keys"), list):
                raise Unavailable("The OIDC issuer's jwks_uri holds no JWK set.")
            self._keys, self._keys_read = key_set, time.monotonic()
        return self._keys

    async def _read(self, url: str, what: str) -> dict[str, Any]:
        try:
            answer = await self._client.get(url)
            answer.raise_for_status()
            document = answer.json()
        except (httpx.HTTPError, ValueError) as away:
            raise Unavailable(f"The OIDC {what} at {url} cannot be read ({type(away).__name__}).") from None
        if not isinstance(document, dict):
            raise Unavailable(f"The OIDC {what} at {url} is not a JSON object.")
        return document

    async def exchange(self, code: str) -> dict[str, Any]:
        settings = self._settings
        secret = settings.console_oidc_client_secret
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": str(settings.console_oidc_redirect_url),
        }
        auth = (str(settings.console_oidc_client_id), secret.get_secret_value() if secret else "")
        try:
            answer = await self._client.post((await self.endpoints())["token_endpoint"], data=form, auth=auth)
        except httpx.HTTPError as away:
            raise Unavailable(f"The OIDC token endpoint does not answer ({type(away).__name__}).") from None
        if not answer.is_success:
            raise Unauthorized(f"The issuer refused the sign-in ({answer.status_code}).")
        return dict(answer.json())

    async def aclose(self) -> None:
        await self._client.aclose()
