"""Match speed at a million accounts: p50/p99 per match and leads/s, next to a full scan.

Generates N accounts (Faker names in several locales, one or two domains each), loads them
into a scratch PostgreSQL database through the import path (COPY into a staging table, then
upserts), and times Cascade's match (one round trip for the indexed candidates plus the
decision) for M leads of every kind, one at a time. The baseline does what a system without
indexes does: an exact-domain lookup and, failing that, a RapidFuzz scan of every name.

    python bench/match_speed.py [--accounts 1000000] [--leads 2000]

Uses DATABASE_URL's server (default postgresql://postgres@127.0.0.1:5432), in a database it
creates and drops.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from scratch import scratch_matcher

from services.matcher.domain.matching import LeadFacts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def generate(n_accounts: int, n_leads: int, seed: int) -> tuple[bytes, list[dict[str, object]], list[str]]:
    from faker import Faker
    from match_quality import LOCALES, SECTORS

    rng = random.Random(seed)
    fakers = [Faker(locale) for locale in LOCALES]
    for i, fake in enumerate(fakers):
        fake.seed_instance(seed + i)
    words = sorted({fakers[0].word().title() for _ in range(3000)} | set(SECTORS))
    surnames = sorted({fake.last_name() for fake in fakers for _ in range(400)})
    lines, accounts = [], []
    for i in range(n_accounts):
        locale = list(LOCALES)[i % len(LOCALES)]
        suffix = rng.choice(LOCALES[locale][2])
        shape = rng.random()
        if shape < 0.4:
            name = f"{rng.choice(surnames)} {rng.choice(words)} {suffix}"
        elif shape < 0.7:
            name = f"{rng.choice(surnames)}-{rng.choice(surnames)} {suffix}"
        elif shape < 0.9:
            name = f"{rng.choice(words)} {rng.choice(words)} {rng.choice(SECTORS)}"
        else:
            name = fakers[i % len(fakers)].company()
        domains = [f"acct{i}.com"] + ([f"acct{i}-group.com"] if i % 10 == 0 else [])
        lines.append(json.dumps({"external_id": f"x{i}", "name": name, "domains": domains, "country": "US"}))
        accounts.append((name, domains[0]))
    leads = []
    for _ in range(n_leads):
        name, domain = rng.choice(accounts)
        kind = rng.choice(["domain", "free_name", "free_typo", "unknown"])
        if kind == "domain":
            leads.append({"kind": kind, "email": f"a@{domain}", "email_domain": domain, "company": name})
        elif kind == "free_name":
            leads.append(
                {"kind": kind, "email": "a@gmail.com", "email_domain": "gmail.com", "is_free_mail": True}
                | {"company": name}
            )
        elif kind == "free_typo":
            typo = name[:5] + name[6:] if len(name) > 8 else name
            leads.append(
                {"kind": kind, "email": "a@gmail.com", "email_domain": "gmail.com", "is_free_mail": True}
                | {"company": typo}
            )
        else:
            company = rng.choice(fakers).company() + " Unlisted"
            leads.append(
                {
                    "kind": kind,
                    "email": f"a@{uuid.uuid4().hex[:8]}.io",
                    "email_domain": "x.io",
                    "company": company,
                }
            )
    return "\n".join(lines).encode(), leads, [name for name, _ in accounts]


def facts_of(lead: dict[str, object]) -> LeadFacts:
    fields = {"is_free_mail": False, "website_domain": None} | {k: v for k, v in lead.items() if k != "kind"}
    return LeadFacts(**fields)  # type: ignore[arg-type]


async def time_cascade(uows: Callable[[], Any], leads: list[dict[str, object]]) -> dict[str, list[float]]:
    """Seconds per match, by lead kind."""
    from services.matcher.domain.matching import decide
    from services.matcher.settings import MatcherSettings

    rules = MatcherSettings().match_rules()
    timings: dict[str, list[float]] = {}
    async with uows() as uow:
        for lead in leads[:50]:  # warm the pool and the caches
            decide(facts_of(lead), await uow.accounts.candidates(facts_of(lead)), rules)
        for lead in leads:
            facts = facts_of(lead)
            started = time.perf_counter()
            found = await uow.accounts.candidates(facts)
            decide(facts, found, rules)
            timings.setdefault(str(lead["kind"]), []).append(time.perf_counter() - started)
    return timings


def time_scan(names: list[str], domains: dict[str, int], leads: list[dict[str, object]]) -> list[float]:
    from rapidfuzz import fuzz, process, utils

    timings = []
    for lead in leads:
        started = time.perf_counter()
        found = None if lead.get("is_free_mail") else domains.get(str(lead["email_domain"]))
        if found is None:
            process.extractOne(
                str(lead["company"]),
                names,
                scorer=fuzz.WRatio,
                processor=utils.default_process,
                score_cutoff=90,
            )
        timings.append(time.perf_counter() - started)
    return timings


def summary(label: str, timings: list[float]) -> str:
    ms = [t * 1000 for t in timings]
    return (
        f"{label}: p50 {percentile(ms, 0.5):.2f} ms, p99 {percentile(ms, 0.99):.2f} ms, "
        f"mean {statistics.fmean(ms):.2f} ms, {len(ms) / sum(timings):.0f} leads/s"
    )


async def main_async(args: argparse.Namespace) -> None:
    ndjson, leads, names = generate(args.accounts, args.leads, args.seed)
    async with scratch_matcher(ndjson) as (_, uows):
        cascade = await time_cascade(uows, leads)
    domains = {f"acct{i}.com": i for i in range(len(names))}
    scan = time_scan(names, domains, leads[: args.scan_leads])
    print(
        f"match speed: {args.accounts} accounts, {len(leads)} leads (domain, free-mail name, typo, unknown)"
    )
    every = [t for kind in cascade.values() for t in kind]
    print("  " + summary("Cascade (indexed candidates + decision, one at a time)", every))
    for kind, timings in sorted(cascade.items()):
        print("    " + summary(kind, timings))
    print("  " + summary(f"full RapidFuzz scan baseline ({len(scan)} leads)", scan))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--scan-leads", type=int, default=100, help="leads timed on the (slow) scan baseline")
    parser.add_argument("--seed", type=int, default=7)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
