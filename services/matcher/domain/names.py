"""Company names as matching compares them: normalised tokens, a compact key, an acronym.

`Acme, Inc.`, `ACME Inc`, `The Acme Company` and `Acmé` share the key `acme`; `Smith & Jones
Ltd` and `Smith and Jones` share `smithjones`; `Intl Business Machines Corp` reads
`international business machines` with the acronym `ibm`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache


def _words(text: str) -> list[str]:
    return text.split()


# Letters NFKD does not decompose into ASCII.
_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th", "ı": "i"})  # noqa: RUF001
_LEGAL_WORDS_CJK = ("株式会社", "有限会社", "合同会社", "有限公司", "股份有限公司", "(株)", "（株）")  # noqa: RUF001
_DOMAIN_TLD = re.compile(r"(?<=\w\w)\.(com|net|org|io|co|ai|biz|info)\b")  # Amazon.com, not S.Com.
_SLASHED = re.compile(r"\b([a-z])/([a-z])\b")  # A/S, S/A
_APOSTROPHE = re.compile(r"['’`´]")  # noqa: RUF001
_NON_WORD = re.compile(r"[^\w]+|_")

CONNECTORS = frozenset({"and", "et", "und", "y", "e", "en", "og", "och", "u"})

# Legal forms, stripped only at the end of a name (a few also as prefixes), by country group.
_SINGLE_FORMS = _words(
    "inc incorporated corp corporation co company cos llc llp lllp lp ltd limited plc pllc pc pty pte pvt "
    "gmbh mbh ag kg kgaa ohg gbr eg ev ug se aktiengesellschaft "  # de, at, ch
    "sa sas sasu sarl eurl sca scs snc sprl scrl "  # fr, be, lu
    "sl slu slne sll scoop scom scp sad sat sau spa srl srls sapa sccl "  # es, it
    "ltda sac saa sab eireli epp ei me "  # pt, latam
    "bv nv vof cvba bvba ab publ as asa oy oyj aps sro spol zrt kft nyrt doo "  # nl, nordics, cee
    "spzoo ooo zao oao pao jsc ojsc pjsc cjsc kk gk bhd tbk"  # ru, asia-pacific
)
_MULTI_FORMS = (
    "private limited",
    "public limited company",
    "limited liability company",
    "gesellschaft mit beschrankter haftung",
    "societe anonyme",
    "sp z oo",
    "s de rl",
    "s de rl de cv",
    "sa de cv",
    "de cv",
    "kabushiki kaisha",
    "godo kaisha",
    "yugen kaisha",
    "sdn bhd",
    "stiftung co kg",
    "stiftung co kgaa",
    "a s",
)
LEGAL_SUFFIXES: frozenset[tuple[str, ...]] = frozenset(
    [(form,) for form in _SINGLE_FORMS] + [tuple(form.split()) for form in _MULTI_FORMS]
)
_MULTI_SUFFIXES = sorted((f for f in LEGAL_SUFFIXES if len(f) > 1), key=len, reverse=True)
_LEGAL_PREFIXES = frozenset({"pt", "ooo", "zao", "oao", "pao", "jsc", "ojsc", "pjsc"})

ABBREVIATIONS = {
    **dict.fromkeys(("intl", "internat", "int", "international"), "international"),
    **dict.fromkeys(("tech", "techs", "technol", "technology", "technologies"), "technology"),
    **dict.fromkeys(("sys", "syst", "system", "systems"), "systems"),
    **dict.fromkeys(("svc", "svcs", "serv", "service", "services"), "services"),
    **dict.fromkeys(("mfg", "mfr", "manufacturing"), "manufacturing"),
    **dict.fromkeys(("mgmt", "mgt", "management"), "management"),
    **dict.fromkeys(("natl", "nat", "national"), "national"),
    **dict.fromkeys(("assoc", "assocs", "associates"), "associates"),
    **dict.fromkeys(("assn", "association"), "association"),
    **dict.fromkeys(("bros", "brothers"), "brothers"),
    **dict.fromkeys(("grp", "group"), "group"),
    **dict.fromkeys(("hldg", "hldgs", "holding", "holdings"), "holdings"),
    **dict.fromkeys(("univ", "university"), "university"),
    **dict.fromkeys(("lab", "labs", "laboratory", "laboratories"), "laboratories"),
    **dict.fromkeys(("soln", "solns", "solution", "solutions"), "solutions"),
    **dict.fromkeys(("ctr", "center", "centre"), "center"),
    **dict.fromkeys(("mktg", "marketing"), "marketing"),
    **dict.fromkeys(("dept", "department"), "department"),
    **dict.fromkeys(("ins", "insurance"), "insurance"),
    **dict.fromkeys(("fin", "financial"), "financial"),
    **dict.fromkeys(("pharma", "pharm", "pharmaceutical", "pharmaceuticals"), "pharmaceuticals"),
}

# Words that say little about which company is meant: an extra one of these between two names
# makes a subsidiary or a variant more likely than another company.
GENERIC_WORDS = frozenset(
    _words(
        "group grupo gruppe groupe holdings international global worldwide services solutions systems "
        "technology company "
        "partners associates enterprises industries consulting north south east west europe european "
        "america american americas asia pacific emea us usa uk de fr es it nl germany deutschland france "
        "spain espana italy italia netherlands nederland japan india canada australia brazil brasil "
        "mexico china uae ireland switzerland schweiz austria osterreich sweden norway denmark finland "
        "poland belgium portugal hq usa inc digital online"
    )
)

JUNK_COMPANIES = frozenset(
    {
        *_words("na none null nil unknown test testing self selfemployed freelance freelancer private"),
        *_words("individual personal student retired homemaker nocompany notapplicable xxx asdf other"),
        "misc",
    }
)


@dataclass(frozen=True)
class CompanyName:
    tokens: tuple[str, ...]
    # The words as typed (before abbreviations were expanded): a typo hides in these.
    typed: tuple[str, ...] = field(default=(), compare=False)

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    @property
    def key(self) -> str:
        """Spaces and hyphens do not tell companies apart: `Smith-Jones` is `Smith Jones`."""
        return "".join(self.tokens)

    @property
    def core(self) -> str:
        """The key without generic words: `Acme Group` and `Acme International` share `acme`."""
        return "".join(t for t in self.tokens if t not in GENERIC_WORDS) or self.key

    @property
    def sorted_key(self) -> str:
        """The key with its words in order: `Jones Smith` is `Smith Jones` told the other way."""
        return "".join(sorted(self.tokens))

    @property
    def acronym(self) -> str | None:
        """Initials of a name of three or more words; shorter acronyms collide too often."""
        if len(self.tokens) < 3:
            return None
        return "".join(token[0] for token in self.tokens)

    def __bool__(self) -> bool:
        return bool(self.tokens)


def _fold(raw: str) -> str:
    text = unicodedata.normalize("NFKD", raw.casefold().translate(_FOLD))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _strip_legal(tokens: list[str]) -> list[str]:
    while len(tokens) > 1 and tokens[0] in _LEGAL_PREFIXES:
        tokens = tokens[1:]
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for form in _MULTI_SUFFIXES:
            if len(tokens) > len(form) and tuple(tokens[-len(form) :]) == form:
                tokens, changed = tokens[: -len(form)], True
                break
        else:
            if (tokens[-1],) in LEGAL_SUFFIXES or tokens[-1] in CONNECTORS:
                tokens, changed = tokens[:-1], True
    return tokens


@lru_cache(maxsize=65536)
def company_name(raw: str | None) -> CompanyName:
    """The normalised form of a company name; empty for junk such as `n/a` or `self-employed`."""
    if not raw:
        return CompanyName(())
    text = raw.strip()
    for word in _LEGAL_WORDS_CJK:
        text = text.replace(word, " ")
    text = _fold(text)
    text = _DOMAIN_TLD.sub(" ", text)
    text = _SLASHED.sub(r"\1\2", text)
    text = _APOSTROPHE.sub("", text).replace(".", "").replace("&", " and ").replace("+", " and ")
    words = [w for w in _NON_WORD.split(text) if w]
    if not words or " ".join(words) in JUNK_COMPANIES or "".join(words) in JUNK_COMPANIES:
        return CompanyName(())
    while words[0] == "the" and len(words) > 1:
        words = words[1:]
    words = [w for i, w in enumerate(words) if i == 0 or w not in CONNECTORS]
    words = _strip_legal(words)
    return CompanyName(tuple(ABBREVIATIONS.get(w, w) for w in words), tuple(words))


def domain_label(domain: str | None) -> str:
    """`acme-corp.co.uk` -> `acmecorp`: the registrable domain's name part, as a name key."""
    if not domain:
        return ""
    label = domain.split(".", 1)[0]
    return "".join(ch for ch in label if ch.isalnum())
