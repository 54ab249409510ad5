"""The procedure as data: the states of a case, the transitions between them and who
may make each one. Code, API and tests read this one table.

An *action* is what someone does (``completeness``, ``ready``, ``register``…); a
transition is ``(action, from_state) -> to_state`` with an outcome when one action
has several (``complete``/``incomplete``). ``depositor`` transitions are driven by the
filings service's events (submission, withdrawal); ``system`` ones by the deadline
sweeper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from certreg_contracts.types import CASE_STATUSES, DOC_TYPES, FILING_FIELDS, CaseStatus
from certreg_runtime.errors import Conflict, Forbidden

SYSTEM = "system"
DEPOSITOR = "depositor"

# States after a positive admissibility and before a decision (withdrawal of admissibility).
AFTER_ADMISSIBILITY = (
    "admissible",
    "under_instruction",
    "awaiting_complement",
    "ready_for_commission",
    "scheduled",
    "favourable",
    "unfavourable",
    "adjourned",
)
# The commission's opinions, each a state of the case until the decision.
OPINIONS = ("favourable", "unfavourable", "adjourned")
# Every state before the director's decision (the depositor may withdraw).
BEFORE_DECISION = ("received", "incomplete", "completeness_ok", "inadmissible", *AFTER_ADMISSIBILITY, "suspended")
# Sanctions of article 5 of the arrêté du 4 janvier 2019 (NOR MTRD1835660A), as DESIGN.md
# step 2 states them: erroneous or incomplete information suspends the request until the
# depositor answers (it then resumes in the state it had); a false declaration makes it
# inadmissible by right (final, no resubmission).
SUSPENDABLE = ("received", "completeness_ok", "admissible", "under_instruction", "ready_for_commission", "scheduled")


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    roles: frozenset[str]
    outcome: str | None = None  # for actions with several results

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.action, self.source, self.outcome)


def _t(action: str, sources: str | tuple[str, ...], target: str, roles: str, outcome: str | None = None) -> list[Transition]:
    sources = (sources,) if isinstance(sources, str) else sources
    return [Transition(action, s, target, frozenset(roles.split()), outcome) for s in sources]


TRANSITIONS: list[Transition] = [
    # formal control
    *_t("completeness", "received", "incomplete", "reviewer", "incomplete"),
    *_t("completeness", "received", "completeness_ok", "reviewer", "complete"),
    *_t("admissibility", "completeness_ok", "inadmissible", "reviewer", "inadmissible"),
    *_t("admissibility", "completeness_ok", "admissible", "reviewer", "admissible"),
    *_t("resubmit", ("incomplete", "inadmissible"), "received", DEPOSITOR),
    # instruction
    *_t("assign", "admissible", "under_instruction", "reviewer director"),
    *_t("assign", ("under_instruction", "awaiting_complement"), "__same__", "reviewer director"),
    *_t("request", "under_instruction", "awaiting_complement", "instructor"),
    *_t("answer", "awaiting_complement", "under_instruction", DEPOSITOR),
    *_t("ready", "under_instruction", "ready_for_commission", "instructor"),
    *_t("abandon", ("awaiting_complement", "incomplete"), "abandoned", "director"),
    # commission
    *_t("schedule", "ready_for_commission", "scheduled", f"commission {SYSTEM}"),
    *_t("reschedule", "scheduled", "__same__", "commission"),
    *_t("opinion", "scheduled", "favourable", "commission", "favourable"),
    *_t("opinion", "scheduled", "unfavourable", "commission", "unfavourable"),
    *_t("opinion", "scheduled", "adjourned", "commission", "adjourned"),
    # the commission corrects its opinion before the decision (audited, with a reason)
    *[t for outcome in OPINIONS for t in _t("correct_opinion", OPINIONS, outcome, "commission", outcome)],
    *_t("improve", "adjourned", "ready_for_commission", DEPOSITOR),
    *_t("return_to_commission", "adjourned", "ready_for_commission", SYSTEM),
    # decision
    *_t("register", "favourable", "awaiting_publication", "director"),
    # the registration is published in the Journal officiel: staff record it
    *_t("publish", "awaiting_publication", "registered", "director"),
    *_t("refuse", ("favourable", "unfavourable"), "refused", "director"),
    # ends at any time
    *_t("withdraw_admissibility", AFTER_ADMISSIBILITY, "admissibility_withdrawn", "director"),
    *_t("withdraw", BEFORE_DECISION, "withdrawn", DEPOSITOR),
    # sanctions (arrêté du 4 janvier 2019, art. 5)
    *_t("suspend", SUSPENDABLE, "suspended", "reviewer director"),
    *[t for s in SUSPENDABLE for t in _t("resume", "suspended", s, DEPOSITOR, s)],
    *_t("declare_inadmissible", BEFORE_DECISION, "inadmissible_by_right", "director"),
]

_BY_KEY: dict[tuple[str, str, str | None], Transition] = {}
for _tr in TRANSITIONS:
    if _tr.target == "__same__":
        _tr = Transition(_tr.action, _tr.source, _tr.source, _tr.roles, _tr.outcome)
    assert _tr.source in CASE_STATUSES and _tr.target in CASE_STATUSES, _tr
    assert _tr.key not in _BY_KEY, f"duplicate transition {_tr.key}"
    _BY_KEY[_tr.key] = _tr
TRANSITIONS = list(_BY_KEY.values())
ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in TRANSITIONS))


class IllegalTransition(Conflict):
    """The action is not possible in the case's state (409 naming the state)."""

    def __init__(self, action: str, state: str) -> None:
        label = STATE_LABELS.get(state, state)
        super().__init__(
            f"Cette action n'est pas possible : le dossier est à l'état « {label} ».",
            code="illegal_transition",
            state=state,
            action=action,
        )
        self.action = action
        self.state = state


