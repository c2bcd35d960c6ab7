"""Webhooks over HTTP: the SSRF guard (every address the host resolves to, checked before each
batch of requests; redirects are not followed) and deliveries signed with the `standardwebhooks` library."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from datetime import UTC, datetime
from functools import cache

import httpx
from standardwebhooks import Webhook

from services.outbound.app.deliveries import Outcome, Outgoing
from services.outbound.domain.targets import TargetPolicy, parse_target, refusals
from services.outbound.settings import OutboundSettings

USER_AGENT = "Cascade-Webhooks/1.0"


@cache
def tls_context() -> ssl.SSLContext:
    """Built once, on first use: loading the trust store costs more than a request."""
    return ssl.create_default_context()


async def resolve_refusals(url: str, policy: TargetPolicy) -> list[str]:
    target = parse_target(url)
    if isinstance(target, str):
        return [target]
    host, port = target
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return [f"{host} does not resolve"]
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    return refusals(addresses, policy)


def signed_headers(outgoing: Outgoing, at: datetime) -> dict[str, str]:
    signatures = [Webhook(secret).sign(outgoing.msg_id, at, outgoing.body) for secret in outgoing.secrets]
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": outgoing.msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


class HttpWebhooks:
    """The `TargetCheck` and `WebhookSender` ports."""

    def __init__(self, settings: OutboundSettings) -> None:
        self._policy = settings.target_policy
        self._timeout = settings.outbound_delivery_timeout_seconds
        self._concurrency = settings.outbound_delivery_concurrency

    async def refusals(self, url: str) -> list[str]:
        return await resolve_refusals(url, self._policy)

    async def send_all(self, outgoing: list[Outgoing]) -> list[Outcome]:
        gate = asyncio.Semaphore(self._concurrency)
        limits = httpx.Limits(max_connections=self._concurrency, max_keepalive_connections=self._concurrency)
        # Checked once per batch and URL (a host's addresses, resolved now), not per request.
        refused = {url: await self.refusals(url) for url in {item.url for item in outgoing}}
        async with httpx.AsyncClient(timeout=self._timeout, verify=tls_context(), limits=limits) as client:

            async def one(item: Outgoing) -> Outcome:
                if refused[item.url]:
                    return Outcome(None, f"refused target: {'; '.join(refused[item.url])}", 0.0)
                async with gate:
                    return await self._send(client, item)

            return list(await asyncio.gather(*(one(item) for item in outgoing)))

    async def _send(self, client: httpx.AsyncClient, outgoing: Outgoing) -> Outcome:
        started = time.perf_counter()
        headers = signed_headers(outgoing, datetime.now(UTC))
        try:
            response = await client.post(outgoing.url, content=outgoing.body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], _ms(started))
        return Outcome(
            response.status_code, None if response.is_success else response.text[:500], _ms(started)
        )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
