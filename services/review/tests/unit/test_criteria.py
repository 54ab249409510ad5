"""Issue 12, point 7: the criteria in force are a versioned table, chosen by the day the
filing was first submitted, printed as the article's own item (number, words, article),
never as the key. Every quotation is checked against DILA's LEGI text as published in
``@socialgouv/legi-data`` (``review/domain/legi_criteria.json``)."""

from __future__ import annotations

import html
import itertools
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from review.domain import criteria, rules

LEGI = json.loads((Path(criteria.__file__).parent / "legi_criteria.json").read_text(encoding="utf-8"))
ARTICLES = {a["id"]: a for a in LEGI["articles"]}
ITEM = re.compile(r"(?:(?<=: )|(?<=; ))(\d+°(?: (?:bis|ter|quater|quinquies))?) (?=[A-ZÉ])")


def _words(article_id: str) -> str:
    """The article as a reader sees it: Légifrance's HTML without tags, spaces collapsed."""
    text = re.sub(r"<br\s*/?>|</?p>", " ", ARTICLES[article_id]["texteHtml"])
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def _numbers(article_id: str) -> list[str]:
    """The article's list of criteria (the items of its first list, in order)."""
    return ITEM.findall(_words(article_id).split("II.-")[0])


ALL = [v for versions in criteria.VERSIONS.values() for v in versions]


@pytest.mark.parametrize(
    ("repertoire", "first_submitted", "applies_from"),
    [
        ("rncp", date(2019, 1, 1), date(2019, 1, 1)),
        ("rncp", date(2019, 12, 30), date(2019, 12, 30)),
        ("rncp", date(2021, 4, 4), date(2019, 12, 30)),  # décret n° 2021-389: from 5 April 2021
        ("rncp", date(2021, 4, 5), date(2021, 4, 5)),
        ("rncp", date(2021, 8, 31), date(2021, 4, 5)),  # its c of 3°: requests after 31 August 2021
        ("rncp", date(2021, 9, 1), date(2021, 9, 1)),
        ("rncp", date(2025, 6, 9), date(2021, 9, 1)),  # décret n° 2025-500 in force, not yet for requests
        ("rncp", date(2025, 9, 30), date(2021, 9, 1)),
        ("rncp", date(2025, 10, 1), date(2025, 10, 1)),  # requests transmitted from 1 October 2025
        ("rncp", date(2026, 12, 1), date(2025, 10, 1)),
        ("rs", date(2021, 8, 31), date(2021, 4, 5)),
        ("rs", date(2025, 9, 30), date(2021, 9, 1)),
        ("rs", date(2025, 10, 1), date(2025, 10, 1)),
    ],
)
def test_the_version_is_the_one_that_applies_on_the_first_submission(repertoire, first_submitted, applies_from):
    version = criteria.in_force(repertoire, first_submitted)
    assert version.repertoire == repertoire and version.applies_from == applies_from


def test_the_first_submission_is_read_as_a_paris_day():
    # 30 September 2025, 22:30 UTC is already 1 October in Paris: the new version applies
    assert rules.criteria_in_force("rncp", datetime(2025, 9, 30, 22, 30, tzinfo=UTC)).applies_from == date(2025, 10, 1)
    assert rules.criteria_in_force("rncp", datetime(2025, 9, 30, 21, 30, tzinfo=UTC)).applies_from == date(2021, 9, 1)


@pytest.mark.parametrize("version", ALL, ids=lambda v: f"{v.repertoire}-{v.applies_from}")
def test_every_item_is_the_article_s_own_words_and_the_list_is_the_article_s(version):
    """Each item, « <number> <words> », is in one of the LEGI versions the table names; the
    list is exactly the article's, in its order (the first LEGI version named)."""
    assert version.legi and all(i in ARTICLES for i in version.legi)
    assert [c.number for c in version.criteria] == _numbers(version.legi[0])
    for c in version.criteria:
        assert any(f"{c.number} {c.text}" in _words(i) for i in version.legi), (version.applies_from, c.number)
        assert not c.text.endswith((";", ".", " "))
    assert len({c.key for c in version.criteria}) == len(version.criteria)


@pytest.mark.parametrize(
    ("repertoire", "key", "first_submitted", "label"),
    [
        (
            "rncp",
            "controle_evaluation",
            date(2025, 10, 2),
            "4° La mise en place de procédures de contrôle, par le demandeur ou les organismes qu'il a habilités "
            "conformément à l'article R. 6113-16, des actions mentionnées au 2° bis et de l'ensemble des modalités "
            "d'organisation des épreuves d'évaluation (article R. 6113-9 du code du travail)",
        ),
        (
            "rncp",
            "controle_evaluation",
            date(2025, 9, 30),
            "4° La mise en place de procédures de contrôle de l'ensemble des modalités d'organisation des épreuves "
            "d'évaluation (article R. 6113-9 du code du travail)",
        ),
        (
            "rncp",
            "realite_moyens",
            date(2025, 10, 2),
            "2° bis La vérification de la réalité des moyens techniques, pédagogiques et d'encadrement mis en œuvre pour "
            "la réalisation des actions de formation ou de reconnaissance des acquis de l'expérience suivies par les "
            "promotions de titulaires retenues dans les conditions mentionnées au II (article R. 6113-9 du code du travail)",
        ),
        (
            "rncp",
            "vae",
            date(2024, 3, 1),
            "6° La possibilité d'accéder au projet de certification professionnelle par la validation des acquis de "
            "l'expérience (article R. 6113-9 du code du travail)",
        ),
        (
            "rs",
            "objectifs_formation",
            date(2025, 10, 2),
            "1° ter Le respect des objectifs fixés à l'article L. 6313-3 (article R. 6113-11 du code du travail)",
        ),
        (
            "rs",
            "association_branches",
            date(2024, 3, 1),
            "6° Le cas échéant, les modalités d'association des commissions paritaires nationales de l'emploi de "
            "branches professionnelles dans l'élaboration ou la validation des référentiels (article R. 6113-11 du code "
            "du travail)",
        ),
        (
            "rs",
            "valeur_ajoutee",  # once offered by the platform, in no version of R. 6113-11
            date(2024, 3, 1),
            "Valeur ajoutée pour l'exercice d'un métier ou l'employabilité (ancien intitulé de la plateforme, absent de "
            "l'article R. 6113-11 du code du travail)",
        ),
    ],
)
def test_labels_print_the_article_s_item(repertoire, key, first_submitted, label):
    assert criteria.in_force(repertoire, first_submitted).label(key) == label
    assert "_" not in label


