import pytest

from services.ingest.domain import normalise
from services.ingest.domain.leads import changed_fields
from shared.domains import registrable_domain


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada@Example.COM", "ada@example.com"),
        ("  bob.smith+mql@acme.co.uk ", "bob.smith+mql@acme.co.uk"),
        ("ÉLODIE@exemple.fr", "élodie@exemple.fr"),
    ],
)
def test_emails_are_lower_cased_and_trimmed(raw: str, expected: str) -> None:
    assert normalise.normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "nope", "a@", "@acme.com", "a@@acme.com", "a b@acme.com", "a@acme"])
def test_invalid_emails_are_refused(raw: str) -> None:
    with pytest.raises(normalise.InvalidEmail):
        normalise.normalise_email(raw)


@pytest.mark.parametrize(
    ("domain", "free"),
    [
        ("gmail.com", True),
        ("yahoo.co.uk", True),
        ("web.de", True),
        ("acme.com", False),
        ("gmail.acme.com", False),
    ],
)
def test_free_mail_domains(domain: str, free: bool) -> None:
    assert normalise.is_free_mail(domain) is free


@pytest.mark.parametrize(
    ("website", "domain"),
    [
        ("https://www.acme.com/pricing?x=1", "acme.com"),
        ("shop.acme.co.uk", "acme.co.uk"),
        ("HTTP://WWW.ACME.DE", "acme.de"),
        ("acme.com.au/", "acme.com.au"),
        ("localhost", None),
        ("", None),
        (None, None),
    ],
)
def test_websites_become_registrable_domains(website: str | None, domain: str | None) -> None:
    assert registrable_domain(website) == domain


def test_text_is_collapsed_and_empty_is_none() -> None:
    assert normalise.clean_text("  Acme \t Corp ") == "Acme Corp"
    assert normalise.clean_text("   ") is None
    assert normalise.country_code(" fr ") == "FR"
    assert normalise.country_code("France") == "France"


def test_only_new_non_empty_values_count_as_changes() -> None:
    current = {"title": "CTO", "company": "Acme", "phone": None}
    incoming = {"title": "CTO", "company": "Acme Inc", "phone": None, "country": "FR"}
    assert changed_fields(current, incoming) == {"company": "Acme Inc", "country": "FR"}
