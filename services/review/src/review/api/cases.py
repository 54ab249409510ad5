"""Back-office and depositor routes of the procedure: cases, requests, sessions,
opinions, decisions, dialogue."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from certreg_contracts.events.review import Reason, RequestItem
from certreg_contracts.types import CASE_STATUSES, REPERTOIRES
from certreg_runtime.api import CtxDep, CurrentUser, UowDep, roles
from certreg_runtime.auth import Principal
from certreg_runtime.errors import conflict, field_error, forbidden, invalid, not_found
from certreg_runtime.messaging import UnitOfWork
from review import cases, queries
from review.adapters.tables import AgendaItem, Case, CommissionSession, Decision, InfoRequest, Message, Opinion
from review.domain import procedure, rules

CASE_STAFF = cases.STAFF_CASE_ROLES
Staff = roles(*CASE_STAFF)
Reviewer = roles("reviewer")
Assigner = roles("reviewer", "director")
Instructor = roles("instructor")
Director = roles("director")
Commission = roles("commission")


# ---------------------------------------------------------------- bodies


class CompletenessIn(BaseModel):
    complete: bool
    missing: list[str] = Field(default_factory=list, max_length=60)
    message: str = Field(default="", max_length=5000)
    due_date: date | None = None


class AdmissibilityIn(BaseModel):
    admissible: bool
    reasons: str | None = Field(default=None, max_length=5000)
    recommendations: str | None = Field(default=None, max_length=10000)


class AssignmentIn(BaseModel):
    instructor_id: uuid.UUID


class RequestIn(BaseModel):
    items: list[RequestItem] = Field(min_length=1, max_length=50)
    message: str = Field(max_length=5000)
    due_date: date


class AbandonIn(BaseModel):
    reason: str | None = Field(default=None, max_length=5000)


class ReasonIn(BaseModel):
    reason: str = Field(max_length=5000)


class SessionIn(BaseModel):
    date: date


class AgendaIn(BaseModel):
    filing_id: uuid.UUID


class OpinionIn(BaseModel):
    filing_id: uuid.UUID
    opinion: Literal["favourable", "unfavourable", "adjourned"]
    reasons: list[Reason] = Field(default_factory=list, max_length=30)
    resubmission_due: date | None = None


class DecisionIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    register_: bool = Field(alias="register")
    motivation: str = Field(max_length=20000)
    years: int | None = None


class MessageIn(BaseModel):
    body: str = Field(max_length=10000)
    subject: str | None = Field(default=None, max_length=200)
    document_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


# ---------------------------------------------------------------- helpers


@contextmanager
def procedure_errors() -> Iterator[None]:
    """The state machine's refusals as HTTP: wrong role 403, wrong state 409."""
    try:
        yield
    except procedure.RoleNotAllowed as exc:
        raise forbidden(f"Action réservée aux rôles : {', '.join(sorted(exc.roles))}.") from None
    except procedure.IllegalTransition as exc:
        label = procedure.STATE_LABELS.get(exc.state, exc.state)
        raise conflict(
            f"Cette action n'est pas possible : le dossier est à l'état « {label} ».",
            code="illegal_transition",
            state=exc.state,
            action=exc.action,
        ) from None


def may_see(user: Principal, case: Case) -> bool:
    if user.has_any(*CASE_STAFF):
        return True
    return user.has_any(*cases.DEPOSITOR_ROLES) and user.entity_id is not None and user.entity_id == case.entity_id


def load_case(uow: UnitOfWork, filing_id: uuid.UUID, *, lock: bool = True) -> Case:
    case = cases.get_case(uow.session, filing_id, lock=lock)
    if case is None:
        raise not_found("case")
    return case


def visible_case(uow: UnitOfWork, user: Principal, filing_id: uuid.UUID, *, lock: bool = False) -> Case:
    if not user.has_any(*CASE_STAFF, *cases.DEPOSITOR_ROLES):
        raise forbidden("Accès réservé aux agents de France compétences et au déposant.")
    case = cases.get_case(uow.session, filing_id, lock=lock)
    if case is None or not may_see(user, case):
        raise not_found("case")
    return case


