"""The read side, and who may read what: a depositor reads their own entity's filings,
staff read every filing. Another entity's filing is "not found" (never say it exists)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certreg_contracts.calendar import paris_date
from certreg_contracts.types import PUBLIC_ROLES
from certreg_runtime.auth import Principal
from certreg_runtime.downloads import Download
from certreg_runtime.errors import NotFound, forbidden, not_found
from certreg_runtime.service import Deps
from certreg_runtime.uploads import stored_filename
from filings.adapters.tables import Document, Filing, Receipt
from filings.api.schemas import FilingQuery
from filings.domain import rules
from filings.domain.changes import Change, changes, described


@dataclass(frozen=True)
class FilingRecord:
    """A filing with its current pieces (checklist order), as of ``dated.today`` in Paris;
    ``dated`` says on which day each dated piece is judged."""

    filing: Filing
    documents: list[Document]
    dated: rules.DatedReference


@dataclass(frozen=True)
class FilingList:
    """One page of the list: each filing's ``SUMMARY_COLUMNS`` only (a row, not an ORM object)."""

    filings: list[sa.Row[Any]]
    total: int
    limit: int
    offset: int


# What a line of the list shows (views.summary_fields), and nothing more: the list never
# reads the description's JSON columns (the blocks, the fiche, the open request) nor
# builds ORM objects (issue 16: they were most of the list's own CPU). Of the fiche, only
# its registration type (the by-right labels), extracted by the database.
SUMMARY_COLUMNS: tuple[Any, ...] = (
    col(Filing.id),
    col(Filing.reference),
    col(Filing.entity_id),
    col(Filing.repertoire),
    col(Filing.title),
    col(Filing.qualification_level),
    col(Filing.is_cqp),
    col(Filing.status),
    col(Filing.case_status),
    col(Filing.submission_round),
    col(Filing.due_date),
    col(Filing.due_explanation),
    col(Filing.created_at),
    col(Filing.updated_at),
    col(Filing.submitted_at),
    col(Filing.fiche)["registration_type"].as_string().label("registration_type"),
)


@dataclass(frozen=True)
class PieceHistory:
    """Every version of one piece (one per ``support_letter``), newest first."""

    doc_type: str
    versions: list[Document]

    @property
    def current(self) -> Document | None:
        return next((d for d in self.versions if d.is_current), None)


# --------------------------------------------------------------------------- access


def entity_of(user: Principal) -> uuid.UUID:
    if user.entity_id is None:
        raise forbidden("Votre compte n'est rattaché à aucune entité.")
    return user.entity_id


def check_reader(user: Principal) -> None:
    if not (user.is_staff or (user.has_any(*PUBLIC_ROLES) and user.entity_id is not None)):
        raise forbidden("Accès réservé aux déposants d'une entité et aux agents de France compétences.")


def filing_not_found() -> NotFound:
    return not_found("Dossier introuvable.")


def load_filing(session: Session, filing_id: uuid.UUID, user: Principal, *, write: bool = False, lock: bool = False) -> Filing:
    """The filing if ``user`` may see it (write: only its own entity's), else 404."""
    stmt = select(Filing).where(Filing.id == filing_id)
    if lock:
        stmt = stmt.with_for_update()
    filing = session.exec(stmt).first()
    if filing is None:
        raise filing_not_found()
    if write:
        if filing.entity_id != entity_of(user):
            raise filing_not_found()
    elif not user.may_see_entity(filing.entity_id):
        raise filing_not_found()
    return filing


def current_documents(session: Session, filing_id: uuid.UUID) -> list[Document]:
    """The version in force of each piece, in checklist order."""
    order = {t: i for i, t in enumerate(rules.CATALOGUE)}
    docs = session.exec(
        select(Document).where(Document.filing_id == filing_id, col(Document.superseded_at).is_(None), col(Document.removed_at).is_(None))
    ).all()
    return sorted(docs, key=lambda d: (order.get(d.doc_type, 99), d.aware("uploaded_at")))


def dated_reference(session: Session, filing: Filing, now: dt.datetime) -> rules.DatedReference:
    """The days the filing's dated pieces are judged on: each submission round's day (its
    proof of submission's), today, and the pieces review asks for anew."""
    rounds = session.exec(select(Receipt.submission_round, Receipt.created_at).where(Receipt.filing_id == filing.id)).all()
    request_items = (filing.open_request or {}).get("items") or []
    return rules.DatedReference(
        today=paris_date(now),
        round_days={number: paris_date(at) for number, at in rounds},
        asked=rules.asked_anew(filing.editable_items or [], request_items),
    )


def record_of(session: Session, filing: Filing, now: dt.datetime) -> FilingRecord:
    return FilingRecord(filing, current_documents(session, filing.id), dated_reference(session, filing, now))


# --------------------------------------------------------------------------- queries


