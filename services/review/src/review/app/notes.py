"""The staff's own writing on a case: private annotations, the instruction report and
external opinions. None of it ever reaches the depositor's side: the routes are for case
staff only, nothing is put in the case's timeline (which the depositor reads) and no
event is emitted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import col, select

from certreg_runtime.auth import Principal
from certreg_runtime.errors import conflict, field_error, invalid, not_found
from review.adapters.tables import CaseNote
from review.api.schemas import ExternalAnswerIn, ExternalOpinionIn, NoteIn
from review.app.deps import ReviewDeps
from review.app.transitions import visible_case
from review.domain.actor import CASE_STAFF_ROLES

ANNOTATION = "annotation"
REPORT = "report"
EXTERNAL_OPINION = "external_opinion"


def _role(user: Principal) -> str:
    return sorted(set(user.roles) & set(CASE_STAFF_ROLES))[0]


def _check_body(text: str, name: str = "body") -> None:
    if not text.strip():
        raise invalid(field_error(name, "Le texte est vide.", "missing"))


def _add(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, kind: str, body: str, expert: str | None = None) -> CaseNote:
    _check_body(body, "question" if kind == EXTERNAL_OPINION else "body")
    with deps.uow() as uow:
        case = visible_case(uow, user, filing_id)
        note = CaseNote(
            filing_id=case.filing_id,
            kind=kind,
            body=body,
            author_id=user.account_id,
            author_role=_role(user),
            author_name=user.name or "",
            created_at=deps.clock.now(),
            expert=expert,
        )
        uow.session.add(note)
        uow.commit()
        uow.session.refresh(note)
        return note


def _list(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, kind: str) -> list[CaseNote]:
    """Newest first."""
    with deps.uow() as uow:
        case = visible_case(uow, user, filing_id)
        return list(
            uow.session.exec(
                select(CaseNote)
                .where(CaseNote.filing_id == case.filing_id, CaseNote.kind == kind)
                .order_by(col(CaseNote.created_at).desc(), col(CaseNote.id))
            ).all()
        )


def annotate(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: NoteIn) -> CaseNote:
    return _add(deps, user, filing_id, ANNOTATION, body.body)


def list_annotations(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID) -> list[CaseNote]:
    return _list(deps, user, filing_id, ANNOTATION)


@dataclass(frozen=True)
class Report:
    current: CaseNote | None
    versions: list[CaseNote]


def write_report(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: NoteIn) -> Report:
    """A new version of the instruction report; the older ones stay readable."""
    _add(deps, user, filing_id, REPORT, body.body)
    return report(deps, user, filing_id)


def report(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID) -> Report:
    versions = _list(deps, user, filing_id, REPORT)
    return Report(versions[0] if versions else None, versions)


def ask_external_opinion(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: ExternalOpinionIn) -> CaseNote:
    return _add(deps, user, filing_id, EXTERNAL_OPINION, body.question, expert=body.expert)


def external_opinions(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID) -> list[CaseNote]:
    return _list(deps, user, filing_id, EXTERNAL_OPINION)


def record_external_answer(
    deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, opinion_id: uuid.UUID, body: ExternalAnswerIn
) -> CaseNote:
    """The expert's answer, once: a second one is refused (409) so none is overwritten."""
    _check_body(body.answer, "answer")
    with deps.uow() as uow:
        case = visible_case(uow, user, filing_id)
        note = uow.session.exec(
            select(CaseNote)
            .where(CaseNote.id == opinion_id, CaseNote.filing_id == case.filing_id, CaseNote.kind == EXTERNAL_OPINION)
            .with_for_update()
        ).first()
        if note is None:
            raise not_found("Avis extérieur introuvable sur ce dossier.")
        if note.answer is not None:
            raise conflict("L’avis de cet expert est déjà enregistré.", "external_opinion_answered")
        note.answer = body.answer
        note.answered_at = deps.clock.now()
        note.answered_by = user.account_id
        uow.session.add(note)
        uow.commit()
        uow.session.refresh(note)
        return note