class RoleNotAllowed(Forbidden):
    """The action is someone else's, whatever the state (403)."""

    def __init__(self, action: str, roles: frozenset[str]) -> None:
        super().__init__(f"Action réservée aux rôles : {', '.join(sorted(roles))}.")
        self.action = action
        self.roles = roles


def case_status(value: str) -> CaseStatus:
    """A state read from the database, as the contracts' type."""
    if value not in CASE_STATUSES:
        raise ValueError(f"unknown case status {value!r}")
    return cast(CaseStatus, value)


OpinionKind = Literal["favourable", "unfavourable", "adjourned"]


def opinion(value: str) -> OpinionKind:
    """An opinion read from the database, as the contracts' type."""
    if value not in OPINIONS:
        raise ValueError(f"unknown opinion {value!r}")
    return cast(OpinionKind, value)


def roles_for(action: str) -> frozenset[str]:
    """Every role that may make ``action`` in some state."""
    found: set[str] = set()
    for t in TRANSITIONS:
        if t.action == action:
            found |= t.roles
    if not found:
        raise KeyError(action)
    return frozenset(found)


def transition(action: str, state: str, roles: frozenset[str] | set[str], outcome: str | None = None) -> Transition:
    """The transition ``action`` makes from ``state`` for someone holding ``roles``.

    Role first (403 whatever the state), then the state (409).
    """
    allowed = roles_for(action)
    if not allowed & set(roles):
        raise RoleNotAllowed(action, allowed)
    found = _BY_KEY.get((action, state, outcome))
    if found is None or not found.roles & set(roles):
        raise IllegalTransition(action, state)
    return found


def allowed_actions(state: str, roles: frozenset[str] | set[str]) -> list[str]:
    """What someone holding ``roles`` may do now (for the back office's buttons)."""
    return sorted({t.action for t in TRANSITIONS if t.source == state and t.roles & set(roles)})


