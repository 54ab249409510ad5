"""The procedure as data: the states of a case, the transitions between them and who
may make each one. Code, API and tests read this one table.

Two paths share the table (``tracks``): a registration *on request* (L.6113-5 II, L.6113-6:
admissibility, instruction, the commission's opinion, the decision) and a registration *by
right* (the State's diplomas and titles of L.6113-5 I, the State's habilitations of
L.6113-6): completeness, then the director general's registration decision, with no
admissibility by criteria, no instruction report and no commission opinion. Nor a refusal
against the criteria: R. 6113-9 examines the RNCP requests « au titre du II de l'article
L. 6113-5 » (the text quoted in ``legi_criteria.json``), not the diplomas of its I.

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

# The case's path, from the fiche's ``registration_type`` (filings.filing.submitted).
Track = Literal["on_request", "by_right"]
TRACKS: tuple[Track, ...] = ("on_request", "by_right")
ON_REQUEST: tuple[Track, ...] = ("on_request",)
BY_RIGHT: tuple[Track, ...] = ("by_right",)

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
    tracks: frozenset[str] = frozenset(TRACKS)  # the paths it belongs to

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.action, self.source, self.outcome)


def _t(
    action: str,
    sources: str | tuple[str, ...],
    target: str,
    roles: str,
    outcome: str | None = None,
    tracks: tuple[Track, ...] = TRACKS,
) -> list[Transition]:
    sources = (sources,) if isinstance(sources, str) else sources
    return [Transition(action, s, target, frozenset(roles.split()), outcome, frozenset(tracks)) for s in sources]


def _on_request(transitions: list[Transition]) -> list[Transition]:
    """Steps of the registration on request only (a registration by right skips them)."""
    return [Transition(t.action, t.source, t.target, t.roles, t.outcome, frozenset(ON_REQUEST)) for t in transitions]


TRANSITIONS: list[Transition] = [
    # formal control (both paths: a registration by right is checked for completeness too)
    *_t("completeness", "received", "incomplete", "reviewer", "incomplete"),
    *_t("completeness", "received", "completeness_ok", "reviewer", "complete"),
    *_t("resubmit", "incomplete", "received", DEPOSITOR),
    *_on_request(
        [
            *_t("admissibility", "completeness_ok", "inadmissible", "reviewer", "inadmissible"),
            *_t("admissibility", "completeness_ok", "admissible", "reviewer", "admissible"),
            *_t("resubmit", "inadmissible", "received", DEPOSITOR),
            # instruction
            *_t("assign", "admissible", "under_instruction", "reviewer director"),
            *_t("assign", ("under_instruction", "awaiting_complement"), "__same__", "reviewer director"),
            *_t("request", "under_instruction", "awaiting_complement", "instructor"),
            *_t("answer", "awaiting_complement", "under_instruction", DEPOSITOR),
            *_t("ready", "under_instruction", "ready_for_commission", "instructor"),
            *_t("abandon", "awaiting_complement", "abandoned", "director"),
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
            # decision after the commission's opinion
            *_t("register", "favourable", "awaiting_publication", "director"),
            *_t("refuse", ("favourable", "unfavourable"), "refused", "director"),
            *_t("withdraw_admissibility", AFTER_ADMISSIBILITY, "admissibility_withdrawn", "director"),
        ]
    ),
    # a registration by right: the complete dossier goes straight to the director general's
    # registration decision (no admissibility by criteria, no instruction, no commission)
    *_t("register", "completeness_ok", "awaiting_publication", "director", tracks=BY_RIGHT),
    *_t("abandon", "incomplete", "abandoned", "director"),
    # the registration is published in the Journal officiel: staff record it
    *_t("publish", "awaiting_publication", "registered", "director"),
    # ends at any time
    *_t("withdraw", BEFORE_DECISION, "withdrawn", DEPOSITOR),
    # sanctions (arrêté du 4 janvier 2019, art. 5)
    *_t("suspend", SUSPENDABLE, "suspended", "reviewer director"),
    *[t for s in SUSPENDABLE for t in _t("resume", "suspended", s, DEPOSITOR, s)],
    *_t("declare_inadmissible", BEFORE_DECISION, "inadmissible_by_right", "director"),
]

_BY_KEY: dict[tuple[str, str, str | None], Transition] = {}
for _tr in TRANSITIONS:
    if _tr.target == "__same__":
        _tr = Transition(_tr.action, _tr.source, _tr.source, _tr.roles, _tr.outcome, _tr.tracks)
    assert _tr.source in CASE_STATUSES and _tr.target in CASE_STATUSES, _tr
    assert _tr.key not in _BY_KEY, f"duplicate transition {_tr.key}"
    _BY_KEY[_tr.key] = _tr
TRANSITIONS = list(_BY_KEY.values())
ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in TRANSITIONS))
# What each path may ever do (an action outside its path is refused whatever the state).
TRACK_ACTIONS: dict[str, frozenset[str]] = {track: frozenset(t.action for t in TRANSITIONS if track in t.tracks) for track in TRACKS}


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


class NotOnTrack(IllegalTransition):
    """The action belongs to the other path: a registration by right has no admissibility
    by criteria, no instruction and no commission (409 saying so)."""

    def __init__(self, action: str, state: str, track: str) -> None:
        if track == "by_right":
            what = ACTION_LABELS.get(action, action)
            detail = (
                f"Enregistrement de droit (article L.6113-5 I ou L.6113-6 du code du travail) : {what} ne s'applique pas. "
                "Le dossier complet passe directement à la décision d'enregistrement du directeur général, sans avis de la commission."
            )
        else:
            detail = "Cette action est réservée aux enregistrements de droit ; cette demande est un enregistrement sur demande."
        Conflict.__init__(self, detail, code="by_right_path" if track == "by_right" else "on_request_path", state=state, action=action)
        self.action = action
        self.state = state
        self.track = track


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


def track_of(value: str | None) -> Track:
    """A case's path read from the database (``None``: a case opened before paths existed)."""
    return "by_right" if value == "by_right" else "on_request"


