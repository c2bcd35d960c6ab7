from services.matcher.domain.matching import AccountRef, LeadFacts, account_from_lead, decide

ACME = AccountRef("a1", "Acme", "ann")
GLOBEX = AccountRef("a2", "Globex")


def lead(**overrides: object) -> LeadFacts:
    values: dict[str, object] = {
        "email": "ada@acme.com",
        "email_domain": "acme.com",
        "is_free_mail": False,
        "company": "Acme",
        "website_domain": None,
    }
    values.update(overrides)
    return LeadFacts(**values)  # type: ignore[arg-type]


def test_the_email_domain_wins() -> None:
    decision = decide(lead(), by_email_domain=ACME, by_website_domain=GLOBEX)
    assert decision.account == ACME and decision.method == "email_domain" and decision.confidence == 1.0
    assert "acme.com belongs to Acme" in decision.explanation


def test_free_mail_never_matches_by_email_domain() -> None:
    free = lead(
        email="ada@gmail.com", email_domain="gmail.com", is_free_mail=True, website_domain="globex.com"
    )
    decision = decide(free, by_email_domain=ACME, by_website_domain=GLOBEX)
    assert decision.account == GLOBEX and decision.method == "website_domain"
    assert "free-mail" in decision.explanation


def test_no_candidate_is_a_no_match() -> None:
    decision = decide(lead(), by_email_domain=None, by_website_domain=None)
    assert decision.account is None and decision.method == "no_match" and decision.confidence == 0.0


def test_a_new_account_takes_the_company_name_and_both_domains() -> None:
    new = account_from_lead(lead(website_domain="acme.io", country="FR"))
    assert new.name == "Acme" and new.domains == ("acme.com", "acme.io") and new.country == "FR"


def test_a_free_mail_lead_founds_an_account_without_the_free_domain() -> None:
    new = account_from_lead(
        lead(
            email="ada@gmail.com",
            email_domain="gmail.com",
            is_free_mail=True,
            company=None,
            first_name="Ada",
            last_name="Lovelace",
        )
    )
    assert new.domains == () and new.name == "Ada Lovelace"
