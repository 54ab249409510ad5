"""The registration criteria, as a versioned table: a case is examined against the version
that applies to the day its filing was first submitted (the request is "transmitted to the
director general of France compétences" then, and the case opens).

Code du travail, partie réglementaire — R. 6113-9 (RNCP, requests under II of L. 6113-5) and
R. 6113-11 (répertoire spécifique, L. 6113-6). Each criterion has the key the commission's
reasons store (never printed, stable across versions), the article's number (« 2° bis ») and
the item's own words, copied from DILA's LEGI database; opinions, letters and mails print
« <number> <words> (article R. 6113-9 du code du travail) ». The short ``heading`` only names
the item in the commission's drop-down list; it is the platform's, not the law's.

SOURCE. ``legi_criteria.json`` (next to this module) holds every version of both articles as
published in the npm package ``@socialgouv/legi-data`` (DILA's LEGI open data, Code du travail
LEGITEXT000006072050), retrieved 2026-12-01 with ``npm pack``:
- 1.46.0 (code as of 2020-11-01): R6113-9 LEGIARTI000039797113, R6113-11 LEGIARTI000039797109
  (from 2019-12-30, when décret n° 2019-1490 moved the articles — LEGI link « DEPLACE »);
- 2.24.0 (code as of 2021-01-01): LEGIARTI000041922378 and LEGIARTI000041922352 (from
  2021-01-01; same words as the two above);
- 2.229.0 (code as of 2023-02-17): LEGIARTI000043330625 and LEGIARTI000043330621 (décret
  n° 2021-389 du 2 avril 2021, from 2021-04-05);
- 2.513.0 (code as of 2026-03-27): LEGIARTI000051705121 and LEGIARTI000051705136 (décret
  n° 2025-500 du 6 juin 2025, NOR TSSD2500795D, JORF n° 0133 du 8 juin 2025, from 2025-06-09).
Cross-checked: the décret n° 2025-500's own notice (securibase.com, fiche 35321/40086) — « à
l'exception des dispositions des 3°, 4°, c du 5°, 6° et 7° de l'article 1er, qui s'appliquent aux
demandes d'enregistrement dans les répertoires nationaux transmises au directeur général de
France compétences à compter du 1er octobre 2025 ».

WHEN A VERSION APPLIES. LEGI dates a version by its entry into force; the decrees' transitional
provisions, quoted in each version's nota, say which requests it governs:
- 2025: the nota of both articles (I of article 2 of décret n° 2025-500): « ces dispositions
  s'appliquent aux demandes d'enregistrement dans les répertoires nationaux transmises au
  directeur général de France compétences à compter du 1er octobre 2025 ». The version in force
  from 9 June 2025 therefore applies from 1 October 2025; a request first submitted on 30
  September 2025 is examined against the 2021 wording.
- 2021: the nota (I of article 3 of décret n° 2021-389): R. 6113-9 « dans sa rédaction issue du c
  du 3° de l'article 1er » and R. 6113-11 « dans sa rédaction issue du a du 5° de l'article 1er »
  apply to requests transmitted after 31 August 2021. The c) of 3° is the amendment of 3° of
  R. 6113-9 (« c) Au 3°, sont ajoutés les mots … », Légifrance JORFTEXT000043328853), so from
  5 April 2021 R. 6113-9 has its new 1°, 2° and 8° and its former 3°, and its new 3° from
  1 September 2021. For R. 6113-11 the décret's text was not read here: that its a) of 5° is the
  amendment of 2° (the other one, « par le demandeur » in 5°, would then be its b)) is INFERRED,
  so the R. 6113-11 version from 5 April 2021 is marked ``complete=False``.
- 2019: the versions in force from 1 January 2019 (LEGIARTI000037836008, LEGIARTI000037836015)
  are in none of the packages read; the versions after the move of 30 December 2019 are quoted
  for them, marked ``complete=False``.

KEYS. Stored opinions keep their keys: an item keeps its key when its number and subject stay
(« 1° » of R. 6113-9 kept ``adequation_emplois`` although its wording changed); an item that
did not exist gets a new key (2° bis, 2° ter of R. 6113-9; 1° bis to 1° quinquies of R. 6113-11
from 1 October 2025). The RS list follows R. 6113-11's own list; ``valeur_ajoutee``, which the
platform once offered for the RS, is in no version of the article: it is no longer accepted,
and the opinions that used it print its former heading saying so (``RETIRED``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str  # what the commission's reasons store (API, events); never printed
    number: str  # « 2° bis », as in the article
    text: str  # the item's own words (LEGI), without the list's closing « ; » or « . »
    heading: str  # the platform's short name, for the drop-down list only


@dataclass(frozen=True, slots=True)
class CriteriaVersion:
    repertoire: str
    article: str  # « R. 6113-9 »
    applies_from: date  # to the filings first submitted on or after this day
    source: str  # the LEGI version(s) quoted and the text that gave the article this wording
    complete: bool  # False: the wording applicable to these requests is not verified in full (see source)
    criteria: tuple[Criterion, ...]
    legi: tuple[str, ...]  # the LEGI versions quoted (``legi_criteria.json``), the one whose list it follows first

    def headings(self) -> dict[str, str]:
        """{key: « 2° bis Réalité des moyens … »}: the drop-down list of the commission."""
        return {c.key: f"{c.number} {c.heading}" for c in self.criteria}

    def get(self, key: str) -> Criterion | None:
        return next((c for c in self.criteria if c.key == key), None)

    def label(self, key: str) -> str:
        """« 4° La mise en place de procédures de contrôle, […] (article R. 6113-9 du code du
        travail) »: the article's item, as opinions, letters and mails print it."""
        c = self.get(key)
        if c:
            return f"{c.number} {c.text} (article {self.article} du code du travail)"
        retired = RETIRED.get(self.repertoire, {}).get(key)
        if retired:
            return f"{retired} (ancien intitulé de la plateforme, absent de l'article {self.article} du code du travail)"
        return f"{key} (article {self.article} du code du travail)"


