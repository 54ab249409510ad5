"""Issue 12, point 7: the criteria in force are a versioned table, chosen by the day the
filing was first submitted, printed as heading + number + article, never as the key."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from review.domain import criteria, rules


@pytest.mark.parametrize(
    ("repertoire", "first_submitted", "applies_from"),
    [
        ("rncp", date(2019, 1, 1), date(2019, 1, 1)),
        ("rncp", date(2021, 4, 4), date(2019, 1, 1)),  # décret n° 2021-389: from 5 April 2021
        ("rncp", date(2021, 4, 5), date(2021, 4, 5)),
        ("rncp", date(2025, 9, 30), date(2021, 4, 5)),  # décret n° 2025-500: requests from 1 October 2025
        ("rncp", date(2025, 10, 1), date(2025, 10, 1)),
        ("rncp", date(2026, 12, 1), date(2025, 10, 1)),
        ("rs", date(2025, 9, 30), date(2019, 1, 1)),
        ("rs", date(2025, 10, 1), date(2025, 10, 1)),
    ],
)
def test_the_version_is_the_one_in_force_on_the_first_submission(repertoire, first_submitted, applies_from):
    version = criteria.in_force(repertoire, first_submitted)
    assert version.repertoire == repertoire and version.applies_from == applies_from


def test_the_first_submission_is_read_as_a_paris_day():
    # 30 September 2025, 22:30 UTC is already 1 October in Paris: the new version applies
    assert rules.criteria_in_force("rncp", datetime(2025, 9, 30, 22, 30, tzinfo=UTC)).applies_from == date(2025, 10, 1)
    assert rules.criteria_in_force("rncp", datetime(2025, 9, 30, 21, 30, tzinfo=UTC)).applies_from == date(2021, 4, 5)


def test_labels_print_the_heading_the_number_and_the_article_never_the_key():
    before = datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert rules.criterion_label("rncp", "impact_emploi", before) == (
        "Impact en matière d'accès ou de retour à l'emploi (2° de l'article R. 6113-9 du code du travail)"
    )
    assert rules.criterion_label("rncp", "vae", before).endswith("(6° de l'article R. 6113-9 du code du travail)")
    # from 1 October 2025 the amended numbering is not verified: the article only
    after = datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert rules.criterion_label("rncp", "impact_emploi", after) == (
        "Impact en matière d'accès ou de retour à l'emploi (article R. 6113-9 du code du travail)"
    )
    assert rules.criterion_label("rs", "valeur_ajoutee", after) == (
        "Valeur ajoutée pour l'exercice d'un métier ou l'employabilité (article R. 6113-11 du code du travail)"
    )
    for versions in criteria.VERSIONS.values():
        for v in versions:
            for c in v.criteria:
                assert v.label(c.key).startswith(c.heading) and "_" not in v.label(c.key)


def test_the_2021_amendments_are_in_the_article_s_own_words():
    """Décret n° 2021-389, art. 1er, 3°: a) 1° loses « du projet de certification
    professionnelle », b) 2° gains « professionnelles », c) 3° gains its second half."""
    old, new = criteria.in_force("rncp", date(2021, 4, 4)), criteria.in_force("rncp", date(2021, 4, 5))
    first_old, first_new = old.get("adequation_emplois"), new.get("adequation_emplois")
    assert first_old and first_new and first_old.text and first_new.text
    assert first_old.text == first_new.text + " du projet de certification professionnelle"
    second_old, second_new = old.get("impact_emploi"), new.get("impact_emploi")
    assert second_old and second_new and second_new.text and second_old.text
    assert "l'impact de certifications professionnelles visant" in second_new.text
    assert "l'impact de certifications visant" in second_old.text
    third = new.get("qualite_referentiels")
    assert third and third.text and "absence de reproduction littérale" in third.text and third.number == "3°"


def test_what_could_not_be_read_from_an_official_text_says_so():
    """The wording in force from 1 October 2025 (décret n° 2025-500) and any wording of
    R. 6113-11 were not re-typed: those versions are incomplete and quote nothing."""
    for repertoire in ("rncp", "rs"):
        latest = criteria.in_force(repertoire, date(2025, 10, 1))
        assert latest.complete is False and "2025-500" in latest.source
        assert all(c.text is None and c.number is None for c in latest.criteria)
    assert all(c.text is None for v in criteria.VERSIONS["rs"] for c in v.criteria)
    # a criterion is quoted only with its number
    for versions in criteria.VERSIONS.values():
        for v in versions:
            assert all(c.number for c in v.criteria if c.text)
