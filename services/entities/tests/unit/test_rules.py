"""The step-1 rules of the entities service, without I/O."""

from datetime import date

import pytest

from certreg_contracts.calendar import add_months
from entities.domain.rules import (
    Address,
    Declaration,
    ProvidedPiece,
    completeness,
    document_date_problems,
    identification_problems,
    new_entity_problems,
    required_documents,
    siret_problems,
)

VALID_SIRET = "73282932000074"  # Luhn-valid
LA_POSTE_BRANCH = "35600000000015"  # sum of digits 20, Luhn-invalid
LA_POSTE_BAD = "35600000000014"  # Luhn-valid but sum of digits 19
LA_POSTE_HEAD_OFFICE = "35600000000048"  # Luhn-valid, sum 26
PARIS = Address(street="1 rue de la Paix", postal_code="75002", city="Paris", country="France")


def codes(problems):
    return [(p.field, p.code) for p in problems]


# --------------------------------------------------------------------------- SIRET


def test_a_valid_siret_passes():
    assert siret_problems(VALID_SIRET) == []


@pytest.mark.parametrize("siret", ["732 829 320 00074", "73282932000074 ", "732829320\t00074"])
def test_spaces_are_refused_with_a_message_saying_so(siret):
    [problem] = siret_problems(siret)
    assert problem.code == "siret_spaces"
    assert "espaces" in problem.msg


@pytest.mark.parametrize("siret", ["7328293200007", "732829320000740", "7328293200007A", ""])
def test_a_siret_is_exactly_14_digits(siret):
    [problem] = siret_problems(siret)
    assert problem.code == "siret_format"
    assert "14 chiffres" in problem.msg


def test_a_bad_checksum_is_refused():
    [problem] = siret_problems("73282932000075")
    assert problem.code == "siret_checksum"


def test_la_poste_follows_the_sum_of_digits_rule():
    assert siret_problems(LA_POSTE_BRANCH) == []
    assert codes(siret_problems(LA_POSTE_BAD)) == [(("siret",), "siret_checksum")]


def test_la_poste_head_office_is_valid():
    assert siret_problems(LA_POSTE_HEAD_OFFICE) == []


def test_siret_required_when_declared():
    assert codes(identification_problems(Declaration(has_siret=True))) == [(("siret",), "missing")]


def test_siret_given_while_declared_without_is_refused():
    assert codes(identification_problems(Declaration(has_siret=False, siret=VALID_SIRET))) == [(("siret",), "unexpected")]


# --------------------------------------------------------------------------- declaration


def test_a_complete_new_entity_without_siret_passes():
    decl = Declaration(kind="other", legal_form="association", denomination="Les Amis", address=PARIS)
    assert new_entity_problems(decl) == []


def test_a_ministry_cannot_be_a_public_establishment():
    decl = Declaration(kind="ministry", legal_form="public_establishment", has_siret=True, siret=VALID_SIRET, denomination="Université")
    [problem] = new_entity_problems(decl)
    assert problem.code == "ministry_public_establishment"
    assert problem.field == ("legal_form",)


def test_a_ministry_with_another_legal_form_passes():
    decl = Declaration(kind="ministry", legal_form="other", has_siret=True, siret=VALID_SIRET, denomination="Ministère du travail")
    assert new_entity_problems(decl) == []


def test_without_siret_the_address_is_required():
    decl = Declaration(kind="other", legal_form="company", denomination="ACME")
    assert codes(new_entity_problems(decl)) == [(("address",), "missing")]


def test_without_siret_every_address_field_is_required():
    decl = Declaration(kind="other", legal_form="company", denomination="ACME", address=Address(street=" ", country="France"))
    assert codes(new_entity_problems(decl)) == [
        (("address", "street"), "missing"),
        (("address", "postal_code"), "missing"),
        (("address", "city"), "missing"),
    ]


def test_a_french_postal_code_has_five_digits():
    address = Address(street="1 rue", postal_code="7500", city="Paris", country="France")
    decl = Declaration(kind="other", legal_form="company", denomination="ACME", address=address)
    assert codes(new_entity_problems(decl)) == [(("address", "postal_code"), "postal_code_format")]