# Former platform keys that are in no version of the article (stored opinions may hold them).
RETIRED: dict[str, dict[str, str]] = {
    "rs": {"valeur_ajoutee": "Valeur ajoutée pour l'exercice d'un métier ou l'employabilité"},
}

# --- R. 6113-9 (RNCP) -------------------------------------------------------------------------

_RNCP_KEYS: dict[str, tuple[str, str]] = {  # number -> (key, heading)
    "1°": ("adequation_emplois", "Adéquation des emplois occupés et du métier visé"),
    "2°": ("impact_emploi", "Impact en matière d'accès ou de retour à l'emploi"),
    "2° bis": ("realite_moyens", "Réalité des moyens techniques, pédagogiques et d'encadrement"),
    "2° ter": ("adequation_actions", "Adéquation des actions mentionnées au 2° bis avec les référentiels"),
    "3°": ("qualite_referentiels", "Qualité des référentiels d'activités, de compétences et d'évaluation"),
    "4°": ("controle_evaluation", "Procédures de contrôle des modalités d'organisation des épreuves d'évaluation"),
    "5°": ("contraintes_reglementaires", "Prise en compte des contraintes légales et règlementaires du métier visé"),
    "6°": ("vae", "Accès par la validation des acquis de l'expérience"),
    "7°": ("blocs_competences", "Cohérence des blocs de compétences et de leurs modalités spécifiques d'évaluation"),
    "8°": ("correspondances", "Cohérence des correspondances"),
    "9°": ("association_branches", "Association des commissions paritaires nationales de l'emploi"),
}

