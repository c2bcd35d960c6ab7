"""The matching engine's rules, one per test, on plain profiles (no database)."""

from datetime import UTC, datetime

import pytest

from services.matcher.domain.matching import (
    AccountProfile,
    LeadFacts,
    MatchRules,
    account_from_lead,
    decide,
)

ACME = AccountProfile("a1", "Acme Inc", domains=("acme.com",), country="US", owner="ann")
GLOBEX = AccountProfile("a2", "Globex Corporation", domains=("globex.com",), country="US")
DELTA = AccountProfile("a3", "Delta", domains=("delta.com",), country="US")
RULES = MatchRules(auto=0.9, review=0.7)


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


def free(**overrides: object) -> LeadFacts:
    return lead(email="ada@gmail.com", email_domain="gmail.com", is_free_mail=True, **overrides)


def test_the_email_domain_wins_with_full_confidence() -> None:
    decision = decide(lead(company="Globex"), [ACME, GLOBEX], RULES)
    assert decision.outcome == "matched" and decision.account == ACME
    assert decision.method == "email_domain" and decision.confidence == 1.0
    assert "acme.com is the account's" in decision.explanation and "Globex" in decision.explanation


def test_free_mail_never_matches_by_domain() -> None:
    gmail_account = AccountProfile("g", "Gmail", domains=("gmail.com",))
    decision = decide(free(company=None), [gmail_account], RULES)
    assert decision.outcome == "no_match" and "free mail" in decision.explanation


def test_free_mail_matches_by_website() -> None:
    decision = decide(free(company=None, website_domain="globex.com"), [GLOBEX], RULES)
    assert decision.account == GLOBEX and decision.method == "website_domain"


@pytest.mark.parametrize("typed", ["ACME, Inc.", "The Acme Company", "Acmé GmbH", "acme llc"])
def test_free_mail_matches_the_normalised_name(typed: str) -> None:
    decision = decide(free(company=typed), [ACME, GLOBEX], RULES)
    assert decision.outcome == "matched" and decision.account == ACME and decision.method == "exact_name"


def test_a_typo_in_a_long_name_auto_matches_and_in_a_short_name_goes_to_review() -> None:
    long_name = AccountProfile("l", "Initech Solutions", domains=("initech.com",))
    typo = decide(free(company="Initech Soultions"), [long_name], RULES)
    assert typo.outcome == "matched" and typo.method == "fuzzy_name"
    short = decide(free(company="Glbex"), [GLOBEX], RULES)
    assert short.outcome == "review" and short.account == GLOBEX


@pytest.mark.parametrize("company", ["Delta Dental", "Delta Dental of California"])
def test_a_look_alike_that_contains_the_accounts_name_never_auto_matches(company: str) -> None:
    decision = decide(
        lead(email="x@deltadental.com", email_domain="deltadental.com", company=company), [DELTA], RULES
    )
    assert decision.outcome == "no_match"
    assert "look_alike" in decision.explanation


def test_an_extra_generic_word_is_a_variant_for_review() -> None:
    decision = decide(free(company="Acme Group"), [ACME], RULES)
    assert decision.outcome == "review" and decision.method == "name_variant"


def test_country_disagreement_lowers_confidence() -> None:
    same = decide(free(company="Acme", country="US"), [ACME], RULES)
    other = decide(free(company="Acme", country="FR"), [ACME], RULES)
    assert other.confidence == pytest.approx(same.confidence - 0.1)
    assert other.outcome == "review" and "country FR differs" in other.explanation
    by_domain = decide(lead(country="FR"), [ACME], RULES)
    assert by_domain.outcome == "matched" and by_domain.confidence == pytest.approx(0.97)


def test_an_exact_name_with_another_corporate_domain_goes_to_review() -> None:
    decision = decide(lead(email="x@other.io", email_domain="other.io"), [ACME], RULES)
    assert decision.outcome == "review" and "other.io is not the account's" in decision.explanation


def test_acronyms_where_the_data_shows_them() -> None:
    ibm = AccountProfile("i", "International Business Machines Corp", domains=("ibm.com",))
    by_label = decide(free(company="IBM"), [ibm], RULES)
    assert by_label.method == "name_domain" and by_label.outcome == "matched"
    by_initials = decide(free(company="IBM"), [AccountProfile("i", "International Business Machines")], RULES)
    assert by_initials.method == "acronym" and by_initials.outcome == "review"


def test_thresholds_come_from_the_rules() -> None:
    strict = decide(free(company="Acme"), [ACME], MatchRules(auto=0.99, review=0.5))
    assert strict.outcome == "review"
    lenient = decide(free(company="Acme Group"), [ACME], MatchRules(auto=0.8, review=0.5))
    assert lenient.outcome == "matched"


TWIN_A = AccountProfile("t1", "Acme", country="US")
TWIN_B = AccountProfile("t2", "Acme", country="US")