def request_view(r: InfoRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "items": r.items,
        "message": r.message,
        "due_date": r.due_date,
        "status": r.status,
        "overdue": r.overdue,
        "opened_at": r.opened_at,
        "opened_by": r.opened_by,
        "closed_at": r.closed_at,
    }


def opinion_view(o: Opinion, session_date: date | None) -> dict[str, Any]:
    return {
        "session_id": o.session_id,
        "session_date": session_date,
        "opinion": o.opinion,
        "reasons": o.reasons,
        "resubmission_due": o.resubmission_due,
        "given_at": o.given_at,
    }


def decision_view(d: Decision) -> dict[str, Any]:
    view: dict[str, Any] = {
        "kind": d.kind,
        "motivation": d.motivation,
        "reasons": d.reasons,
        "decision_date": d.decision_date,
        "notified_at": d.notified_at,
        "acknowledged_at": d.acknowledged_at,
    }
    if d.kind == "registered":
        view.update(
            registration_number=d.registration_number,
            years=d.years,
            registration_start=d.registration_start,
            registration_end=d.registration_end,
        )
    else:
        view.update(appeal_deadline=d.appeal_deadline, appeal_court=d.appeal_court, gracious_appeal=False)
    return view


def case_summary(row: dict[str, Any] | Case) -> dict[str, Any]:
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    status = get("status")
    return {
        "filing_id": get("filing_id"),
        "entity_id": get("entity_id"),
        "repertoire": get("repertoire"),
        "title": get("title"),
        "qualification_level": get("qualification_level"),
        "status": status,
        "status_label": procedure.STATE_LABELS[status],
        "overdue": get("overdue"),
        "due_date": get("due_date"),
        "assignee_id": get("assignee_id"),
        "session_id": get("session_id"),
        "registration_number": get("registration_number"),
        "submission_round": get("submission_round"),
        "opened_at": get("opened_at"),
        "updated_at": get("updated_at"),
    }


def case_view(session: Session, case: Case, user: Principal) -> dict[str, Any]:
    staff = user.has_any(*CASE_STAFF)
    view = case_summary(case)
    if not staff:
        view.pop("assignee_id")
    view["missing"] = case.missing or []
    view["is_cqp"] = case.is_cqp
    view["banner"] = procedure.BANNERS[case.status]
    sess = session.get(CommissionSession, case.session_id) if case.session_id else None
    view["session"] = {"id": sess.id, "date": sess.date} if sess else None
    requests = session.exec(
        select(InfoRequest).where(InfoRequest.filing_id == case.filing_id).order_by(InfoRequest.opened_at)  # type: ignore[arg-type]
    ).all()
    view["requests"] = [request_view(r) for r in requests]
    view["open_requests"] = [request_view(r) for r in requests if r.status == "open"]
    opinion = cases.latest_opinion(session, case.filing_id)
    if opinion:
        osess = session.get(CommissionSession, opinion.session_id)
        view["opinion"] = opinion_view(opinion, osess.date if osess else None)
    else:
        view["opinion"] = None
    decision = session.get(Decision, case.filing_id)
    view["decision"] = decision_view(decision) if decision else None
    view["timeline"] = [
        {
            "seq": e.seq,
            "at": e.at,
            "actor_role": e.actor_role,
            "actor_name": e.actor_name,
            **({"actor_id": e.actor_id} if staff else {}),
            "action": e.action,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "reason": e.reason,
            "details": cases.details_of(e),
        }
        for e in cases.timeline(session, case.filing_id)
    ]
    if staff:
        view["allowed_actions"] = procedure.allowed_actions(case.status, user.roles)
        view["criteria"] = rules.CRITERIA[case.repertoire]
    return view