# LEGIARTI000039797113 (2019-12-30) = LEGIARTI000041922378 (2021-01-01)
_R6113_9_2019: dict[str, str] = {
    "1°": "L'adéquation des emplois occupés par rapport au métier visé par le projet de certification professionnelle "
    "s'appuyant sur l'analyse d'au moins deux promotions de titulaires du projet de certification professionnelle",
    "2°": "L'impact du projet de certification professionnelle en matière d'accès ou de retour à l'emploi, apprécié pour "
    "au moins deux promotions de titulaires et comparé à l'impact de certifications visant des métiers similaires ou proches",
    "3°": "La qualité du référentiel d'activités, du référentiel de compétences et du référentiel d'évaluation",
    "4°": "La mise en place de procédures de contrôle de l'ensemble des modalités d'organisation des épreuves d'évaluation",
    "5°": "La prise en compte des contraintes légales et règlementaires liées à l'exercice du métier visé par le projet "
    "de certification professionnelle",
    "6°": "La possibilité d'accéder au projet de certification professionnelle par la validation des acquis de l'expérience",
    "7°": "La cohérence des blocs de compétences constitutifs du projet de certification professionnelle et de leurs "
    "modalités spécifiques d'évaluation",
    "8°": "Le cas échéant, la cohérence des correspondances totales ou partielles mises en place avec des certifications "
    "professionnelles équivalentes et de même niveau de qualification et leurs blocs de compétences",
    "9°": "Le cas échéant, les modalités d'association des commissions paritaires nationales de l'emploi de branches "
    "professionnelles dans l'élaboration ou la validation des référentiels",
}

# LEGIARTI000043330625 (décret n° 2021-389, 2021-04-05)
_R6113_9_2021: dict[str, str] = {
    **_R6113_9_2019,
    "1°": "L'adéquation des emplois occupés par rapport au métier visé par le projet de certification professionnelle "
    "s'appuyant sur l'analyse d'au moins deux promotions de titulaires",
    "2°": "L'impact du projet de certification professionnelle en matière d'accès ou de retour à l'emploi, apprécié pour "
    "au moins deux promotions de titulaires et comparé à l'impact de certifications professionnelles visant des métiers "
    "similaires ou proches",
    "3°": "La qualité du référentiel d'activités, du référentiel de compétences et du référentiel d'évaluation ainsi que "
    "leur cohérence d'ensemble et l'absence de reproduction littérale de tout ou partie du contenu d'un référentiel "
    "existant. Pour l'appréciation de la qualité du référentiel de compétences, il est tenu compte, le cas échéant, des "
    "compétences liées à la prise en compte des situations de handicap, de l'accessibilité et de la conception "
    "universelle telle que définie par l'article 2 de la convention relative aux droits des personnes handicapées du "
    "30 mars 2007",
    "8°": "Le cas échéant, la cohérence : - des correspondances totales mises en place par le demandeur entre le projet "
    "de certification professionnelle et des certifications professionnelles équivalentes et de même niveau de "
    "qualification ; - des correspondances partielles mises en place par le demandeur entre un ou plusieurs blocs de "
    "compétences de ce projet et les blocs de compétences d'autres certifications professionnelles ; - des "
    "correspondances mises en place par le demandeur entre un ou plusieurs blocs de compétences de ce projet et des "
    "certifications ou habilitations enregistrées dans le répertoire spécifique",
}

# LEGIARTI000051705121 (décret n° 2025-500, 2025-06-09; requests from 2025-10-01)
_R6113_9_2025: dict[str, str] = {
    "1°": "L'adéquation du métier concerné par le projet de certification professionnelle par rapport aux emplois "
    "occupés, s'appuyant sur l'analyse des promotions de titulaires retenues dans les conditions mentionnées au II",
    "2°": "L'impact du projet de certification professionnelle en matière d'accès ou de retour à l'emploi, s'appuyant "
    "sur l'analyse des promotions de titulaires retenues dans les conditions mentionnées au II et comparé à l'impact "
    "de certifications professionnelles visant des métiers similaires ou proches",
    "2° bis": "La vérification de la réalité des moyens techniques, pédagogiques et d'encadrement mis en œuvre pour la "
    "réalisation des actions de formation ou de reconnaissance des acquis de l'expérience suivies par les promotions "
    "de titulaires retenues dans les conditions mentionnées au II",
    "2° ter": "L'adéquation des actions mentionnées au 2° bis avec les référentiels d'activités et de compétences de "
    "la certification professionnelle concernée",
    "3°": "La qualité des référentiels d'activités, de compétences et d'évaluation ainsi que leur cohérence "
    "d'ensemble. Les référentiels d'activités et de compétences intègrent, en fonction de la certification "
    "professionnelle concernée : a) Les effets de la transition écologique et de la transition numérique sur les "
    "compétences et connaissances nécessaires à l'exercice des métiers ou emplois concernés par le projet de "
    "certification professionnelle ; b) Les principes de prévention en matière de santé et de sécurité au travail ; "
    "c) Les compétences liées à la prise en compte des situations de handicap, de l'accessibilité et de la "
    "conception universelle telle que définie par l'article 2 de la convention relative aux droits des personnes "
    "handicapées du 30 mars 2007",
    "4°": "La mise en place de procédures de contrôle, par le demandeur ou les organismes qu'il a habilités "
    "conformément à l'article R. 6113-16, des actions mentionnées au 2° bis et de l'ensemble des modalités "
    "d'organisation des épreuves d'évaluation",
    "5°": _R6113_9_2019["5°"],
    "6°": _R6113_9_2019["6°"],
    "7°": _R6113_9_2019["7°"],
    "8°": "Le cas échéant, la cohérence : -des correspondances totales mises en place par le demandeur entre le projet "
    "de certification professionnelle et des certifications professionnelles équivalentes et de même niveau de "
    "qualification ; -des correspondances partielles mises en place par le demandeur entre un ou plusieurs blocs de "
    "compétences de ce projet et les blocs de compétences d'autres certifications professionnelles ; -des "
    "correspondances mises en place par le demandeur entre un ou plusieurs blocs de compétences de ce projet et des "
    "certifications ou habilitations enregistrées dans le répertoire spécifique",
    "9°": _R6113_9_2019["9°"],
}