def test_a_foreign_postal_code_is_free():
    address = Address(street="Rue Neuve 1", postal_code="B-1000", city="Bruxelles", country="Belgique")
    decl = Declaration(kind="other", legal_form="company", denomination="ACME", address=address)
    assert new_entity_problems(decl) == []


def test_a_new_entity_needs_a_denomination_even_with_a_siret():
    decl = Declaration(kind="other", legal_form="company", has_siret=True, siret=VALID_SIRET, denomination="  ")
    assert codes(new_entity_problems(decl)) == [(("denomination",), "missing")]


def test_kind_and_legal_form_are_required_and_checked():
    decl = Declaration(legal_form="sarl", has_siret=True, siret=VALID_SIRET, denomination="ACME")
    assert codes(new_entity_problems(decl)) == [(("kind",), "missing"), (("legal_form",), "invalid_choice")]


# --------------------------------------------------------------------------- pieces


def test_joining_an_existing_entity_needs_no_piece():
    assert required_documents(new_entity=False, legal_form=None, named_on_legal_proof=False) == []


def test_named_on_the_proof_needs_only_the_proof():
    assert required_documents(new_entity=True, legal_form="company", named_on_legal_proof=True) == ["legal_existence"]


def test_not_named_on_the_proof_needs_the_mandate():
    assert required_documents(new_entity=True, legal_form="company", named_on_legal_proof=False) == [
        "legal_existence",
        "mandate_delegation",
    ]


def test_a_public_establishment_always_needs_the_mandate():
    assert required_documents(new_entity=True, legal_form="public_establishment", named_on_legal_proof=True) == [
        "legal_existence",
        "mandate_delegation",
    ]


TODAY = date(2026, 5, 31)


def test_months_before_clamps_to_the_end_of_the_month():
    assert add_months(TODAY, -3) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), -3) == date(2025, 10, 15)


def test_a_recent_mandate_passes():
    assert document_date_problems("mandate_delegation", date(2026, 3, 1), TODAY) == []
    assert document_date_problems("mandate_delegation", TODAY, TODAY) == []


def test_a_mandate_three_months_old_or_more_is_refused():
    assert codes(document_date_problems("mandate_delegation", date(2026, 2, 28), TODAY)) == [(("document_date",), "document_too_old")]
    assert codes(document_date_problems("mandate_delegation", date(2025, 12, 1), TODAY)) == [(("document_date",), "document_too_old")]
    # The dates in words, not numerically (issue 12).
    [problem] = document_date_problems("mandate_delegation", date(2025, 12, 1), TODAY)
    assert "datée du 1er décembre 2025, elle ne l'était plus après le 28 février 2026" in problem.msg


def test_a_mandate_in_the_future_is_refused():
    assert codes(document_date_problems("mandate_delegation", date(2026, 6, 1), TODAY)) == [(("document_date",), "date_in_future")]


def test_a_mandate_needs_its_date():
    assert codes(document_date_problems("mandate_delegation", None, TODAY)) == [(("document_date",), "missing")]


def test_the_proof_of_legal_existence_is_not_dated():
    assert document_date_problems("legal_existence", None, TODAY) == []
    assert document_date_problems("legal_existence", date(1990, 1, 1), TODAY) == []


def test_completeness_lists_every_missing_piece():
    result = completeness(["legal_existence", "mandate_delegation"], {}, TODAY)
    assert result.missing == ["legal_existence", "mandate_delegation"]
    assert codes(result.problems) == [
        (("documents", "legal_existence"), "missing_document"),
        (("documents", "mandate_delegation"), "missing_document"),
    ]


def test_completeness_rechecks_the_mandate_date_on_the_day_of_submission():
    latest = {
        "legal_existence": ProvidedPiece("legal_existence", None),
        "mandate_delegation": ProvidedPiece("mandate_delegation", date(2026, 1, 10)),
    }
    result = completeness(["legal_existence", "mandate_delegation"], latest, TODAY)
    assert not result.complete
    assert codes(result.problems) == [(("documents", "mandate_delegation"), "document_too_old")]
    assert completeness(["legal_existence", "mandate_delegation"], latest, date(2026, 3, 1)).complete