def parse_filters(
    user: Principal, status: str | None, assignee: str | None, repertoire: str | None, overdue: bool | None, q: str | None
) -> queries.CaseFilters:
    errors = []
    statuses: tuple[str, ...] = ()
    if status:
        statuses = tuple(s.strip() for s in status.split(",") if s.strip())
        unknown = [s for s in statuses if s not in CASE_STATUSES]
        if unknown:
            errors.append(field_error("status", f"État inconnu : {', '.join(unknown)}.", "unknown_status", where="query"))
    assignee_id: uuid.UUID | None = None
    unassigned = False
    if assignee:
        if assignee == "me":
            assignee_id = user.account_id
        elif assignee == "none":
            unassigned = True
        else:
            try:
                assignee_id = uuid.UUID(assignee)
            except ValueError:
                errors.append(field_error("assignee", "Attendu : un identifiant de compte, « me » ou « none ».", "uuid", where="query"))
    if repertoire and repertoire not in REPERTOIRES:
        errors.append(field_error("repertoire", "Répertoire inconnu (rncp ou rs).", "unknown_repertoire", where="query"))
    if q and len(q) > 200:
        errors.append(field_error("q", "Recherche trop longue (200 caractères au plus).", "too_long", where="query"))
    if errors:
        raise invalid(*errors)
    return queries.CaseFilters(
        status=statuses, assignee=assignee_id, unassigned=unassigned, repertoire=repertoire or None, overdue=overdue, q=q
    )


def _csv_cell(value: Any) -> str:
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    # No formula injection when the file is opened in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_COLUMNS = (
    "filing_id",
    "registration_number",
    "repertoire",
    "title",
    "qualification_level",
    "status",
    "overdue",
    "due_date",
    "assignee_id",
    "entity_id",
    "submission_round",
    "opened_at",
    "updated_at",
)


# ---------------------------------------------------------------- routes


