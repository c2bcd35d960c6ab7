import pytest

from services.ingest.domain import normalise
from services.ingest.domain.companies import clean_company
from services.ingest.domain.leads import changed_fields
from services.ingest.domain.people import department, seniority, split_name
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


def test_only_new_non_empty_values_count_as_changes() -> None:
    current = {"title": "CTO", "company": "Acme", "phone": None}
    incoming = {"title": "CTO", "company": "Acme Inc", "phone": None, "country": "FR"}
    assert changed_fields(current, incoming) == {"company": "Acme Inc", "country": "FR"}


def test_the_free_mail_list_is_the_maintained_one() -> None:
    from services.ingest.domain.freemail import FREE_MAIL_DOMAINS

    assert len(FREE_MAIL_DOMAINS) > 10_000
    assert {"gmail.com", "outlook.com", "gmx.de", "qq.com", "proton.me", "free.fr"} <= FREE_MAIL_DOMAINS
    assert not {"microsoft.com", "salesforce.com", "ibm.com"} & FREE_MAIL_DOMAINS


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (" fr ", "FR"),
        ("France", "FR"),
        ("FRA", "FR"),
        ("U.S.A.", "US"),
        ("United States of America", "US"),
        ("uk", "GB"),
        ("England", "GB"),
        ("Deutschland", "DE"),
        ("España", "ES"),
        ("Korea, Republic of", "KR"),
        ("Viet Nam", "VN"),
        ("Narnia", None),
        ("", None),
        (None, None),
    ],
)
def test_countries_become_iso_alpha_2(raw: str | None, code: str | None) -> None:
    assert normalise.country_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("+44 20 7183 8750", None, "+442071838750"),
        ("020 7183 8750", "GB", "+442071838750"),
        ("(415) 555-2671 ext. 12", "US", "+14155552671"),
        ("0049 30 1234567", None, "+49301234567"),
        ("12", None, None),
        ("call me", "US", None),
        ("020 7183 8750", None, None),
    ],
)
def test_phones_become_e164(raw: str, country: str | None, e164: str | None) -> None:
    assert normalise.phone_e164(raw, country) == e164


@pytest.mark.parametrize(
    ("raw", "name", "suffix"),
    [
        ("  ACME Widgets,  GmbH ", "ACME Widgets", "GmbH"),
        ("Acme, Inc.", "Acme", "Inc"),
        ("Globex S.A.S.", "Globex", "S.A.S."),
        ("Société Générale S.A.", "Société Générale", "S.A."),
        ("Toyota Motor Corporation", "Toyota Motor", "Corporation"),
        ("microsoft corp", "Microsoft", "corp"),
        ("AT&T", "AT&T", None),
        ("Acme & Co.", "Acme", "& Co"),
        ("Procter & Gamble Co.", "Procter & Gamble", "Co"),
        ("IBM", "IBM", None),
        ("n/a", None, None),
        ("---", None, None),
    ],
)
def test_company_names_keep_their_legal_form_aside(raw: str, name: str | None, suffix: str | None) -> None:
    assert clean_company(raw) == (name, suffix)


@pytest.mark.parametrize(
    ("title", "level", "dept"),
    [
        ("CEO", "c_level", "executive"),
        ("Chief Marketing Officer", "c_level", "marketing"),
        ("Co-Founder & CTO", "c_level", "engineering"),
        ("Directeur Général", "c_level", None),
        ("VP of Sales", "vp", "sales"),
        ("Vice President of Sales", "vp", "sales"),
        ("Senior Vice-President", "vp", None),
        ("Owner", "c_level", "executive"),
        ("Product Owner", "individual", "product"),
        ("Partner Marketing Manager", "manager", "marketing"),
        ("Directeur Général Adjoint", "vp", None),
        ("SVP Engineering", "vp", "engineering"),
        ("Head of Marketing", "vp", "marketing"),
        ("Marketing Director", "director", "marketing"),
        ("IT Manager", "manager", "it"),
        ("Demand Generation Manager", "manager", "marketing"),
        ("Senior Software Engineer", "individual", "engineering"),
        ("Coordinator", "individual", None),
        ("", None, None),
    ],
)
def test_titles_give_seniority_and_department(title: str, level: str | None, dept: str | None) -> None:
    assert seniority(title) == level
    assert department(title) == dept


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Ada Lovelace", ("Ada", "Lovelace")),
        ("Lovelace, Ada", ("Ada", "Lovelace")),
        ("Dr. Ada King Lovelace PhD", ("Ada", "King Lovelace")),
        ("Cher", ("Cher", None)),
        ("John Smith, Jr.", ("John", "Smith")),
        ("Mr. John Smith III", ("John", "Smith")),
        ("", (None, None)),
    ],
)
def test_full_names_are_split(full: str, parts: tuple[str | None, str | None]) -> None:
    assert split_name(full) == parts


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        (1200, 1200),
        ("1,200", 1200),
        ("25-50", 25),
        ("1000+", 1000),
        ("10k", 10_000),
        ("1.200", 1200),
        ("1,5k", 1500),
        ("", None),
        (None, None),
    ],
)
def test_employee_counts_from_what_maps_send(raw: object, count: int | None) -> None:
    assert normalise.employee_count(raw) == count


def test_an_employee_count_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="not a number of employees"):
        normalise.employee_count("lots")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("true", True),
        ("1", True),
        ("Yes", True),
        (1, True),
        ("false", False),
        ("0", False),
        ("maybe", None),
        ("unsubscribed", None),  # a direction word: only the source's parser knows what it means there
    ],
)
def test_consent_flags(raw: object, value: bool | None) -> None:
    assert normalise.flag(raw) is value
