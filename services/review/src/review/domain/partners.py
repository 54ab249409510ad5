"""A registered certification's partner organisations: the organisations its certifier
authorises to prepare candidates for it, to organise its assessments, or both (code du
travail, L. 6113-2: the certifier may entrust them to organisations it authorises). Pure
rules: what a scope is called in the open data, and when a change was declared late."""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

PartnerScope = Literal["preparation", "assessment", "both"]
SCOPES: tuple[str, ...] = get_args(PartnerScope)

SCOPE_LABELS = {
    "preparation": "Préparation à la certification",
    "assessment": "Organisation des épreuves d'évaluation",
    "both": "Préparation et organisation des épreuves",
}

# HABILITATION_PARTENAIRE of the open-data fiche v4.1 (services/review/tests/data/fiches-v4.1.xsd):
# HABILITATION_FORMER (to prepare), HABILITATION_ORGANISER (to organise the assessment), both.
HABILITATION = {"preparation": "HABILITATION_FORMER", "assessment": "HABILITATION_ORGANISER", "both": "HABILITATION_ORGA_FORM"}

# No verifiable legal period for declaring a change of partners was found (the code du travail
# and France compétences' published notes ask the certifier to keep the list up to date, with no
# number of days): the period is the platform's setting, CERTREG_PARTNER_DECLARATION_DAYS, whose
# default is this — a platform choice, not a legal figure (docs/API-NOTES.md says so).
DEFAULT_DECLARATION_DAYS = 30


def days_late(effective: date, declared: date, allowed_days: int) -> int:
    """How many days past the allowed period a change effective on ``effective`` and declared
    on ``declared`` (both Paris days) came: 0 when it came in time."""
    return max(0, (declared - effective).days - allowed_days)
