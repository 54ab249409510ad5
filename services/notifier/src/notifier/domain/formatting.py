"""French wording of dates and of the platform's vocabulary, for e-mails and letters."""

from __future__ import annotations

import datetime as dt

from certreg_contracts.calendar import PARIS
from certreg_contracts.legal_dates import french_date


def date_fr(value: dt.date | dt.datetime | str | None) -> str:
    """27 novembre 2026 (1er for the first day of the month)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return french_date(value)


def days_fr(n: int) -> str:
    return f"{n} jour" if abs(n) <= 1 else f"{n} jours"


REPERTOIRES = {"rncp": "RNCP", "rs": "RS"}
REPERTOIRE_NAMES = {
    "rncp": "Répertoire national des certifications professionnelles (RNCP)",
    "rs": "Répertoire spécifique (RS)",
}

DOC_TYPES = {
    "legal_existence": "justificatif d'existence légale",
    "mandate_delegation": "délégation de mandat",
    "activity_framework": "référentiel d'activités",
    "competence_framework": "référentiel de compétences",
    "assessment_framework": "référentiel d'évaluation",
    "criminal_record": "bulletin n°3 du casier judiciaire",
    "certificate_specimen": "spécimen du parchemin",
    "assessment_organisation": "organisation des évaluations",
    "opportunity_note": "note d'opportunité",
    "support_letter": "lettre de soutien",
    "standards": "normes",
    "cpne_deliberation": "délibération de la CPNE",
    "cpne_mandate": "mandat de la CPNE",
    "ip_transfer": "cession de la propriété intellectuelle",
    "organisation_presentation": "présentation de l'organisme",
    "validation_rules": "règles de délivrance",
    "sector_studies": "études sectorielles",
}

STATUSES = {
    "received": "reçu",
    "incomplete": "incomplet",
    "completeness_ok": "complet",
    "inadmissible": "irrecevable",
    "admissible": "recevable",
    "under_instruction": "en instruction",
    "awaiting_complement": "en attente de compléments",
    "ready_for_commission": "prêt pour la commission",
    "scheduled": "inscrit à l'ordre du jour d'une commission",
    "adjourned": "ajourné",
    "favourable": "avis favorable",
    "unfavourable": "avis défavorable",
    "awaiting_publication": "enregistrement décidé, en attente de publication au Journal officiel",
    "suspended": "suspendu",
    "inadmissible_by_right": "irrecevable de plein droit",
    "registered": "enregistré",
    "refused": "refusé",
    "abandoned": "abandonné",
    "admissibility_withdrawn": "recevabilité retirée",
    "withdrawn": "retiré",
}

OPINIONS = {"favourable": "favorable", "unfavourable": "défavorable", "adjourned": "ajournement"}

ROLES = {
    "depositor": "déposant",
    "entity_manager": "gestionnaire entité",
    "si_admin": "administrateur SI",
    "reviewer": "contrôleur",
    "instructor": "instructeur",
    "commission": "commission",
    "director": "direction de la certification",
}


def label(table: dict[str, str], key: str | None) -> str:
    if key is None:
        return ""
    return table.get(key, key)


def doc_type_fr(key: str | None) -> str:
    """A doc_type's French name; a filing field name is shown as is."""
    return label(DOC_TYPES, key)


def datetime_fr(value: dt.datetime | str | None) -> str:
    """27 novembre 2026 à 14 h 05 (Paris time)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    local = value.astimezone(PARIS)
    return f"{date_fr(local.date())} à {local.hour} h {local.minute:02d}"
