"""Pure normalisation of what MAPs and people type into lead fields."""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import Any

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

from services.ingest.domain.freemail import FREE_MAIL_DOMAINS


class InvalidEmail(ValueError):
    pass


def normalise_email(raw: str) -> str:
    """Lower-cased, syntax-checked address (no DNS look-up)."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc
    return result.normalized.lower()


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1]


def is_free_mail(domain: str) -> bool:
    return domain in FREE_MAIL_DOMAINS


def clean_text(value: str | None) -> str | None:
    """Collapse runs of whitespace; empty becomes None."""
    if value is None:
        return None
    collapsed = " ".join(value.split())
    return collapsed or None


# Names people type that ISO 3166 (as pycountry has it) does not list; keys are folded (see _fold).
_COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "us": "US",
    "usa": "US",
    "america": "US",
    "united states of america": "US",
    "the united states": "US",
    "russia": "RU",
    "turkey": "TR",
    "holland": "NL",
    "the netherlands": "NL",
    "nederland": "NL",
    "deutschland": "DE",
    "espana": "ES",
    "brasil": "BR",
    "schweiz": "CH",
    "suisse": "CH",
    "osterreich": "AT",
    "italia": "IT",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "polska": "PL",
    "uae": "AE",
    "ivory coast": "CI",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "czechia": "CZ",
    "macedonia": "MK",
    "burma": "MM",
    "swaziland": "SZ",
    "cape verde": "CV",
    "vatican": "VA",
    "hong kong sar": "HK",
    "prc": "CN",
    "mainland china": "CN",
}


def _fold(value: str) -> str:
    """Lower-case, accents off, dots gone ("U.S.A." -> "usa"), whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(ascii_only.replace(".", "").lower().split())


@lru_cache(maxsize=4096)
def country_code(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a code (alpha-2/3), an English or local name; None when unknown."""
    if not value or not value.strip():
        return None
    folded = _fold(value)
    if folded in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[folded]
    try:
        country = pycountry.countries.lookup(folded)
    except LookupError:
        return None
    code: str = country.alpha_2
    return code


_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)


def phone_e164(value: str | None, country: str | None = None) -> str | None:
    """E.164 (`+442071838750`), using the lead's country for national numbers; None if not a number."""
    cleaned = clean_text(value)
    if not cleaned:
        return None
    number = _EXTENSION.sub("", cleaned)
    if number.startswith("00"):
        number = "+" + number[2:]
    try:
        parsed = phonenumbers.parse(number, country if not number.startswith("+") else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# Yes/no words only: "unsubscribed" or "opted out" mean opposite things in a consent field and in
# an unsubscribe field, so they are left to the source's parser, which knows the field.
_TRUE = {"true", "yes", "y", "1", "on", "checked", "x"}
_FALSE = {"false", "no", "n", "0", "off", "unchecked", ""}


def flag(value: object) -> bool | None:
    """A consent-style flag from whatever a form or MAP sends; None when it says nothing."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE and text:
        return False
    return None


# Spaces are taken out first: with no quantifier that can match the same character twice, the
# match is linear in the input (an earlier pattern backtracked for seconds on a few hundred spaces).
_RANGE = re.compile(r"(\d[\d,.]*)(k)?(?:[-\u2013]\d[\d,.]*k?|\+)?", re.IGNORECASE)
_THOUSANDS = re.compile(r"\d{1,3}([.,]\d{3})+")
MAX_COUNT_TEXT = 40
MAX_HEAD_COUNT = 10_000_000


def employee_count(value: object) -> int | None:
    """A head count from 1200, "1,200", "25-50" (its lower bound), "1000+", "10k"; None if none given.

    Raises ValueError for a value that is not a head count at all, or not a plausible one.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        count = _plausible(value)
    else:
        raw = str(value)
        text = "".join(raw.split())
        if not text:
            return None
        if len(raw) > MAX_COUNT_TEXT * 4 or len(text) > MAX_COUNT_TEXT:
            raise ValueError(f"{text[:MAX_COUNT_TEXT]!r}... is not a number of employees")
        found = _RANGE.fullmatch(text)
        if not found:
            raise ValueError(f"{text!r} is not a number of employees")
        count = _plausible(_count(found.group(1), bool(found.group(2))))
    return count


def _count(digits: str, thousands: bool) -> float:
    if thousands:  # "1,5k" and "1.5k": the separator is a decimal point
        return float(digits.replace(",", ".")) * 1000
    if _THOUSANDS.fullmatch(digits):  # "1,200", and "1.200" as German or French write it
        return float(digits.replace(",", "").replace(".", ""))
    return float(digits.replace(",", "."))


def _plausible(count: float) -> int:
    if (isinstance(count, float) and not math.isfinite(count)) or not 0 <= count <= MAX_HEAD_COUNT:
        raise ValueError(f"{str(count)[:20]} is not a plausible number of employees")
    return int(count)


def storable(value: Any) -> Any:
    """JSON as PostgreSQL can keep it: NUL characters dropped, lone surrogates replaced.

    Both are valid in JSON text and refused by PostgreSQL's text and jsonb types, as are
    NaN and the infinities, which raise ValueError here.
    """
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a number JSON can carry")
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        return value.encode("utf-8", "replace").decode("utf-8") if not value.isascii() else value
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value
