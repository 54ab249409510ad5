"""The staff's own writing on a case: private annotations, the instruction report and
external opinions, whose answer may bring the expert's report (a file kept in review's
own bucket). None of it ever reaches the depositor's side: the routes are for case staff
only, nothing is put in the case's timeline (which the depositor reads) and no event is
emitted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certreg_runtime.auth import Principal
from certreg_runtime.downloads import Download
from certreg_runtime.errors import conflict, field_error, forbidden, invalid, not_found
from certreg_runtime.storage import store_then_record
from certreg_runtime.uploads import ReceivedFile, check_dossier_quota, stored_filename
from review.adapters.tables import CaseNote
from review.api.schemas import ExternalAnswerIn, ExternalOpinionIn, NoteIn
from review.app.deps import ReviewDeps
from review.app.transitions import visible_case
from review.domain.actor import CASE_STAFF_ROLES, is_case_staff

ANNOTATION = "annotation"
REPORT = "report"
EXTERNAL_OPINION = "external_opinion"
# The bucket purpose the experts' reports are kept in (``certreg-review-documents``).
BUCKET = "documents"


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


def _opinion(session: Session, filing_id: uuid.UUID, opinion_id: uuid.UUID, *, lock: bool = False) -> CaseNote:
    """The case's external opinion still awaiting its answer: 404 for another case's, 409
    once answered (an answer is never overwritten)."""
    query = select(CaseNote).where(CaseNote.id == opinion_id, CaseNote.filing_id == filing_id, CaseNote.kind == EXTERNAL_OPINION)
    note = session.exec(query.with_for_update() if lock else query).first()
    if note is None:
        raise not_found("Avis extérieur introuvable sur ce dossier.")
    if note.answer is not None:
        raise conflict("L’avis de cet expert est déjà enregistré.", "external_opinion_answered")
    return note


def _stored_bytes(session: Session, filing_id: uuid.UUID) -> int:
    """What the experts' reports of a case hold in storage together."""
    total = session.exec(select(sa.func.sum(CaseNote.answer_size)).where(CaseNote.filing_id == filing_id)).one()
    return int(total or 0)


def check_answerable(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, opinion_id: uuid.UUID) -> None:
    """Everything that can be refused before the expert's report is read."""
    with deps.uow() as uow:
        case = visible_case(uow, user, filing_id)
        _opinion(uow.session, case.filing_id, opinion_id)


def record_external_answer(
    deps: ReviewDeps,
    user: Principal,
    filing_id: uuid.UUID,
    opinion_id: uuid.UUID,
    body: ExternalAnswerIn,
    received: ReceivedFile | None = None,
) -> CaseNote:
    """The expert's answer, once: a second one is refused (409) so none is overwritten.
    With ``received`` (the expert's report), the object is stored first, then the row
    (under the opinion's lock, checked again); if the row cannot be written the object
    goes too, so a failed upload leaves nothing."""
    _check_body(body.answer, "answer")
    key = f"{filing_id}/{opinion_id}/{uuid.uuid4()}"
    if received is not None:
        with deps.uow() as uow:
            check_dossier_quota(_stored_bytes(uow.session, filing_id), received.size, deps.settings.max_dossier_bytes)

    def record() -> CaseNote:
        with deps.uow() as uow:
            case = visible_case(uow, user, filing_id)
            note = _opinion(uow.session, case.filing_id, opinion_id, lock=True)
            note.answer = body.answer
            note.answered_at = deps.clock.now()
            note.answered_by = user.account_id
            if received is not None:
                check_dossier_quota(_stored_bytes(uow.session, case.filing_id), received.size, deps.settings.max_dossier_bytes)
                note.answer_object_key = key
                note.answer_filename = received.filename
                note.answer_content_type = received.content_type
                note.answer_size = received.size
                note.answer_sha256 = received.sha256
            uow.session.add(note)
            uow.commit()
            uow.session.refresh(note)
            return note

    if received is None:
        return record()
    return store_then_record(deps.storage, deps.bucket(BUCKET), key, received.path, received.content_type, record)


def external_document(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, opinion_id: uuid.UUID) -> Download:
    """The expert's report filed with an external opinion's answer: case staff only (the
    commission with the dossier), never the depositor's side, whatever the route says."""
    if not is_case_staff(user):
        raise forbidden("Réservé aux agents de France compétences.")
    with deps.uow() as uow:
        case = visible_case(uow, user, filing_id)
        note = uow.session.exec(
            select(CaseNote).where(CaseNote.id == opinion_id, CaseNote.filing_id == case.filing_id, CaseNote.kind == EXTERNAL_OPINION)
        ).first()
    if note is None or not note.answer_object_key or not note.answer_content_type:
        raise not_found("Aucun rapport d’expert n’est joint à cet avis.")
    name = stored_filename(note.answer_filename, note.answer_content_type)
    return Download(
        name, note.answer_size or 0, note.answer_content_type, deps.storage.iter_chunks(deps.bucket(BUCKET), note.answer_object_key)
    )
