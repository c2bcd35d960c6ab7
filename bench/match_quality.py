"""Match quality: Cascade next to two baselines on a labelled set, in one run.

The set is generated: companies from Faker's company provider in several locales become
accounts (some with extra domains, some with subsidiaries); leads come from those accounts
with the noise real forms carry (case, legal suffix changed or dropped, "The", &/and,
abbreviations, typos, free-mail addresses, subdomains, subsidiaries, junk company fields, a
country elsewhere) and from companies that are not accounts, including look-alikes whose name
contains an account's name ("Delta Dental" next to "Delta"). Cascade runs for real: accounts
loaded into a scratch PostgreSQL database with the matcher's migrations, candidates from its
indexes, decisions from its engine.

    python bench/match_quality.py [--accounts 3000] [--leads 4000] [--seed 7]

precision = right auto-matches / auto-matches; recall = right auto-matches / leads of an
account; review = leads sent to review / all leads.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from faker import Faker
from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.matcher.domain.matching import LeadFacts

# Country, top-level domain and legal forms (Faker's company suffixes, less those that are part
# of a name such as "Group" or "and Sons", plus common spellings).
LOCALES = {
    "en_US": ("US", "com", ["Inc", "Inc.", "LLC", "Corp", "Corporation", "Co.", "Company", "Ltd", "PLC"]),
    "en_GB": ("GB", "co.uk", ["Ltd", "Limited", "PLC", "plc", "Ltd.", "LLC"]),
    "de_DE": ("DE", "de", ["GmbH", "AG", "KG", "GmbH & Co. KG", "AG & Co. KG", "KGaA", "GbR", "e.G.", "OHG"]),
    "fr_FR": ("FR", "fr", ["SA", "SAS", "SARL", "S.A.", "S.A.S.", "S.A.R.L."]),
    "es_ES": ("ES", "es", ["S.L.", "S.A.", "SL", "SA", "S.L.U.", "S.L.N.E", "S.Coop.", "S.L.L."]),
    "it_IT": ("IT", "it", ["S.p.A.", "S.r.l.", "SPA", "s.r.l.", "Srl"]),
    "nl_NL": ("NL", "nl", ["B.V.", "N.V.", "BV", "NV"]),
    "pt_BR": ("BR", "com.br", ["Ltda.", "S.A.", "S/A", "Ltda", "- ME", "- EI"]),
}
SECTORS = [
    "International",
    "Technologies",
    "Systems",
    "Services",
    "Manufacturing",
    "Laboratories",
    "Logistics",
    "Consulting",
    "Pharmaceuticals",
    "Insurance",
    "Energy",
    "Media",
    "Capital",
]
ABBREVIATE = {
    "International": "Intl",
    "Technologies": "Tech",
    "Systems": "Sys",
    "Services": "Svcs",
    "Manufacturing": "Mfg",
    "Laboratories": "Labs",
    "Corporation": "Corp",
    "Company": "Co",
}
LOOK_ALIKE_WORDS = [
    "Dental",
    "Foods",
    "Airlines",
    "Bakery",
    "Realty",
    "Motors",
    "Fitness",
    "Hospital",
    "Pizza",
    "Plumbing",
    "Florist",
    "Vineyards",
    "Pharmacy",
    "Law Group",
    "Auto Repair",
    "Kitchens",
]
FREE_MAIL = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "gmx.de", "orange.fr", "web.de"]
JUNK = ["n/a", "-", "none", "Self-employed", "Freelance", "test", "Private"]
ALL_SUFFIXES = sorted(
    {s for _, _, sfx in LOCALES.values() for s in sfx}
    | {
        "AG & Co. KGaA",
        "AG & Co. OHG",
        "GmbH & Co. KGaA",
        "GmbH & Co. OHG",
        "OHG mbH",
        "e.V.",
        "S.A.D",
        "S.A.T.",
        "S.A.U",
        "S.C.P",
        "S.Com.",
        "Stiftung & Co. KG",
        "Stiftung & Co. KGaA",
    },
    key=len,
)


@dataclass
class Company:
    name: str
    base: str  # the name without its legal suffix, as the bench sees it
    locale: str
    domains: list[str]
    account_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    parent_id: str | None = None


@dataclass(frozen=True)
class Lead:
    facts: LeadFacts
    truth: str | None  # the account the lead belongs to, None for other companies
    kind: str


def strip_suffix(name: str) -> str:
    for suffix in reversed(ALL_SUFFIXES):
        if name.endswith(" " + suffix) or name.endswith(", " + suffix):
            return name[: -len(suffix)].rstrip(" ,")
    return name


def crude_key(name: str) -> str:
    """The bench's own idea of "the same name" (not Cascade's), to keep non-accounts distinct."""
    return re.sub(r"[^a-z0-9]", "", strip_suffix(name).lower().replace("the ", ""))


def slug(text: str, rng: random.Random, fake: Faker) -> str:
    ascii_only = re.sub(r"[^a-z0-9]", "", text.lower().encode("ascii", "ignore").decode())
    if len(ascii_only) >= 3 and rng.random() < 0.75:
        return ascii_only
    words = re.findall(r"[a-z0-9]+", text.lower().encode("ascii", "ignore").decode())
    initials = "".join(w[0] for w in words) or "co"
    return initials + rng.choice(["hq", "corp", "group", "online", "web"]) + str(rng.randrange(10, 99))


def make_company(rng: random.Random, fakers: dict[str, Faker]) -> Company:
    locale = rng.choice(list(LOCALES))
    fake = fakers[locale]
    _, tld, suffixes = LOCALES[locale]
    if rng.random() < 0.3:
        base = f"{fake.last_name()} {rng.choice(SECTORS)}"
        name = f"{base} {rng.choice(suffixes)}"
    else:
        name = fake.company()
        base = strip_suffix(name)
    domain = f"{slug(base, rng, fake)}.{tld}"
    return Company(name, base, locale, [domain])


def build_directory(
    rng: random.Random, fakers: dict[str, Faker], n: int
) -> tuple[list[Company], list[Company]]:
    """`n` accounts (unique names, some with extra domains or subsidiaries) and as many others."""
    seen: set[str] = set()
    taken: set[str] = set()
    accounts: list[Company] = []
    others: list[Company] = []
    while len(accounts) + len(others) < 2 * n:
        company = make_company(rng, fakers)
        key = crude_key(company.name)
        if key in seen or company.domains[0] in taken:
            continue
        seen.add(key)
        taken.add(company.domains[0])
        (accounts if len(accounts) < n else others).append(company)
    for parent in rng.sample(accounts[: n // 2], n // 20):
        country = rng.choice(list(LOCALES))
        suffix = rng.choice(LOCALES[country][2])
        word = rng.choice(["Robotics", "Analytics", "Ventures", "Health", "Retail", "Energy"])
        child_domains = (
            [] if rng.random() < 0.5 else [f"{crude_key(parent.base)}-{word.lower()}.{LOCALES[country][1]}"]
        )
        child = Company(f"{parent.base} {word} {suffix}", f"{parent.base} {word}", country, child_domains)
        child.parent_id = parent.account_id
        accounts.append(child)
    for account in rng.sample(accounts, n // 10):
        account.domains.append(f"{crude_key(account.base)[:12]}-{rng.choice(['group', 'hq', 'global'])}.com")
    return accounts, others


def typo(text: str, rng: random.Random) -> str:
    words = [i for i, w in enumerate(text.split(" ")) if len(w) >= 5 and w.isalpha()]
    if not words:
        return text
    parts = text.split(" ")
    i = rng.choice(words)
    w = parts[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.choice(["swap", "drop", "double", "replace"])
    if op == "swap":
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif op == "drop":
        w = w[:j] + w[j + 1 :]
    elif op == "double":
        w = w[:j] + w[j] + w[j:]
    else:
        w = w[:j] + rng.choice("aeiourstn") + w[j + 1 :]
    parts[i] = w
    return " ".join(parts)


def name_variant(company: Company, rng: random.Random) -> tuple[str, str]:
    """What a person types for the company: one or two kinds of everyday noise."""
    name, applied = company.name, []
    for _ in range(rng.choice([1, 1, 2])):
        kind = rng.choice(["case", "suffix", "nosuffix", "the", "and", "abbrev", "asis"])
        applied.append(kind)
        if kind == "case":
            name = rng.choice([name.upper(), name.lower(), name.title()])
        elif kind == "suffix":
            name = f"{strip_suffix(name)} {rng.choice(LOCALES[company.locale][2])}"
        elif kind == "nosuffix":
            name = strip_suffix(name)
        elif kind == "the" and not name.startswith("The "):
            name = f"The {name}"
        elif kind == "and":
            name = name.replace(" and ", " & ") if " and " in name else name.replace(" & ", " and ")
        elif kind == "abbrev":
            for long, short in ABBREVIATE.items():
                name = re.sub(rf"\b{long}\b", short, name)
    return name, "+".join(applied)


def person(rng: random.Random, fake: Faker) -> tuple[str, str]:
    first, last = fake.first_name(), fake.last_name()
    local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower().encode("ascii", "ignore").decode()) or "x"
    return local + str(rng.randrange(1000)), first


def make_lead(
    kind: str,
    company: Company,
    truth: str | None,
    rng: random.Random,
    fakers: dict[str, Faker],
    parents: dict[str, Company],
) -> Lead:
    fake = fakers[company.locale]
    if not company.domains and kind in ("free_website", "subdomain", "extra_domain", "junk_company"):
        kind = "free_name"
    local, first = person(rng, fake)
    country = LOCALES[company.locale][0]
    if rng.random() < 0.08:
        country = rng.choice([c for c, _, _ in LOCALES.values()])
    company_field: str | None = company.name
    domain = company.domains[0] if company.domains else None
    website = None
    free = False
    if kind in ("free_name", "free_typo", "free_website", "look_alike_free", "other_free") or domain is None:
        domain, free = rng.choice(FREE_MAIL), True
    if kind in ("free_name", "look_alike_free", "other_free", "corp_variant"):
        company_field, _ = name_variant(company, rng)
    elif kind == "free_typo":
        company_field = typo(name_variant(company, rng)[0], rng)
    elif kind == "free_website":
        website, company_field = company.domains[0], rng.choice([None, *JUNK])
    elif kind == "subdomain":
        domain = f"{rng.choice(['mail', 'eu', 'us', 'corp', 'uk'])}.{domain}"
    elif kind == "extra_domain":
        domain = company.domains[-1]
    elif kind == "junk_company":
        company_field = rng.choice([None, *JUNK])
    elif kind == "child_at_parent" and company.parent_id:
        domain, free = parents[company.parent_id].domains[0], False
        company_field = name_variant(company, rng)[0]
    elif kind == "individual":
        company_field = rng.choice([None, *JUNK])
    facts = LeadFacts(
        email=f"{local}@{domain}",
        email_domain=domain,
        is_free_mail=free,
        company=company_field,
        website_domain=website,
        first_name=first,
        country=country,
    )
    return Lead(facts, truth, kind)


ACCOUNT_KINDS = {
    "corp_plain": 20,
    "corp_variant": 12,
    "subdomain": 5,
    "extra_domain": 4,
    "free_name": 22,
    "free_typo": 12,
    "free_website": 6,
    "junk_company": 5,
}
OTHER_KINDS = {"other_corp": 40, "look_alike": 25, "look_alike_free": 15, "other_free": 12, "individual": 8}


def build_leads(
    accounts: list[Company], others: list[Company], n: int, rng: random.Random, fakers: dict[str, Faker]
) -> list[Lead]:
    parents = {a.account_id: a for a in accounts}
    children = [a for a in accounts if a.parent_id]
    leads = []
    for i in range(n):
        if i % 5 < 3:  # three in five leads come from accounts
            if children and rng.random() < 0.06:
                child = rng.choice(children)
                kind = "child_at_parent" if rng.random() < 0.6 else "free_name"
                leads.append(make_lead(kind, child, child.account_id, rng, fakers, parents))
                continue
            account = rng.choice(accounts)
            kind = rng.choices(list(ACCOUNT_KINDS), list(ACCOUNT_KINDS.values()))[0]
            if kind == "extra_domain" and len(account.domains) < 2:
                kind = "corp_plain"
            leads.append(make_lead(kind, account, account.account_id, rng, fakers, parents))
        else:
            kind = rng.choices(list(OTHER_KINDS), list(OTHER_KINDS.values()))[0]
            other = rng.choice(others)
            if kind.startswith("look_alike"):
                model = rng.choice(accounts)
                word = rng.choice(LOOK_ALIKE_WORDS)
                tld = LOCALES[model.locale][1]
                other = Company(
                    f"{model.base} {word}",
                    f"{model.base} {word}",
                    model.locale,
                    [f"{crude_key(model.base)}{crude_key(word)}.{tld}"],
                )
            leads.append(make_lead(kind, other, None, rng, fakers, parents))
    return leads


@dataclass
class Tally:
    name: str
    auto: int = 0
    right: int = 0
    review: int = 0
    review_right: int = 0
    wrong_kinds: Counter[str] = field(default_factory=Counter)
    missed_kinds: Counter[str] = field(default_factory=Counter)

    def add(self, lead: Lead, outcome: str, account_id: str | None) -> None:
        if outcome == "matched":
            self.auto += 1
            if account_id == lead.truth:
                self.right += 1
            else:
                self.wrong_kinds[lead.kind] += 1
        elif outcome == "review":
            self.review += 1
            self.review_right += account_id == lead.truth
        if lead.truth and not (outcome == "matched" and account_id == lead.truth):
            self.missed_kinds[lead.kind] += 1

    def line(self, leads: list[Lead]) -> str:
        of_accounts = sum(1 for lead in leads if lead.truth)
        precision = self.right / self.auto if self.auto else 1.0
        recall = self.right / of_accounts
        return (
            f"{self.name:<24} precision {precision:.4f}  recall {recall:.4f}  review rate "
            f"{self.review / len(leads):.4f}  (auto {self.auto}, wrong {self.auto - self.right}, "
            f"review {self.review} of which top candidate right {self.review_right})"
        )


def exact_domain_baseline(leads: list[Lead], accounts: list[Company]) -> Tally:
    owner = {d: a.account_id for a in accounts for d in a.domains}
    tally = Tally("exact domain baseline")
    for lead in leads:
        f = lead.facts
        domain = None if f.is_free_mail else ".".join(f.email_domain.split(".")[-3:])
        found = owner.get(f.email_domain) or owner.get(domain or "") or owner.get(f.website_domain or "")
        tally.add(lead, "matched" if found else "no_match", found)
    return tally


def rapidfuzz_scan_baseline(leads: list[Lead], accounts: list[Company], cutoff: float = 90) -> Tally:
    """Exact email domain, else the best WRatio over every account name (a scan per lead)."""
    owner = {d: a.account_id for a in accounts for d in a.domains}
    names = [a.name for a in accounts]
    tally = Tally(f"RapidFuzz scan (>= {cutoff:g})")
    for lead in leads:
        f = lead.facts
        found = None if f.is_free_mail else owner.get(f.email_domain)
        if found is None and f.company:
            best = process.extractOne(
                f.company, names, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=cutoff
            )
            found = accounts[best[2]].account_id if best else None
        tally.add(lead, "matched" if found else "no_match", found)
    return tally


async def cascade(leads: list[Lead], accounts: list[Company], verbose: bool) -> Tally:
    from scratch import scratch_matcher  # the same scratch database the speed bench uses
    from sqlalchemy import text

    from services.matcher.domain.matching import decide
    from services.matcher.settings import MatcherSettings

    settings = MatcherSettings()
    tally = Tally("Cascade")
    ndjson = "\n".join(
        json.dumps(
            {
                "external_id": a.account_id,
                "name": a.name,
                "domains": a.domains,
                "parent_external_id": a.parent_id,
                "country": LOCALES[a.locale][0],
            }
        )
        for a in accounts
    )
    async with scratch_matcher(ndjson.encode()) as (engine, uows), uows() as uow:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT account_id, external_id FROM accounts"))
            ids = dict(rows.tuples().all())
        for lead in leads:
            facts = lead.facts.registrable()
            found = await uow.accounts.candidates(facts)
            decision = decide(facts, found, settings.match_rules())
            account_id = ids[decision.account.account_id] if decision.account else None
            tally.add(lead, decision.outcome, account_id)
            wrong = decision.outcome == "matched" and account_id != lead.truth
            if verbose and (wrong or (lead.truth and decision.outcome != "matched")):
                truth = next((a.name for a in accounts if a.account_id == lead.truth), None)
                print(
                    f"  [{lead.kind}] {lead.facts.company!r} {lead.facts.email} truth={truth!r}"
                    f" -> {decision.outcome}: {decision.explanation[:300]}"
                )
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--leads", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true", help="print every miss and wrong match")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    fakers = {locale: Faker(locale) for locale in LOCALES}
    for i, fake in enumerate(fakers.values()):
        fake.seed_instance(args.seed + i)
    accounts, others = build_directory(rng, fakers, args.accounts)
    leads = build_leads(accounts, others, args.leads, rng, fakers)
    tallies = [
        exact_domain_baseline(leads, accounts),
        rapidfuzz_scan_baseline(leads, accounts),
        asyncio.run(cascade(leads, accounts, args.verbose)),
    ]
    of_accounts = sum(1 for lead in leads if lead.truth)
    print(
        f"match quality: {len(accounts)} accounts ({len(LOCALES)} locales), {len(leads)} leads "
        f"({of_accounts} of accounts, {len(leads) - of_accounts} of other companies), seed {args.seed}"
    )
    for tally in tallies:
        print("  " + tally.line(leads))
    cascade_tally = tallies[-1]
    if cascade_tally.wrong_kinds:
        print("  Cascade wrong auto-matches by lead kind:", dict(cascade_tally.wrong_kinds.most_common()))
    print("  Cascade misses by lead kind:", dict(cascade_tally.missed_kinds.most_common()))


if __name__ == "__main__":
    main()
