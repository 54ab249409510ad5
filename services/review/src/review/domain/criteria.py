"""The registration criteria in force, as a versioned table: the version that applies to a
case is the one in force on the day its filing was first submitted (the case opens then).

Code du travail, partie réglementaire — R. 6113-9 (RNCP, requests under II of L. 6113-5) and
R. 6113-11 (répertoire spécifique, L. 6113-6). Each criterion keeps the key the commission's
reasons store (never printed), a short heading drawn from the article (printed in opinions,
letters and mails with its number and article), and the article's own words where they were
re-typed from the official text. What could not be read from an official text is said so
below, never filled in.

Sources read (Légifrance and its consolidations):
- R. 6113-9 created by décret n° 2018-1172 du 18 décembre 2018 (in force 1 January 2019);
- amended by décret n° 2021-389 du 2 avril 2021, art. 1er, 3° (Légifrance JORFTEXT000043328853):
  « a) Au 1°, les mots : « du projet de certification professionnelle » sont supprimés ;
  b) Au 2°, après les mots : « l'impact de certifications », est inséré le mot :
  « professionnelles » ; c) Au 3°, sont ajoutés les mots : « ainsi que leur cohérence
  d'ensemble et l'absence de reproduction littérale … » ; d) Le 8° est remplacé … »; the
  consolidated article in force from 5 April 2021 (archeo-lex.fr, Code du travail, version
  consolidée au 5 avril 2021, which reproduces Légifrance's LEGI base) gives 1° to 3° as
  quoted in RNCP_2021 below. The numbering 4° to 8° is checked against the article as
  reproduced with its French original by french-business-law.com (« Article R6113-9 of the
  French Labour Code »); their French wording was not available to re-type, so 4° to 8°
  carry a heading, no quotation;
- décret n° 2025-500 du 6 juin 2025 relatif à la certification professionnelle (NOR
  TSSD2500795D, JORF n° 0133 du 8 juin 2025): « les dispositions des 3°, 4°, c du 5°, 6° et
  7° de l'article 1er […] s'appliquent aux demandes d'enregistrement dans les répertoires
  nationaux transmises au directeur général de France compétences à compter du 1er octobre
  2025 » (its notice, as published with the text). It changes the criteria of both
  articles. ITS AMENDED WORDING OF R. 6113-9 AND R. 6113-11 COULD NOT BE READ FROM AN
  OFFICIAL TEXT HERE: the versions from 1 October 2025 below are marked ``complete=False``
  and keep the former headings without numbers (the numbering may have changed);
- R. 6113-11: NO OFFICIAL TEXT OF ANY VERSION COULD BE READ HERE. The RS headings below are
  the platform's former summaries, printed with the article but without numbers
  (``complete=False``), until the article is re-typed from Légifrance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str  # what the commission's reasons store (API, events); never printed
    heading: str  # what opinions, letters and mails print
    number: str | None = None  # « 3° », where the article's numbering is checked for the version
    text: str | None = None  # the article's own words, where re-typed from the official text


@dataclass(frozen=True, slots=True)
class CriteriaVersion:
    repertoire: str
    article: str  # « R. 6113-9 »
    applies_from: date  # to the filings first submitted on or after this day
    source: str  # the text that gave the article this wording
    complete: bool  # False: the wording of this version could not be read from an official text
    criteria: tuple[Criterion, ...]

    def headings(self) -> dict[str, str]:
        return {c.key: c.heading for c in self.criteria}

    def get(self, key: str) -> Criterion | None:
        return next((c for c in self.criteria if c.key == key), None)

    def label(self, key: str) -> str:
        """« Impact en matière d'accès ou de retour à l'emploi (2° de l'article R. 6113-9 du
        code du travail) »: the heading, its number when known, and the article."""
        c = self.get(key)
        heading = c.heading if c else key
        where = f"{c.number} de l'article" if c and c.number else "article"
        return f"{heading} ({where} {self.article} du code du travail)"


_RNCP_2019 = CriteriaVersion(
    repertoire="rncp",
    article="R. 6113-9",
    applies_from=date(2019, 1, 1),
    source="décret n° 2018-1172 du 18 décembre 2018 (1° to 3° as the décret n° 2021-389 amended them, read back)",
    complete=False,  # 4° to 8° not quoted; 8° and 9° not checked
    criteria=(
        Criterion(
            "adequation_emplois",
            "Adéquation des emplois occupés par rapport au métier visé",
            "1°",
            "L'adéquation des emplois occupés par rapport au métier visé par le projet de certification professionnelle "
            "s'appuyant sur l'analyse d'au moins deux promotions de titulaires du projet de certification professionnelle",
        ),
        Criterion(
            "impact_emploi",
            "Impact en matière d'accès ou de retour à l'emploi",
            "2°",
            "L'impact du projet de certification professionnelle en matière d'accès ou de retour à l'emploi, apprécié pour "
            "au moins deux promotions de titulaires et comparé à l'impact de certifications visant des métiers similaires ou proches",
        ),
        Criterion(
            "qualite_referentiels",
            "Qualité du référentiel d'activités, du référentiel de compétences et du référentiel d'évaluation",
            "3°",
            "La qualité du référentiel d'activités, du référentiel de compétences et du référentiel d'évaluation",
        ),
        Criterion("controle_evaluation", "Procédures de contrôle des modalités d'organisation des épreuves d'évaluation", "4°"),
        Criterion("contraintes_reglementaires", "Prise en compte des contraintes légales et réglementaires du métier visé", "5°"),
        Criterion("vae", "Possibilité d'accéder à la certification par la validation des acquis de l'expérience", "6°"),
        Criterion("blocs_competences", "Cohérence des blocs de compétences et de leurs modalités spécifiques d'évaluation", "7°"),
        Criterion("correspondances", "Correspondances avec des certifications équivalentes de même niveau"),
        Criterion("association_branches", "Association des commissions paritaires nationales de l'emploi aux référentiels"),
    ),
)

_RNCP_2021 = CriteriaVersion(
    repertoire="rncp",
    article="R. 6113-9",
    applies_from=date(2021, 4, 5),
    source="décret n° 2021-389 du 2 avril 2021, art. 1er, 3° (Légifrance JORFTEXT000043328853)",
    complete=False,  # 4° to 8° not quoted; 9° not checked
    criteria=(
        Criterion(
            "adequation_emplois",
            "Adéquation des emplois occupés par rapport au métier visé",
            "1°",
            "L'adéquation des emplois occupés par rapport au métier visé par le projet de certification professionnelle "
            "s'appuyant sur l'analyse d'au moins deux promotions de titulaires",
        ),
        Criterion(
            "impact_emploi",
            "Impact en matière d'accès ou de retour à l'emploi",
            "2°",
            "L'impact du projet de certification professionnelle en matière d'accès ou de retour à l'emploi, apprécié pour "
            "au moins deux promotions de titulaires et comparé à l'impact de certifications professionnelles visant des "
            "métiers similaires ou proches",
        ),
        Criterion(
            "qualite_referentiels",
            "Qualité et cohérence du référentiel d'activités, du référentiel de compétences et du référentiel d'évaluation",
            "3°",
            "La qualité du référentiel d'activités, du référentiel de compétences et du référentiel d'évaluation ainsi que "
            "leur cohérence d'ensemble et l'absence de reproduction littérale de tout ou partie du contenu d'un référentiel "
            "existant. Pour l'appréciation de la qualité du référentiel de compétences, il est tenu compte, le cas échéant, "
            "des compétences liées à la prise en compte des situations de handicap, de l'accessibilité et de la conception "
            "universelle telle que définie par l'article 2 de la convention relative aux droits des personnes handicapées "
            "du 30 mars 2007",
        ),
        Criterion("controle_evaluation", "Procédures de contrôle des modalités d'organisation des épreuves d'évaluation", "4°"),
        Criterion("contraintes_reglementaires", "Prise en compte des contraintes légales et réglementaires du métier visé", "5°"),
        Criterion("vae", "Possibilité d'accéder à la certification par la validation des acquis de l'expérience", "6°"),
        Criterion("blocs_competences", "Cohérence des blocs de compétences et de leurs modalités spécifiques d'évaluation", "7°"),
        Criterion("correspondances", "Cohérence des correspondances avec d'autres certifications professionnelles", "8°"),
        Criterion("association_branches", "Association des commissions paritaires nationales de l'emploi aux référentiels"),
    ),
)

# From 1 October 2025 (décret n° 2025-500, applying to requests transmitted from that day):
# the amended wording is missing (see above). The former headings are kept, unnumbered.
_RNCP_2025 = CriteriaVersion(
    repertoire="rncp",
    article="R. 6113-9",
    applies_from=date(2025, 10, 1),
    source="décret n° 2025-500 du 6 juin 2025 (NOR TSSD2500795D) — amended wording not re-typed",
    complete=False,
    criteria=tuple(Criterion(c.key, c.heading) for c in _RNCP_2021.criteria),
)

_RS_FORMER = (
    Criterion("adequation_besoins", "Adéquation des compétences visées aux besoins du marché du travail"),
    Criterion("qualite_referentiels", "Qualité des référentiels de compétences et d'évaluation"),
    Criterion("controle_evaluation", "Procédures de contrôle des modalités d'organisation des épreuves d'évaluation"),
    Criterion("valeur_ajoutee", "Valeur ajoutée pour l'exercice d'un métier ou l'employabilité"),
    Criterion("contraintes_reglementaires", "Prise en compte des obligations légales et réglementaires"),
    Criterion("correspondances", "Correspondances avec des certifications ou habilitations existantes"),
)
_RS_2019 = CriteriaVersion(
    "rs", "R. 6113-11", date(2019, 1, 1), "décret n° 2018-1172 du 18 décembre 2018 — wording not re-typed", False, _RS_FORMER
)
_RS_2025 = CriteriaVersion(
    "rs", "R. 6113-11", date(2025, 10, 1), "décret n° 2025-500 du 6 juin 2025 (NOR TSSD2500795D) — wording not re-typed", False, _RS_FORMER
)

VERSIONS: dict[str, tuple[CriteriaVersion, ...]] = {
    "rncp": (_RNCP_2019, _RNCP_2021, _RNCP_2025),
    "rs": (_RS_2019, _RS_2025),
}


def in_force(repertoire: str, first_submitted: date) -> CriteriaVersion:
    """The criteria a filing first submitted on ``first_submitted`` is examined against."""
    versions = VERSIONS[repertoire]
    chosen = versions[0]
    for v in versions:
        if v.applies_from <= first_submitted:
            chosen = v
    return chosen
