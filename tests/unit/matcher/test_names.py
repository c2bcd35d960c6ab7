"""Company-name normalisation: the forms people type for one company share one key."""

import pytest

from services.matcher.domain.names import company_name, domain_label


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Acme, Inc.", "acme"),
        ("ACME INC", "acme"),
        ("The Acme Company", "acme"),
        ("Acmé", "acme"),
        ("Acme GmbH & Co. KG", "acme"),
        ("Acme AG & Co. KGaA", "acme"),
        ("Acme S.A.R.L.", "acme"),
        ("Acme SAS", "acme"),
        ("Acme S.A.", "acme"),
        ("Acme s.p.a.", "acme"),
        ("Acme S.r.l.", "acme"),
        ("Acme S.L.", "acme"),
        ("Acme B.V.", "acme"),
        ("Acme N.V.", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("Acme Pvt. Ltd.", "acme"),
        ("Acme K.K.", "acme"),
        ("株式会社Acme", "acme"),
        ("Acme A/S", "acme"),
        ("Acme Oy", "acme"),
        ("Acme Sp. z o.o.", "acme"),
        ("Acme Ltda.", "acme"),
        ("Acme, S.A. de C.V.", "acme"),
        ("PT Acme Tbk", "acme"),
        ("Acme LLC", "acme"),
        ("Acme PLC", "acme"),
        ("Acme.com, Inc.", "acme"),
        ("Smith & Jones", "smithjones"),
        ("Smith and Jones Ltd", "smithjones"),
        ("Smith-Jones", "smithjones"),
        ("Dupont et Fils", "dupontfils"),
        ("Dupont & Fils", "dupontfils"),
        ("McDonald's Corporation", "mcdonalds"),
        ("Müller Systeme", "mullersysteme"),
        ("Mueller Intl", "muellerinternational"),
        ("Acme Tech", "acmetechnology"),
        ("Acme Technologies", "acmetechnology"),
        ("Acme Corp.", "acme"),
        ("Gonzalo y Carretero S.Com.", "gonzalocarretero"),
    ],
)
def test_one_company_one_key(typed: str, key: str) -> None:
    assert company_name(typed).key == key


@pytest.mark.parametrize("junk", ["n/a", "N.A.", "-", "none", "Self-employed", "Freelance", "  ", None])
def test_junk_company_fields_are_no_name(junk: str | None) -> None:
    assert not company_name(junk)


def test_a_legal_form_alone_is_kept_rather_than_emptied() -> None:
    assert company_name("The Company").key == "company"


def test_acronyms_of_three_words_or_more() -> None:
    assert company_name("International Business Machines Corp").acronym == "ibm"
    assert company_name("Delta Air").acronym is None


def test_domain_labels_read_as_name_keys() -> None:
    assert domain_label("acme-corp.co.uk") == "acmecorp"
    assert domain_label(None) == ""