def test_the_rs_list_is_r_6113_11_s_list():
    after, before = criteria.in_force("rs", date(2025, 10, 1)), criteria.in_force("rs", date(2025, 9, 30))
    assert [(c.number, c.key) for c in after.criteria] == [
        ("1°", "adequation_besoins"),
        ("1° bis", "impact_parcours"),
        ("1° ter", "objectifs_formation"),
        ("1° quater", "realite_moyens"),
        ("1° quinquies", "adequation_actions"),
        ("2°", "qualite_referentiels"),
        ("3°", "controle_evaluation"),
        ("4°", "contraintes_reglementaires"),
        ("5°", "correspondances"),
        ("6°", "association_branches"),
    ]
    assert [(c.number, c.key) for c in before.criteria] == [
        ("1°", "adequation_besoins"),
        ("2°", "qualite_referentiels"),
        ("3°", "controle_evaluation"),
        ("4°", "contraintes_reglementaires"),
        ("5°", "correspondances"),
        ("6°", "association_branches"),
    ]
    assert all(v.get("valeur_ajoutee") is None for v in criteria.VERSIONS["rs"])


def test_the_rncp_list_from_1_october_2025_has_2_bis_and_2_ter():
    assert [(c.number, c.key) for c in criteria.in_force("rncp", date(2025, 10, 1)).criteria] == [
        ("1°", "adequation_emplois"),
        ("2°", "impact_emploi"),
        ("2° bis", "realite_moyens"),
        ("2° ter", "adequation_actions"),
        ("3°", "qualite_referentiels"),
        ("4°", "controle_evaluation"),
        ("5°", "contraintes_reglementaires"),
        ("6°", "vae"),
        ("7°", "blocs_competences"),
        ("8°", "correspondances"),
        ("9°", "association_branches"),
    ]


def test_keys_are_stable_a_key_never_changes_its_item():
    """Stored opinions keep their keys: a key keeps its number in every version that has it,
    and no key of an older version disappears (except the retired ``valeur_ajoutee``)."""
    for versions in criteria.VERSIONS.values():
        numbers: dict[str, str] = {}
        for older, newer in itertools.pairwise(versions):
            assert {c.key for c in older.criteria} <= {c.key for c in newer.criteria}
        for v in versions:
            for c in v.criteria:
                assert numbers.setdefault(c.key, c.number) == c.number


def test_the_2021_amendments_apply_as_their_nota_says():
    """Décret n° 2021-389: 1°, 2° and 8° of R. 6113-9 from 5 April 2021; its 3° (« c du 3° »)
    for requests transmitted after 31 August 2021."""
    april, august, september = (criteria.in_force("rncp", date(2021, m, d)) for m, d in ((4, 5), (8, 31), (9, 1)))
    first_old, first_new = criteria.in_force("rncp", date(2021, 4, 4)).get("adequation_emplois"), april.get("adequation_emplois")
    assert first_old and first_new and first_old.text == first_new.text + " du projet de certification professionnelle"
    assert "certifications professionnelles visant" in (april.get("impact_emploi") or criteria.Criterion("", "", "", "")).text
    for early in (april, august):
        third = early.get("qualite_referentiels")
        assert third and "reproduction littérale" not in third.text
    third = september.get("qualite_referentiels")
    assert third and third.number == "3°" and "absence de reproduction littérale" in third.text


def test_what_is_not_verified_says_so_and_the_2025_versions_are_complete():
    incomplete = {(v.repertoire, v.applies_from) for v in ALL if not v.complete}
    # 1 January 2019: LEGI versions not held; RS from 5 April 2021: which item waits is inferred
    assert incomplete == {("rncp", date(2019, 1, 1)), ("rs", date(2019, 1, 1)), ("rs", date(2021, 4, 5))}
    for repertoire, legi in (("rncp", "LEGIARTI000051705121"), ("rs", "LEGIARTI000051705136")):
        latest = criteria.in_force(repertoire, date(2025, 10, 1))
        assert latest.complete and latest.legi == (legi,) and "2025-500" in latest.source
        assert "1er octobre 2025" in ARTICLES[legi]["nota"]
    assert {a["id"] for a in LEGI["not_held"]} == {"LEGIARTI000037836008", "LEGIARTI000037836015"}


def test_get_criteria_knows_every_key_a_stored_reason_may_hold():
    assert {"realite_moyens", "adequation_actions", "vae"} <= set(rules.CRITERIA["rncp"])
    assert rules.CRITERIA["rncp"]["controle_evaluation"].startswith("4° ")
    assert {"impact_parcours", "association_branches", "valeur_ajoutee"} <= set(rules.CRITERIA["rs"])
    assert "vae" not in rules.CRITERIA["rs"]
