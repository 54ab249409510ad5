"""The fiche's input rules, through the one validation path (certreg_runtime.validation.parse):
each bad value is a 422 naming its field, in French."""

from __future__ import annotations

from typing import Any

import pytest

from certreg_runtime.errors import Invalid
from certreg_runtime.validation import parse, siret_problem
from certreg_testing.samples import random_siret, rncp_fiche
from filings.api.schemas import FicheIn, FilingIn
from filings.domain import rules

FILER, PARTNER = random_siret(), random_siret()


def errors_of(fiche: dict[str, Any]) -> dict[tuple[Any, ...], dict[str, Any]]:
    with pytest.raises(Invalid) as caught:
        parse(FilingIn, {"repertoire": "rncp", "title": "T", "qualification_level": 5, "fiche": fiche})
    return {tuple(e["loc"]): e for e in caught.value.detail}


def with_(**changes: Any) -> dict[str, Any]:
    return {**rncp_fiche(FILER, PARTNER), **changes}


def test_a_whole_fiche_is_accepted_and_codes_are_normalised() -> None:
    fiche = parse(FicheIn, with_(nsf_codes=["326T"], rome_codes=[" m1805 "]))
    assert fiche.nsf_codes == ["326t"] and fiche.rome_codes == ["M1805"]
    assert [c.filer for c in fiche.certifiers] == [True, False]


@pytest.mark.parametrize(
    ("fiche", "loc", "type_"),
    [
        (with_(nsf_codes=["326", "999"]), ("body", "fiche", "nsf_codes", 1), "unknown_code"),
        (with_(rome_codes=["Z9999"]), ("body", "fiche", "rome_codes", 0), "unknown_code"),
        (with_(nsf_codes=["326", "326"]), ("body", "fiche", "nsf_codes"), "duplicate"),
        (with_(certifiers=[{"siret": FILER, "name": "A", "filer": True}, {"siret": "12345678901234", "name": "B"}]),
         ("body", "fiche", "certifiers", 1, "siret"), "siret"),
        (with_(certifiers=[{"siret": "1234", "name": "A", "filer": True}]), ("body", "fiche", "certifiers", 0, "siret"), "siret"),
        (with_(certifiers=[{"siret": FILER, "name": "A"}, {"siret": PARTNER, "name": "B"}]), ("body", "fiche", "certifiers"), "one_filer"),
        (with_(certifiers=[{"siret": FILER, "name": "A", "filer": True}, {"siret": FILER, "name": "B"}]),
         ("body", "fiche", "certifiers"), "duplicate"),
        (with_(certifiers=[{"siret": FILER, "name": "", "filer": True}]), ("body", "fiche", "certifiers", 0, "name"), "string_too_short"),
        (with_(former_numbers=["RNCP12", "XYZ1"]), ("body", "fiche", "former_numbers", 1), "registry_number"),
        (with_(equivalences=[{"number": "RNCPABC"}]), ("body", "fiche", "equivalences", 0, "number"), "registry_number"),
        (with_(equivalences=[{}]), ("body", "fiche", "equivalences", 0), "value_error"),
        (with_(access_routes=[{"route": "correspondence", "jury": "x"}]), ("body", "fiche", "access_routes", 0, "route"), "literal_error"),
        (with_(access_routes=[{"route": "vae", "jury": ""}]), ("body", "fiche", "access_routes", 0, "jury"), "string_too_short"),
        (with_(access_routes=[{"route": "vae", "jury": "a"}, {"route": "vae", "jury": "b"}]),
         ("body", "fiche", "access_routes"), "duplicate"),
        (with_(statistics=[{"year": 2024, "employed_6_months_rate": 140}]),
         ("body", "fiche", "statistics", 0, "employed_6_months_rate"), "less_than_equal"),
        (with_(statistics=[{"year": 2024}, {"year": 2024}]), ("body", "fiche", "statistics"), "duplicate"),
        (with_(registration_type="by_right"), ("body", "fiche", "by_right_basis"), "by_right_basis"),
        (with_(by_right_basis="L6113-5"), ("body", "fiche", "by_right_basis"), "by_right_basis"),
        (with_(colour="red"), ("body", "fiche", "colour"), "extra_forbidden"),
    ],
)  # fmt: skip
def test_each_bad_value_is_named(fiche: dict[str, Any], loc: tuple[Any, ...], type_: str) -> None:
    errors = errors_of(fiche)
    assert loc in errors, errors
    assert errors[loc]["type"] == type_
    assert errors[loc]["msg"] and "Value error" not in errors[loc]["msg"]


def test_messages_are_french_and_name_the_code() -> None:
    error = errors_of(with_(nsf_codes=["326", "999"]))[("body", "fiche", "nsf_codes", 1)]
    assert "« 999 » n'existe pas dans la nomenclature NSF" in error["msg"]
    error = errors_of(with_(rome_codes=["Z9999"]))[("body", "fiche", "rome_codes", 0)]
    assert "Code ROME inconnu" in error["msg"]


def test_siret_rule_is_luhn_with_la_poste() -> None:
    assert siret_problem(FILER) is None
    assert siret_problem("73282932000074") is None
    assert siret_problem("73282932000075") is not None
    assert siret_problem("35600000000015") is None  # a La Poste establishment (sum of digits 20)
    assert siret_problem("35600000000014") is not None
    assert siret_problem("7328293200007") is not None


def test_submission_needs_each_rncp_block_to_carry_its_assessment_methods() -> None:
    blocks = [
        {"code": "BC01", "title": "a", "competences": ["c"], "assessment_methods": ["Étude de cas"]},
        {"code": "BC02", "title": "b", "competences": ["c"], "assessment_methods": []},
        {"code": "BC03", "title": "c", "competences": ["c"]},
    ]
    problems = rules.fiche_problems("rncp", blocks, {})
    assert [p.loc for p in problems] == [("competence_blocks", 1, "assessment_methods"), ("competence_blocks", 2, "assessment_methods")]
    assert "BC02" in problems[0].msg and "R.6113-9" in problems[0].msg
    assert rules.fiche_problems("rs", [], {}) == []


def test_by_right_basis_must_fit_the_repertoire() -> None:
    assert rules.by_right_problem("rncp", {"by_right_basis": "L6113-5"}) is None
    assert rules.by_right_problem("rs", {"by_right_basis": "L6113-6"}) is None
    assert rules.by_right_problem("rs", {"by_right_basis": "L6113-5"}) is not None
    assert rules.by_right_problem("rncp", {"by_right_basis": "L6113-6"}) is not None