def transition(
    action: str, state: str, roles: frozenset[str] | set[str], outcome: str | None = None, *, track: str = "on_request"
) -> Transition:
    """The transition ``action`` makes from ``state`` for someone holding ``roles`` on a case
    of path ``track``.

    Role first (403 whatever the state), then the path (409 ``by_right_path``), then the state (409).
    """
    allowed = roles_for(action)
    if not allowed & set(roles):
        raise RoleNotAllowed(action, allowed)
    if action not in TRACK_ACTIONS[track_of(track)]:
        raise NotOnTrack(action, state, track_of(track))
    found = _BY_KEY.get((action, state, outcome))
    if found is None or track_of(track) not in found.tracks or not found.roles & set(roles):
        raise IllegalTransition(action, state)
    return found


def allowed_actions(state: str, roles: frozenset[str] | set[str], track: str = "on_request") -> list[str]:
    """What someone holding ``roles`` may do now on a case of path ``track`` (the back office's buttons)."""
    path = track_of(track)
    return sorted({t.action for t in TRANSITIONS if t.source == state and path in t.tracks and t.roles & set(roles)})


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


# What a case by right says instead, where its path differs.
BY_RIGHT_BANNERS: dict[str, str] = {
    "received": "Votre demande d'enregistrement de droit a été reçue par France compétences. Sa complétude va être contrôlée.",
    "completeness_ok": (
        "Votre demande d'enregistrement de droit est complète. Elle passe à la décision d'enregistrement "
        "du directeur général, sans examen par la commission."
    ),
}


def banner_of(state: str, track: str = "on_request") -> str:
    """The depositor's banner for ``state`` on the case's path."""
    if track_of(track) == "by_right" and state in BY_RIGHT_BANNERS:
        return BY_RIGHT_BANNERS[state]
    return BANNERS[state]


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

# The actions as their refusal names them (« … ne s'applique pas »).
ACTION_LABELS: dict[str, str] = {
    "admissibility": "l'examen de la recevabilité au regard des critères",
    "assign": "la désignation d'un instructeur",
    "request": "la demande de compléments d'instruction",
    "answer": "la réponse à une demande d'instruction",
    "ready": "la fin de l'instruction",
    "schedule": "l'inscription à l'ordre du jour d'une séance de la commission",
    "reschedule": "l'inscription à l'ordre du jour d'une séance de la commission",
    "opinion": "l'avis de la commission",
    "correct_opinion": "la correction de l'avis de la commission",
    "improve": "le dépôt d'un dossier amélioré après ajournement",
    "return_to_commission": "le retour en commission",
    "refuse": "le refus au regard des critères d'enregistrement",
    "withdraw_admissibility": "le retrait de la recevabilité",
}