# --- R. 6113-11 (répertoire spécifique) -----------------------------------------------------

_RS_KEYS: dict[str, tuple[str, str]] = {
    "1°": ("adequation_besoins", "Adéquation des connaissances et compétences visées aux besoins du marché du travail"),
    "1° bis": ("impact_parcours", "Impact en matière de sécurisation ou de développement du parcours professionnel"),
    "1° ter": ("objectifs_formation", "Respect des objectifs fixés à l'article L. 6313-3"),
    "1° quater": ("realite_moyens", "Réalité des moyens techniques, pédagogiques et d'encadrement"),
    "1° quinquies": ("adequation_actions", "Adéquation des actions mentionnées au 1° quater avec le référentiel de compétences"),
    "2°": ("qualite_referentiels", "Qualité des référentiels de compétences et d'évaluation"),
    "3°": ("controle_evaluation", "Procédures de contrôle des modalités d'organisation des épreuves d'évaluation"),
    "4°": ("contraintes_reglementaires", "Prise en compte des contraintes légales et règlementaires"),
    "5°": ("correspondances", "Cohérence des correspondances avec des blocs de compétences du RNCP"),
    "6°": ("association_branches", "Association des commissions paritaires nationales de l'emploi"),
}

# LEGIARTI000039797109 (2019-12-30) = LEGIARTI000041922352 (2021-01-01)
_R6113_11_2019: dict[str, str] = {
    "1°": "L'adéquation des connaissances et compétences visées par rapport aux besoins du marché du travail",
    "2°": "La qualité du référentiel de compétences et du référentiel d'évaluation",
    "3°": "La mise en place de procédures de contrôle de l'ensemble des modalités d'organisation des épreuves d'évaluation",
    "4°": "La prise en compte des contraintes légales et règlementaires liées à l'exercice des compétences "
    "professionnelles visées par le projet de certification ou d'habilitation",
    "5°": "Le cas échéant, la cohérence des correspondances mises en place avec des blocs de compétences de "
    "certifications professionnelles enregistrées dans le répertoire national des certifications professionnelles",
    "6°": "Le cas échéant, les modalités d'association des commissions paritaires nationales de l'emploi de branches "
    "professionnelles dans l'élaboration ou la validation des référentiels",
}

# LEGIARTI000043330621 (décret n° 2021-389, 2021-04-05)
_R6113_11_2021: dict[str, str] = {
    **_R6113_11_2019,
    "2°": "La qualité du référentiel de compétences et du référentiel d'évaluation ainsi que leur cohérence d'ensemble "
    "et l'absence de reproduction littérale de tout ou partie du contenu d'un référentiel existant. Pour l'appréciation "
    "de la qualité du référentiel de compétences, il est tenu compte, le cas échéant, des compétences liées à la prise "
    "en compte des situations de handicap, de l'accessibilité et de la conception universelle telle que définie par "
    "l'article 2 de la convention relative aux droits des personnes handicapées du 30 mars 2007",
    "5°": "Le cas échéant, la cohérence des correspondances mises en place par le demandeur avec des blocs de "
    "compétences de certifications professionnelles enregistrées dans le répertoire national des certifications "
    "professionnelles",
}

