"""Web domains as every service compares them: the registrable domain, lower-cased."""

from __future__ import annotations

from functools import cache

import tldextract


@cache
def _extractor() -> tldextract.TLDExtract:
    # The suffix list bundled with tldextract: no network at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registrable_domain(value: str | None) -> str | None:
    """`https://www.shop.acme.co.uk/x` -> `acme.co.uk`; None when there is none."""
    if not value or not value.strip():
        return None
    parts = _extractor()(value.strip().lower())
    return parts.top_domain_under_public_suffix or None
