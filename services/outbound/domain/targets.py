"""Where a webhook may go: no SSRF. A subscriber's URL must not reach inside our network
(private, loopback, link-local, metadata and other special addresses) unless a setting allows it."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class TargetPolicy:
    allow_loopback: bool = False
    allow_private: bool = False


def parse_target(url: str) -> tuple[str, int] | str:
    """(host, port) of an http(s) URL, or why it cannot be a webhook target."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a URL: {exc}"
    if parts.scheme not in ("http", "https"):
        return "the URL must be http or https"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username or parts.password:
        return "the URL must not carry credentials"
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def refusal(address: IpAddress, policy: TargetPolicy) -> str | None:
    """Why a resolved address may not be called, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if policy.allow_loopback else f"{address} is a loopback address"
    if address.is_private and not (address.is_link_local or address.is_reserved or address.is_unspecified):
        return None if policy.allow_private else f"{address} is a private address"
    if not address.is_global or address.is_multicast:
        return f"{address} is not a public address"
    return None


def refusals(addresses: list[IpAddress], policy: TargetPolicy) -> list[str]:
    """Every reason to refuse a host: one bad address among its records is enough."""
    return [reason for address in addresses if (reason := refusal(address, policy)) is not None]