# What the depositor may change in each state (status_changed.editable_items).
EVERYTHING: tuple[str, ...] = (*FILING_FIELDS, *DOC_TYPES)
ANSWER = "answer"


def editable_items(state: str, *, missing: list[str] | None = None, requested: list[str] | None = None) -> list[str]:
    if state == "incomplete":
        return list(dict.fromkeys(missing or []))
    if state in ("inadmissible", "adjourned"):
        return list(EVERYTHING)
    if state in ("awaiting_complement", "suspended"):
        return [*dict.fromkeys(requested or []), ANSWER]
    return []


BANNERS: dict[str, str] = {
    "received": "Votre demande a été reçue par France compétences. Son contrôle va commencer.",
    "incomplete": "Votre demande est incomplète : complétez les éléments demandés puis soumettez-la de nouveau.",
    "completeness_ok": "Votre demande est complète. Sa recevabilité est en cours d'examen.",
    "inadmissible": ("Votre demande n'est pas recevable. Tenez compte des modifications recommandées, puis soumettez-la de nouveau."),
    "admissible": "Votre demande est recevable. Elle va être confiée à un instructeur.",
    "under_instruction": "Votre demande est en cours d'instruction.",
    "awaiting_complement": "France compétences vous demande des compléments : répondez avant la date limite.",
    "ready_for_commission": "L'instruction de votre demande est terminée. Elle sera examinée par la commission.",
    "scheduled": "Votre demande est inscrite à l'ordre du jour d'une séance de la commission.",
    "favourable": "La commission a rendu un avis favorable. La décision du directeur général suivra.",
    "unfavourable": "La commission a rendu un avis défavorable. La décision du directeur général suivra.",
    "adjourned": (
        "La commission a ajourné l'examen de votre demande. Déposez un dossier amélioré avant la date limite ; "
        "à défaut, il sera présenté de nouveau en l'état."
    ),
    "awaiting_publication": (
        "Le directeur général a décidé l'enregistrement de votre certification. Elle sera enregistrée à la publication "
        "de la décision au Journal officiel, à sa date d'effet."
    ),
    "suspended": (
        "Votre demande est suspendue : des informations sont erronées ou incomplètes. Transmettez les éléments demandés ; "
        "l'examen reprendra à leur réception."
    ),
    "inadmissible_by_right": (
        "Votre demande est irrecevable de plein droit en raison d'une fausse déclaration "
        "(article 5 de l'arrêté du 4 janvier 2019). Elle ne peut pas être soumise de nouveau."
    ),
    "registered": "Votre certification est enregistrée. La décision et la fiche publique sont disponibles.",
    "refused": "L'enregistrement de votre certification est refusé. La décision motivée vous a été notifiée.",
    "abandoned": "Faute de réponse dans le délai, votre demande a été déclarée abandonnée.",
    "admissibility_withdrawn": "La recevabilité de votre demande a été retirée.",
    "withdrawn": "Vous avez retiré votre demande.",
}
assert set(BANNERS) == set(CASE_STATUSES)

STATE_LABELS: dict[str, str] = {
    "received": "Reçue",
    "incomplete": "Incomplète",
    "completeness_ok": "Complète",
    "inadmissible": "Irrecevable",
    "admissible": "Recevable",
    "under_instruction": "En instruction",
    "awaiting_complement": "En attente de compléments",
    "ready_for_commission": "Prête pour la commission",
    "scheduled": "Inscrite en commission",
    "favourable": "Avis favorable",
    "unfavourable": "Avis défavorable",
    "adjourned": "Ajournée",
    "awaiting_publication": "En attente de publication au JO",
    "suspended": "Suspendue",
    "inadmissible_by_right": "Irrecevable de plein droit",
    "registered": "Enregistrée",
    "refused": "Refusée",
    "abandoned": "Abandonnée",
    "admissibility_withdrawn": "Recevabilité retirée",
    "withdrawn": "Retirée",
}
assert set(STATE_LABELS) == set(CASE_STATUSES)
