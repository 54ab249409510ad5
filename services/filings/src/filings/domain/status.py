"""A filing's state as filings keeps it, and how it reads to a depositor.

``status`` is filings' own: ``draft`` (being written), ``submitted`` (sent, in review's
hands), ``withdrawal_requested`` (the depositor asked to withdraw it; review, which owns
the procedure, has not answered yet) or ``withdrawn`` (a draft at once; a submitted filing
once review withdrew its case). ``case_status`` mirrors review's case status, received
through ``review.case.status_changed``; with it come the ``editable_items`` review reopens.
Nothing is editable, submittable or withdrawable while a withdrawal is requested.
"""

from __future__ import annotations

from collections.abc import Iterable

from certreg_contracts.types import TERMINAL_CASE_STATUSES

DRAFT = "draft"
SUBMITTED = "submitted"
WITHDRAWAL_REQUESTED = "withdrawal_requested"
WITHDRAWN = "withdrawn"
STATUSES = (DRAFT, SUBMITTED, WITHDRAWAL_REQUESTED, WITHDRAWN)
WITHDRAWAL_REQUESTED_LABEL = "Retrait demandé — en attente de la confirmation de France compétences"

CASE_LABELS = {
    "received": "Déposé — en attente du contrôle de complétude",
    "incomplete": "Incomplet — pièces demandées",
    "completeness_ok": "Complet — en attente de l'examen de recevabilité",
    "inadmissible": "Irrecevable — modifications recommandées",
    "admissible": "Recevable — en attente d'instruction",
    "under_instruction": "En cours d'instruction",
    "awaiting_complement": "En instruction — compléments demandés",
    "ready_for_commission": "Instruction terminée — en attente de commission",
    "scheduled": "Inscrit à l'ordre du jour d'une commission",
    "adjourned": "Ajourné — dossier amélioré attendu",
    "favourable": "Avis favorable de la commission — en attente de décision",
    "unfavourable": "Avis défavorable de la commission — en attente de décision",
    "awaiting_publication": "Enregistrement décidé — en attente de publication au Journal officiel",
    "suspended": "Suspendu — informations erronées ou incomplètes à corriger",
    "inadmissible_by_right": "Irrecevable de plein droit — fausse déclaration",
    "registered": "Enregistré",
    "refused": "Enregistrement refusé",
    "abandoned": "Abandonné — délai de réponse dépassé",
    "admissibility_withdrawn": "Recevabilité retirée",
    "withdrawn": "Retiré par le déposant",
}


# A registration by right (L.6113-5 I, L.6113-6) has no admissibility, instruction or
# commission: where it waits says so.
BY_RIGHT_CASE_LABELS = {
    "completeness_ok": "Complet — en attente de la décision d'enregistrement de droit (sans commission)",
}


def procedure_status(status: str, case_status: str | None, submission_round: int, registration_type: str | None = None) -> str:
    """The procedure's state as the depositor should understand it, in French (``registration_type``:
    the fiche's, ``by_right`` for a registration by right)."""
    if status == DRAFT:
        return "Brouillon"
    if status == WITHDRAWN:
        return CASE_LABELS["withdrawn"]
    if status == WITHDRAWAL_REQUESTED:
        return WITHDRAWAL_REQUESTED_LABEL
    if case_status is None:
        if submission_round > 1:
            return "Complément déposé — en attente de l'examen de France compétences"
        return CASE_LABELS["received"]
    if registration_type == "by_right" and case_status in BY_RIGHT_CASE_LABELS:
        return BY_RIGHT_CASE_LABELS[case_status]
    return CASE_LABELS.get(case_status, case_status)


def is_final(status: str, case_status: str | None) -> bool:
    return status == WITHDRAWN or case_status in TERMINAL_CASE_STATUSES


def is_settled(status: str) -> bool:
    """No request of the depositor's waits for review's answer."""
    return status != WITHDRAWAL_REQUESTED


def may_edit(status: str, case_status: str | None, editable_items: Iterable[str], item: str) -> bool:
    """A draft is editable; once submitted, only what review reopened (``editable_items``)."""
    if is_final(status, case_status) or not is_settled(status):
        return False
    if status == DRAFT:
        return True
    return item in set(editable_items)


def may_submit(status: str, case_status: str | None, editable_items: Iterable[str]) -> bool:
    """A draft, or a submitted filing that review reopened."""
    if is_final(status, case_status) or not is_settled(status):
        return False
    return status == DRAFT or bool(list(editable_items))


# Decided, not final yet: a registration waiting for its publication in the Journal officiel.
DECIDED_CASE_STATUSES = frozenset({"awaiting_publication"})


def may_withdraw(status: str, case_status: str | None) -> bool:
    """At any time before the decision (and not twice); review has the last word."""
    return not is_final(status, case_status) and case_status not in DECIDED_CASE_STATUSES and is_settled(status)