def list_filings(deps: Deps, user: Principal, query: FilingQuery) -> FilingList:
    """A depositor's entity's filings, or every filing for staff; newest change first."""
    check_reader(user)
    conditions: list[sa.ColumnElement[bool]] = []
    if not user.is_staff:
        conditions.append(col(Filing.entity_id) == entity_of(user))
    if query.status:
        conditions.append(sa.or_(col(Filing.status) == query.status, col(Filing.case_status) == query.status))
    if query.repertoire:
        conditions.append(col(Filing.repertoire) == query.repertoire)
    if query.q and query.q.strip():
        conditions.append(sa.func.lower(Filing.title).contains(query.q.strip().lower(), autoescape=True))
    with deps.reads() as uow:
        total = uow.session.exec(select(sa.func.count()).select_from(Filing).where(*conditions)).one()
        rows = uow.session.execute(
            sa.select(*SUMMARY_COLUMNS)
            .where(*conditions)
            .order_by(col(Filing.updated_at).desc(), col(Filing.id).desc())  # ix_filings_entity_updated, backwards
            .offset(query.offset)
            .limit(query.limit)
        ).all()
        return FilingList(list(rows), total, query.limit, query.offset)


def get_filing(deps: Deps, user: Principal, filing_id: uuid.UUID) -> FilingRecord:
    check_reader(user)
    with deps.reads() as uow:
        return record_of(uow.session, load_filing(uow.session, filing_id, user), deps.clock.now())


def list_documents(deps: Deps, user: Principal, filing_id: uuid.UUID) -> list[PieceHistory]:
    """Every piece with its versions, in checklist order (then by first upload)."""
    check_reader(user)
    with deps.uow() as uow:
        filing = load_filing(uow.session, filing_id, user)
        docs = uow.session.exec(select(Document).where(Document.filing_id == filing.id)).all()
    pieces: dict[str, list[Document]] = {}
    for doc in docs:
        multiple = rules.CATALOGUE.get(doc.doc_type, rules.Kind("")).multiple
        pieces.setdefault(f"{doc.doc_type}:{doc.id}" if multiple else doc.doc_type, []).append(doc)
    order = {t: i for i, t in enumerate(rules.CATALOGUE)}
    histories = [
        PieceHistory(versions[0].doc_type, sorted(versions, key=lambda d: d.version, reverse=True)) for versions in pieces.values()
    ]
    return sorted(histories, key=lambda p: (order.get(p.doc_type, 99), p.versions[-1].aware("uploaded_at")))


def document_download(deps: Deps, user: Principal, filing_id: uuid.UUID, document_id: uuid.UUID) -> Download:
    check_reader(user)
    with deps.uow() as uow:
        filing = load_filing(uow.session, filing_id, user)
        doc = uow.session.exec(select(Document).where(Document.id == document_id, Document.filing_id == filing.id)).first()
    if doc is None:
        raise not_found("Document introuvable.")
    name = stored_filename(doc.filename, doc.content_type)
    return Download(name, doc.size, doc.content_type, deps.storage.iter_chunks(deps.bucket("documents"), doc.object_key))


def list_receipts(deps: Deps, user: Principal, filing_id: uuid.UUID) -> list[Receipt]:
    """The proofs of submission, one per submission round."""
    check_reader(user)
    with deps.uow() as uow:
        filing = load_filing(uow.session, filing_id, user)
        return list(uow.session.exec(select(Receipt).where(Receipt.filing_id == filing.id).order_by(col(Receipt.submission_round))).all())


def receipt_download(deps: Deps, user: Principal, filing_id: uuid.UUID, receipt_id: uuid.UUID) -> Download:
    check_reader(user)
    with deps.uow() as uow:
        filing = load_filing(uow.session, filing_id, user)
        receipt = uow.session.exec(select(Receipt).where(Receipt.id == receipt_id, Receipt.filing_id == filing.id)).first()
    if receipt is None:
        raise not_found("Accusé de dépôt introuvable.")
    return Download(
        receipt_filename(receipt), receipt.size, "application/pdf", deps.storage.iter_chunks(deps.bucket("receipts"), receipt.object_key)
    )


def receipt_filename(receipt: Receipt) -> str:
    return f"accuse-depot-{str(receipt.filing_id)[:8]}-{receipt.submission_round}.pdf"


@dataclass(frozen=True)
class RoundChanges:
    """What changed from round ``from_round`` to round ``to_round`` (None: the description as
    it stands now, not submitted yet); ``comparable`` is False when either side was submitted
    before descriptions were kept with the rounds."""

    from_round: int | None
    to_round: int | None
    comparable: bool
    changes: list[Change]


def round_changes(deps: Deps, user: Principal, filing_id: uuid.UUID, to_round: int | None, current: bool) -> RoundChanges:
    """A round against the one before it (default: the last round), or with ``current`` the
    description as it stands against the last round submitted."""
    check_reader(user)
    with deps.uow() as uow:
        filing = load_filing(uow.session, filing_id, user)
        rounds = {r.submission_round: r.described for r in uow.session.exec(select(Receipt).where(Receipt.filing_id == filing.id))}
        now = described(filing)
    last = max(rounds, default=None)
    if current:
        if last is None:
            return RoundChanges(None, None, True, [])
        before = rounds[last]
        return RoundChanges(last, None, before is not None, changes(before, now) if before is not None else [])
    target = to_round if to_round is not None else last
    if target is None or target not in rounds:
        raise not_found("Aucun dépôt de ce numéro pour ce dossier.")
    previous = target - 1 if target - 1 in rounds else None
    if previous is None:
        return RoundChanges(None, target, True, [])
    a, b = rounds[previous], rounds[target]
    if a is None or b is None:
        return RoundChanges(previous, target, False, [])
    return RoundChanges(previous, target, True, changes(a, b))