def router() -> APIRouter:
    api = APIRouter(tags=["review"])

    @api.get("/cases")
    def list_cases(
        user: Staff,
        uow: UowDep,
        status: str | None = None,
        assignee: str | None = None,
        repertoire: str | None = None,
        overdue: bool | None = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        filters = parse_filters(user, status, assignee, repertoire, overdue, q)
        rows, total = queries.list_cases(uow.session, filters, limit=limit, offset=offset)
        return {"items": [case_summary(r) for r in rows], "total": total, "limit": limit, "offset": offset}

    @api.get("/cases.csv")
    def export_cases(
        user: Staff,
        ctx: CtxDep,
        status: str | None = None,
        assignee: str | None = None,
        repertoire: str | None = None,
        overdue: bool | None = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
    ) -> StreamingResponse:
        filters = parse_filters(user, status, assignee, repertoire, overdue, q)

        def rows() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(CSV_COLUMNS)
            with Session(ctx.engine) as session:
                for n, row in enumerate(queries.iter_cases(session, filters), 1):
                    writer.writerow([_csv_cell(row.get(c)) for c in CSV_COLUMNS])
                    if n % 500 == 0:
                        yield buffer.getvalue()
                        buffer.seek(0)
                        buffer.truncate()
            yield buffer.getvalue()

        return StreamingResponse(
            rows(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="dossiers.csv"'},
        )

    @api.get("/cases/{filing_id}")
    def get_case(filing_id: uuid.UUID, user: CurrentUser, uow: UowDep) -> dict[str, Any]:
        case = visible_case(uow, user, filing_id)
        return case_view(uow.session, case, user)

    def _done(uow: UnitOfWork, case: Case, user: Principal) -> dict[str, Any]:
        uow.commit()
        return case_view(uow.session, case, user)

    @api.post("/cases/{filing_id}/completeness")
    def completeness(filing_id: uuid.UUID, body: CompletenessIn, user: Reviewer, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        case = load_case(uow, filing_id)
        with procedure_errors():
            cases.check_completeness(
                uow,
                case,
                cases.Actor.of(user, "completeness"),
                ctx.clock.now(),
                complete=body.complete,
                missing=body.missing,
                message=body.message,
                due_date=body.due_date,
            )
        return _done(uow, case, user)

    @api.post("/cases/{filing_id}/admissibility")
    def admissibility(filing_id: uuid.UUID, body: AdmissibilityIn, user: Reviewer, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        case = load_case(uow, filing_id)
        with procedure_errors():
            cases.decide_admissibility(
                uow,
                case,
                cases.Actor.of(user, "admissibility"),
                ctx.clock.now(),
                admissible=body.admissible,
                reasons=body.reasons,
                recommendations=body.recommendations,
            )
        return _done(uow, case, user)

    @api.post("/cases/{filing_id}/assignment")
    def assignment(filing_id: uuid.UUID, body: AssignmentIn, user: Assigner, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        case = load_case(uow, filing_id)
        with procedure_errors():
            cases.assign(uow, case, cases.Actor.of(user, "assign"), ctx.clock.now(), body.instructor_id)
        return _done(uow, case, user)

    @api.post("/cases/{filing_id}/requests", status_code=201)
    def open_request(filing_id: uuid.UUID, body: RequestIn, user: Instructor, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        case = load_case(uow, filing_id)
        cases.check_assignee(case, user)
        with procedure_errors():
            request = cases.open_request(
                uow,
                case,
                cases.Actor.of(user, "request"),
                ctx.clock.now(),
                items=body.items,
                message=body.message,
                due_date=body.due_date,
            )
        uow.commit()
        return request_view(request)

    @api.post("/cases/{filing_id}/abandon")
    def abandon(filing_id: uuid.UUID, user: Director, ctx: CtxDep, uow: UowDep, body: AbandonIn | None = None) -> dict[str, Any]:
        case = load_case(uow, filing_id)
        with procedure_errors():
            cases.abandon(uow, case, cases.Actor.of(user, "abandon"), ctx.clock.now(), body.reason if body else None)
        return _done(uow, case, user)

    @api.post("/cases/{filing_id}/withdraw-admissibility")
    def withdraw_admissibility(filing_id: uuid.UUID, body: ReasonIn, user: Director, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        case = load_case(uow, filing_id)
        with procedure_errors():
            cases.withdraw_admissibility(uow, case, cases.Actor.of(user, "withdraw_admissibility"), ctx.clock.now(), body.reason)
        return _done(uow, case, user)

    @api.post("/cases/{filing_id}/ready")
    def ready(filing_id: uuid.UUID, user: Instructor, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        case = load_case(uow, filing_id)
        cases.check_assignee(case, user)
        with procedure_errors():
            cases.mark_ready(uow, case, cases.Actor.of(user, "ready"), ctx.clock.now())
        return _done(uow, case, user)

    @api.post("/cases/{filing_id}/decision")
    def decision(filing_id: uuid.UUID, body: DecisionIn, user: Director, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        case = load_case(uow, filing_id)
        with procedure_errors():
            made = cases.decide(
                uow,
                case,
                cases.Actor.of(user, "register" if body.register_ else "refuse"),
                ctx.clock.now(),
                register=body.register_,
                motivation=body.motivation,
                years=body.years,
            )
        uow.commit()
        return {"filing_id": case.filing_id, "status": case.status, **decision_view(made)}

    @api.post("/cases/{filing_id}/acknowledge")
    def acknowledge(filing_id: uuid.UUID, user: CurrentUser, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        if not user.has_any(*cases.DEPOSITOR_ROLES):
            raise forbidden("Seul le déposant accuse réception de la décision.")
        case = visible_case(uow, user, filing_id, lock=True)
        made = cases.acknowledge(uow, case, cases.Actor.of(user), ctx.clock.now())
        uow.commit()
        return {"filing_id": case.filing_id, "acknowledged_at": made.acknowledged_at}

    # ------------------------------------------------------------ commission

    def session_view(session: Session, s: CommissionSession) -> dict[str, Any]:
        count = len(session.exec(select(AgendaItem.filing_id).where(AgendaItem.session_id == s.id)).all())
        return {"id": s.id, "date": s.date, "created_at": s.created_at, "agenda_count": count}

    @api.post("/sessions", status_code=201)
    def create_session(body: SessionIn, user: Commission, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        made = cases.create_session(uow, cases.Actor.of(user), ctx.clock.now(), body.date)
        uow.commit()
        return session_view(uow.session, made)

    @api.get("/sessions")
    def list_sessions(
        user: Staff,
        ctx: CtxDep,
        uow: UowDep,
        upcoming: bool = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        query = select(CommissionSession)
        if upcoming:
            query = query.where(CommissionSession.date >= rules.local_today(ctx.clock.now()))
        rows = uow.session.exec(query.order_by(CommissionSession.date).limit(limit).offset(offset)).all()  # type: ignore[arg-type]
        return {"items": [session_view(uow.session, s) for s in rows], "limit": limit, "offset": offset}

    def load_session(uow: UnitOfWork, session_id: uuid.UUID) -> CommissionSession:
        found = uow.session.get(CommissionSession, session_id)
        if found is None:
            raise not_found("session")
        return found

    @api.get("/sessions/{session_id}/agenda")
    def agenda(session_id: uuid.UUID, user: Staff, uow: UowDep) -> dict[str, Any]:
        sess = load_session(uow, session_id)
        items = uow.session.exec(select(AgendaItem).where(AgendaItem.session_id == sess.id).order_by(AgendaItem.added_at)).all()  # type: ignore[arg-type]
        out = []
        for item in items:
            case = uow.session.get(Case, item.filing_id)
            opinion = uow.session.exec(select(Opinion).where(Opinion.session_id == sess.id, Opinion.filing_id == item.filing_id)).first()
            if case is not None:
                out.append(
                    {**case_summary(case), "added_at": item.added_at, "opinion": opinion_view(opinion, sess.date) if opinion else None}
                )
        return {"session": session_view(uow.session, sess), "items": out}

    @api.post("/sessions/{session_id}/agenda", status_code=201)
    def add_to_agenda(session_id: uuid.UUID, body: AgendaIn, user: Commission, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        sess = load_session(uow, session_id)
        case = load_case(uow, body.filing_id)
        with procedure_errors():
            cases.schedule(uow, case, cases.Actor.of(user, "schedule"), ctx.clock.now(), sess)
        return _done(uow, case, user)

    @api.post("/sessions/{session_id}/opinions", status_code=201)
    def give_opinion(session_id: uuid.UUID, body: OpinionIn, user: Commission, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        sess = load_session(uow, session_id)
        case = load_case(uow, body.filing_id)
        with procedure_errors():
            made = cases.give_opinion(
                uow,
                case,
                cases.Actor.of(user, "opinion"),
                ctx.clock.now(),
                sess,
                opinion=body.opinion,
                reasons=body.reasons,
                resubmission_due=body.resubmission_due,
            )
        uow.commit()
        return {"filing_id": case.filing_id, "status": case.status, **opinion_view(made, sess.date)}

    @api.get("/criteria")
    def criteria(user: CurrentUser) -> dict[str, Any]:
        return {"criteria": rules.CRITERIA}

    # ------------------------------------------------------------ dialogue

    def message_view(m: Message, staff: bool) -> dict[str, Any]:
        view = {
            "id": m.id,
            "author_side": m.author_side,
            "author_role": m.author_role,
            "author_name": m.author_name,
            "subject": m.subject,
            "body": m.body,
            "document_ids": m.document_ids,
            "posted_at": m.posted_at,
        }
        if staff:
            view["author_id"] = m.author_id
        return view

    @api.get("/cases/{filing_id}/messages")
    def messages(
        filing_id: uuid.UUID,
        user: CurrentUser,
        uow: UowDep,
        limit: Annotated[int, Query(ge=1, le=500)] = 200,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        case = visible_case(uow, user, filing_id)
        rows = uow.session.exec(
            select(Message).where(Message.filing_id == case.filing_id).order_by(Message.posted_at).limit(limit).offset(offset)  # type: ignore[arg-type]
        ).all()
        staff = user.has_any(*CASE_STAFF)
        return {"items": [message_view(m, staff) for m in rows], "limit": limit, "offset": offset}

    @api.post("/cases/{filing_id}/messages", status_code=201)
    def post_message(filing_id: uuid.UUID, body: MessageIn, user: CurrentUser, ctx: CtxDep, uow: UowDep) -> dict[str, Any]:
        case = visible_case(uow, user, filing_id, lock=True)
        made = cases.post_message(uow, case, user, ctx.clock.now(), body=body.body, subject=body.subject, document_ids=body.document_ids)
        uow.commit()
        return message_view(made, user.has_any(*CASE_STAFF))

    return api