@pytest.mark.parametrize(
    ("a", "b", "rule"),
    [
        (AccountProfile("t1", "Acme", is_customer=True), TWIN_B, "customer"),
        (AccountProfile("t1", "Acme", open_opps=1), TWIN_B, "open_opp"),
        (
            AccountProfile("t1", "Acme", last_activity=datetime(2026, 5, 1, tzinfo=UTC)),
            AccountProfile("t2", "Acme", last_activity=datetime(2025, 5, 1, tzinfo=UTC)),
            "recent_activity",
        ),
        (AccountProfile("t1", "Acme", parent_id="t2"), TWIN_B, "child_before_parent"),
    ],
)
def test_ties_are_broken_by_the_configured_rules(a: AccountProfile, b: AccountProfile, rule: str) -> None:
    decision = decide(free(company="Acme"), [b, a], RULES)
    assert decision.account == a and decision.outcome == "matched"
    assert f"broken by the rule {rule!r}" in decision.explanation


def test_tie_breakers_apply_in_the_configured_order() -> None:
    customer = AccountProfile("t1", "Acme", is_customer=True)
    with_opp = AccountProfile("t2", "Acme", open_opps=2)
    assert decide(free(company="Acme"), [customer, with_opp], RULES).account == customer
    reordered = MatchRules(tie_breakers=("open_opp", "customer"))
    assert decide(free(company="Acme"), [customer, with_opp], reordered).account == with_opp


def test_an_unbreakable_tie_goes_to_review() -> None:
    decision = decide(free(company="Acme"), [TWIN_A, TWIN_B], RULES)
    assert decision.outcome == "review" and "no tie-breaker separates them" in decision.explanation


def test_a_subsidiary_named_by_the_lead_wins_over_the_parent_owning_the_domain() -> None:
    parent = AccountProfile("p", "Acme", domains=("acme.com",))
    child = AccountProfile("c", "Acme Robotics", parent_id="p", parent_domains=("acme.com",))
    decision = decide(lead(company="Acme Robotics"), [parent, child], RULES)
    assert decision.account == child and decision.method == "parent_domain"
    assert "points at another company" in decision.explanation
    plain = decide(lead(company="Acme"), [parent, child], RULES)
    assert plain.account == parent


def test_no_candidate_is_a_no_match() -> None:
    decision = decide(lead(), [], RULES)
    assert decision.account is None and decision.outcome == "no_match" and decision.confidence == 0.0


def test_the_explanation_lists_every_candidate_with_its_score() -> None:
    decision = decide(free(company="Acme"), [ACME, GLOBEX, DELTA], RULES)
    assert "Acme Inc [exact_name 0.95" in decision.explanation
    assert [c.account for c in decision.candidates] == [ACME]


def test_a_new_account_takes_the_company_name_and_both_domains() -> None:
    new = account_from_lead(lead(website_domain="acme.io", country="FR"))
    assert new.name == "Acme" and new.domains == ("acme.com", "acme.io") and new.country == "FR"


def test_a_free_mail_lead_with_a_junk_company_founds_an_account_named_after_the_person() -> None:
    new = account_from_lead(free(company="n/a", first_name="Ada", last_name="Lovelace"))
    assert new.domains == () and new.name == "Ada Lovelace"


def test_a_misspelt_legal_form_is_noise_not_another_company() -> None:
    williams = AccountProfile("w", "Williams Systems Company", domains=("williams.com",))
    decision = decide(free(company="Williams Systems Comany"), [williams], RULES)
    assert decision.outcome == "matched" and "misspelt legal form" in decision.explanation


def test_one_letter_in_a_short_word_is_another_name() -> None:
    hahn = AccountProfile("h", "Hahn Systems KGaA")
    assert decide(free(company="Zahn Systems"), [hahn], RULES).outcome == "review"


def test_a_single_surname_a_letter_apart_is_not_trusted_on_its_own() -> None:
    leonardi = AccountProfile("l", "Leonardi SpA")
    assert decide(free(company="Leopardi"), [leonardi], RULES).outcome == "review"


def test_a_close_second_company_sends_a_fuzzy_winner_to_review() -> None:
    first = AccountProfile("a", "Initech Solutions")
    second = AccountProfile("b", "Initeck Solutions")
    decision = decide(free(company="Initech Soultions"), [first, second], RULES)
    assert decision.outcome == "review" and "scores close behind" in decision.explanation


def test_a_fuzzy_name_against_the_leads_own_other_domain_goes_to_review() -> None:
    gaillard = AccountProfile("g", "Gaillard Technologies", domains=("gaillard.fr",))
    decision = decide(
        lead(
            email="a@maillard-technologies.fr",
            email_domain="maillard-technologies.fr",
            company="Maillard Technologies",
        ),
        [gaillard],
        RULES,
    )
    assert decision.outcome != "matched"


def test_a_letter_dropped_from_a_five_letter_word_of_a_long_name_still_matches() -> None:
    bailey = AccountProfile("b", "Bailey, Smith and Gray")
    assert decide(free(company="Bailey, Smth and Gray Inc"), [bailey], RULES).outcome == "matched"