# LEGIARTI000051705136 (décret n° 2025-500, 2025-06-09; requests from 2025-10-01)
_R6113_11_2025: dict[str, str] = {
    "1°": "L'adéquation des connaissances et compétences visées par rapport aux besoins du marché du travail, appréciée "
    "au moyen d'une étude complétée, dans le cas d'une demande de renouvellement d'enregistrement, par un bilan de la "
    "mise en œuvre de la certification ou habilitation précédemment enregistrée",
    "1° bis": "L'impact du projet de certification ou habilitation en matière de sécurisation ou de développement du "
    "parcours professionnel, s'appuyant sur l'analyse de promotions de titulaires retenues dans les conditions "
    "mentionnées au II",
    "1° ter": "Le respect des objectifs fixés à l'article L. 6313-3",
    "1° quater": "La vérification de la réalité des moyens techniques, pédagogiques et d'encadrement mis en œuvre pour "
    "la réalisation des actions de formation suivies par les promotions de titulaires retenues dans les conditions "
    "mentionnées au II",
    "1° quinquies": "L'adéquation des actions mentionnées au 1° quater avec le référentiel de compétences de la "
    "certification ou de l'habilitation concernée",
    "2°": "La qualité des référentiels de compétences et d'évaluation ainsi que leur cohérence d'ensemble. Le "
    "référentiel de compétences intègre, en fonction de la certification ou de l'habilitation concernée : a) Les effets "
    "de la transition écologique et de la transition numérique sur les compétences et connaissances nécessaires à "
    "l'exercice des métiers ou emplois concernés par le projet de certification ou d'habilitation ; b) Les principes "
    "de prévention en matière de santé et de sécurité au travail ; c) Les compétences liées à la prise en compte des "
    "situations de handicap, de l'accessibilité et de la conception universelle telle que définie par l'article 2 de "
    "la convention relative aux droits des personnes handicapées du 30 mars 2007",
    "3°": "La mise en place de procédures de contrôle, par le demandeur ou les organismes qu'il a habilités "
    "conformément à l'article R. 6113-16, des actions mentionnées au 1° quater et de l'ensemble des modalités "
    "d'organisation des épreuves d'évaluation",
    "4°": _R6113_11_2021["4°"],
    "5°": _R6113_11_2021["5°"],
    "6°": _R6113_11_2021["6°"],
}


def _items(keys: dict[str, tuple[str, str]], texts: dict[str, str]) -> tuple[Criterion, ...]:
    """The article's items in its own order (that of ``keys``), with their keys."""
    return tuple(Criterion(keys[n][0], n, texts[n], keys[n][1]) for n in keys if n in texts)


def _rncp(applies_from: date, texts: dict[str, str], source: str, *legi: str, complete: bool = True) -> CriteriaVersion:
    return CriteriaVersion("rncp", "R. 6113-9", applies_from, source, complete, _items(_RNCP_KEYS, texts), legi)


def _rs(applies_from: date, texts: dict[str, str], source: str, *legi: str, complete: bool = True) -> CriteriaVersion:
    return CriteriaVersion("rs", "R. 6113-11", applies_from, source, complete, _items(_RS_KEYS, texts), legi)


