"""Company names as people type them: tidied, with the legal form kept aside for the matcher."""

from __future__ import annotations

import re

# Legal forms as they are written, longest first so "S.A.S." wins over "S.A.". Matched at the end of
# the name, after a space or comma, with or without dots.
_LEGAL_FORMS = sorted(
    [
        "Inc",
        "Incorporated",
        "Corp",
        "Corporation",
        "LLC",
        "L.L.C.",
        "LLP",
        "LP",
        "Ltd",
        "Limited",
        "PLC",
        "Co",
        "Company",
        "GmbH",
        "GmbH & Co. KG",
        "KG",
        "AG",
        "SE",
        "eG",
        "UG",
        "SA",
        "S.A.",
        "SAS",
        "S.A.S.",
        "SARL",
        "S.à r.l.",
        "SpA",
        "S.p.A.",
        "Srl",
        "S.r.l.",
        "SL",
        "S.L.",
        "BV",
        "B.V.",
        "NV",
        "N.V.",
        "AB",
        "A/S",
        "ApS",
        "AS",
        "ASA",
        "Oy",
        "Oyj",
        "Pty Ltd",
        "Pty",
        "Pte Ltd",
        "Pvt Ltd",
        "Private Limited",
        "KK",
        "K.K.",
        "Kabushiki Kaisha",
        "Sdn Bhd",
        "Bhd",
        "SRO",
        "s.r.o.",
        "Sp. z o.o.",
        "Kft",
        "Zrt",
        "LDA",
        "Lda",
        "SAB de CV",
        "S.A. de C.V.",
        "Ltda",
    ],
    key=len,
    reverse=True,
)
_FORM_PATTERN = re.compile(
    r"[\s,]+(" + "|".join(re.escape(form).replace(r"\.", r"\.?") for form in _LEGAL_FORMS) + r")\.?$",
    re.IGNORECASE,
)
_JUNK = {"n/a", "na", "none", "null", "-", "--", "?", "unknown", "test", "self", "self-employed", "private"}


def clean_company(raw: str | None) -> tuple[str | None, str | None]:
    """("Acme Widgets", "GmbH") from "  ACME Widgets,  GmbH "; junk such as "N/A" becomes None.

    Case is kept as typed unless the whole name is shouted or whispered; the legal form is
    returned as written (dots kept) so the matcher can decide what it weighs.
    """
    if raw is None:
        return None, None
    name = " ".join(raw.split()).strip(" ,;")
    if name.lower() in _JUNK or not any(ch.isalnum() for ch in name):
        return None, None
    suffix = None
    found = _FORM_PATTERN.search(name)
    if found and found.start() > 0:
        suffix = found.group(1)
        name = name[: found.start()].rstrip(" ,")
        if name.lower().endswith((" &", " and", " und", " et")):  # "Acme & Co.": the "& Co." is the form
            name, _, connector = name.rpartition(" ")
            suffix = f"{connector} {suffix}"
    if (name.isupper() and len(name) > 4) or name.islower():
        name = " ".join(word.capitalize() if len(word) > 3 else word.upper() for word in name.split())
    return name, suffix
