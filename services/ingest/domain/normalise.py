"""Pure normalisation of what MAPs and people type into lead fields."""

from __future__ import annotations

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
    return email.rsplit("@", 1)[1]


def is_free_mail(domain: str) -> bool:
    return domain in FREE_MAIL_DOMAINS


def clean_text(value: str | None) -> str | None:
    """Collapse runs of whitespace; empty becomes None."""
    if value is None:
        return None
    collapsed = " ".join(value.split())
    return collapsed or None


def country_code(value: str | None) -> str | None:
    """Two-letter codes upper-cased; anything else kept as typed (first version)."""
    cleaned = clean_text(value)
    if cleaned and len(cleaned) == 2 and cleaned.isalpha():
        return cleaned.upper()
    return cleaned