_LEGI = "@socialgouv/legi-data"
VERSIONS: dict[str, tuple[CriteriaVersion, ...]] = {
    "rncp": (
        _rncp(
            date(2019, 1, 1),
            _R6113_9_2019,
            "décret n° 2018-1172 du 18 décembre 2018 — LEGIARTI000037836008 not held by the LEGI package read: "
            f"quoted from LEGIARTI000039797113 (the article as moved on 2019-12-30, {_LEGI}@1.46.0)",
            "LEGIARTI000039797113",
            complete=False,
        ),
        _rncp(
            date(2019, 12, 30),
            _R6113_9_2019,
            f"LEGIARTI000039797113 ({_LEGI}@1.46.0) = LEGIARTI000041922378 from 2021-01-01 ({_LEGI}@2.24.0)",
            "LEGIARTI000039797113",
            "LEGIARTI000041922378",
        ),
        _rncp(
            date(2021, 4, 5),
            {**_R6113_9_2021, "3°": _R6113_9_2019["3°"]},
            f"décret n° 2021-389 du 2 avril 2021: LEGIARTI000043330625 ({_LEGI}@2.229.0), except 3° (its c of 3° applies "
            "to requests transmitted after 31 August 2021, nota): 3° of LEGIARTI000041922378",
            "LEGIARTI000043330625",
            "LEGIARTI000041922378",
        ),
        _rncp(
            date(2021, 9, 1),
            _R6113_9_2021,
            f"décret n° 2021-389 du 2 avril 2021: LEGIARTI000043330625 ({_LEGI}@2.229.0), all of it",
            "LEGIARTI000043330625",
        ),
        _rncp(
            date(2025, 10, 1),
            _R6113_9_2025,
            "décret n° 2025-500 du 6 juin 2025 (NOR TSSD2500795D), requests transmitted from 1 October 2025 (nota): "
            f"LEGIARTI000051705121 ({_LEGI}@2.513.0)",
            "LEGIARTI000051705121",
        ),
    ),
    "rs": (
        _rs(
            date(2019, 1, 1),
            _R6113_11_2019,
            "décret n° 2018-1172 du 18 décembre 2018 — LEGIARTI000037836015 not held by the LEGI package read: "
            f"quoted from LEGIARTI000039797109 (the article as moved on 2019-12-30, {_LEGI}@1.46.0)",
            "LEGIARTI000039797109",
            complete=False,
        ),
        _rs(
            date(2019, 12, 30),
            _R6113_11_2019,
            f"LEGIARTI000039797109 ({_LEGI}@1.46.0) = LEGIARTI000041922352 from 2021-01-01 ({_LEGI}@2.24.0)",
            "LEGIARTI000039797109",
            "LEGIARTI000041922352",
        ),
        _rs(
            date(2021, 4, 5),
            {**_R6113_11_2021, "2°": _R6113_11_2019["2°"]},
            f"décret n° 2021-389 du 2 avril 2021: LEGIARTI000043330621 ({_LEGI}@2.229.0), except 2°: 2° of "
            "LEGIARTI000041922352 — that the nota's « a du 5° » (after 31 August 2021) is the amendment of 2° is inferred",
            "LEGIARTI000043330621",
            "LEGIARTI000041922352",
            complete=False,
        ),
        _rs(
            date(2021, 9, 1),
            _R6113_11_2021,
            f"décret n° 2021-389 du 2 avril 2021: LEGIARTI000043330621 ({_LEGI}@2.229.0), all of it",
            "LEGIARTI000043330621",
        ),
        _rs(
            date(2025, 10, 1),
            _R6113_11_2025,
            "décret n° 2025-500 du 6 juin 2025 (NOR TSSD2500795D), requests transmitted from 1 October 2025 (nota): "
            f"LEGIARTI000051705136 ({_LEGI}@2.513.0)",
            "LEGIARTI000051705136",
        ),
    ),
}


def in_force(repertoire: str, first_submitted: date) -> CriteriaVersion:
    """The criteria a filing first submitted on ``first_submitted`` is examined against."""
    versions = VERSIONS[repertoire]
    chosen = versions[0]
    for v in versions:
        if v.applies_from <= first_submitted:
            chosen = v
    return chosen


def all_headings(repertoire: str) -> dict[str, str]:
    """Every key any version of the repertoire knows (the latest version's first, in its
    order), with its heading: what the UI looks a stored reason's criterion up in."""
    known: dict[str, str] = {}
    for v in reversed(VERSIONS[repertoire]):
        for key, heading in v.headings().items():
            known.setdefault(key, heading)
    for key, heading in RETIRED.get(repertoire, {}).items():
        known.setdefault(key, f"{heading} (ancien intitulé)")
    return known
