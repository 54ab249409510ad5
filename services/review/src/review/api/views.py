"""Rows and read models as the API shows them, by who asks (the depositor does not see
who is assigned or which account did what)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from certreg_contracts import legal_dates
from certreg_contracts.calendar import paris_date
from certreg_reference import nomenclature
from certreg_runtime.auth import Principal
from review.adapters.tables import (
    Case,
    CommissionSession,
    Decision,
    InfoRequest,
    Message,
    Opinion,
    RegistryChange,
    RegistryPartner,
    RegistryRecord,
)
from review.api.schemas import (
    AcknowledgedOut,
    AgendaEntryOut,
    AgendaOut,
    AppealOut,
    CaseOut,
    CaseSummaryOut,
    CertifierOut,
    DecisionMadeOut,
    DecisionOut,
    FrameworksOut,
    LatePartnerOut,
    LegalDateOut,
    MessageOut,
    OpinionGivenOut,
    OpinionOut,
    PartnerChangeOut,
    PartnerOut,
    RecommendationOut,
    RecordOut,
    RecordSummaryOut,
    RegistryChangeOut,
    RenewalChangeOut,
    RenewalOut,
    RequestOut,
    SessionOut,
    SessionRefOut,
    TimelineEntryOut,
)
from review.app.commission import OpinionGiven
from review.app.decisions import DecisionMade
from review.app.partners import LatePartner, PartnerChange
from review.app.queries import LIST_FIELDS, Agenda, CaseDetail, SessionSummary
from review.app.renewals import Renewal
from review.domain import procedure, rules
from review.domain.actor import is_case_staff
from review.domain.audit import parse_details
from review.domain.partners import SCOPE_LABELS


def _summary_fields(row: Mapping[str, Any] | Case, today: date | None = None) -> dict[str, Any]:
    if isinstance(row, Case):
        fields = {k: getattr(row, k) for k in LIST_FIELDS}
    else:
        fields = {k: row[k] for k in LIST_FIELDS}
        fields.update(siret=row.get("siret"), assignee_name=row.get("assignee_name") or None)
    deposited = paris_date(fields["opened_at"])
    return {
        **fields,
        "status_label": procedure.STATE_LABELS[fields["status"]],
        "deposited_on": deposited,
        "days_since_deposit": None if today is None else max(0, (today - deposited).days),
    }


SUMMARY_KEYS = tuple(CaseSummaryOut.model_fields)


def case_summary_fields(row: Mapping[str, Any], today: date) -> dict[str, Any]:
    """A line of the case list (a row of ``queries.list_cases``) as ``CaseSummaryOut``'s
    content in its fields' order; ``today`` is the Paris day the days since the deposit are
    counted to. For ``json_answer``: the list sends the same JSON without building, dumping
    and validating a model per line (issue 16)."""
    fields = _summary_fields(row, today)
    return {key: fields[key] for key in SUMMARY_KEYS}


# What the depositor's side sees of a timeline entry's details: the procedure's facts,
# never who in France compétences did what (an account id: the instructor assigned, the
# author of a request). A key not listed here is staff-only.
DEPOSITOR_DETAILS = frozenset(
    {
        "missing",
        "ground",
        "recommendations",
        "request_id",
        "due_date",
        "previous_due",
        "message_id",
        "attachments",
        "submission_round",
        "session_id",
        "session_date",
        "opinion",
        "resubmission_due",
        "registration_number",
        "years",
        "registration_end",
        "registration_start",
        "jo_date",
        "jo_reference",
        "appeal_deadline",
        "appeal_court",
        "notified_on",
    }
)


def request_out(r: InfoRequest, *, staff: bool) -> RequestOut:
    return RequestOut(
        id=r.id,
        kind=r.kind,
        items=r.items,
        message=r.message,
        due_date=r.due_date,
        due_explanation=r.due_explanation,
        status=r.status,
        overdue=r.overdue,
        opened_at=r.opened_at,
        **({"opened_by": r.opened_by} if staff else {}),
        closed_at=r.closed_at,
    )


def _details(raw: str | None, *, staff: bool) -> dict[str, Any]:
    details = parse_details(raw)
    return details if staff else {k: v for k, v in details.items() if k in DEPOSITOR_DETAILS}


def _opinion_fields(o: Opinion, session_date: date | None) -> dict[str, Any]:
    return {
        "session_id": o.session_id,
        "session_date": session_date,
        "opinion": o.opinion,
        "reasons": o.reasons,
        "resubmission_due": o.resubmission_due,
        "given_at": o.given_at,
    }


def opinion_out(o: Opinion, session_date: date | None) -> OpinionOut:
    return OpinionOut(**_opinion_fields(o, session_date))


def _legal(day: legal_dates.LegalDate | None) -> LegalDateOut | None:
    return LegalDateOut(date=day.day, text=day.text, explanation=day.explanation) if day else None


def _decision_fields(d: Decision) -> dict[str, Any]:
    appeal = rules.appeal_of(d.made_available_at, d.first_consulted_at, d.notified_on)
    fields: dict[str, Any] = {
        "kind": d.kind,
        "motivation": d.motivation,
        "reasons": d.reasons,
        "decision_date": d.decision_date,
        "made_available_at": d.made_available_at,
        "first_consulted_at": d.first_consulted_at,
        "notified_on": d.notified_on,
        "notification": _legal(appeal.notification),
        "acknowledged_at": d.acknowledged_at,
    }
    if d.kind == "registered":
        fields.update(
            registration_number=d.registration_number,
            years=d.years,
            registration_start=d.registration_start,
            registration_end=d.registration_end,
            jo_date=d.jo_date,
            jo_reference=d.jo_reference,
            effective_date=d.effective_date,
        )
    else:
        fields.update(
            appeal_deadline=d.appeal_deadline,
            appeal_court=d.appeal_court,
            gracious_appeal=False,
            hierarchical_appeal=False,
            appeal=AppealOut(
                court=d.appeal_court,
                wording=appeal.wording,
                fixed=appeal.fixed,
                last_day=_legal(appeal.last_day),
                explanation=appeal.explanation,
            ),
        )
    return fields


def decision_out(d: Decision) -> DecisionOut:
    return DecisionOut(**_decision_fields(d))


def decision_made(made: DecisionMade) -> DecisionMadeOut:
    return DecisionMadeOut(filing_id=made.case.filing_id, status=made.case.status, **_decision_fields(made.decision))


def acknowledged(made: DecisionMade) -> AcknowledgedOut:
    return AcknowledgedOut(filing_id=made.case.filing_id, acknowledged_at=made.decision.acknowledged_at)


def opinion_given(given: OpinionGiven) -> OpinionGivenOut:
    return OpinionGivenOut(filing_id=given.case.filing_id, status=given.case.status, **_opinion_fields(given.opinion, given.session_date))


def _session_ref(s: CommissionSession | None) -> SessionRefOut | None:
    return SessionRefOut(id=s.id, date=s.date) if s else None


def case_out(detail: CaseDetail, user: Principal) -> CaseOut:
    """The case's page: its state, requests, opinion, decision and timeline; the staff also
    get what they may do now and the criteria of its repertoire."""
    case = detail.case
    staff = is_case_staff(user)
    fields = _summary_fields(case)
    if not staff:
        del fields["assignee_id"]
    timeline = [
        TimelineEntryOut(
            seq=e.seq,
            at=e.at,
            actor_role=e.actor_role,
            actor_name=e.actor_name,
            **({"actor_id": e.actor_id} if staff else {}),
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            reason=e.reason,
            details=_details(e.details, staff=staff),
        )
        for e in detail.timeline
    ]
    requests = [request_out(r, staff=staff) for r in detail.requests]
    in_force = rules.criteria_in_force(case.repertoire, case.opened_at)  # on the first submission
    staff_only: dict[str, Any] = (
        {
            "allowed_actions": detail.allowed_actions(user.roles),
            "criteria": in_force.headings(),
            "submitted_by": case.submitted_by,
        }
        if staff
        else {}
    )
    return CaseOut(
        **fields,
        by_right_basis=case.by_right_basis,
        missing=case.missing or [],
        is_cqp=case.is_cqp,
        banner=procedure.banner_of(case.status, case.registration_type),
        session=_session_ref(detail.session),
        requests=requests,
        open_requests=[r for r, row in zip(requests, detail.requests, strict=True) if row.status == "open"],
        opinion=opinion_out(detail.opinion, detail.opinion_session_date) if detail.opinion else None,
        decision=decision_out(detail.decision) if detail.decision else None,
        timeline=timeline,
        renewal=renewal_out(detail.renewal, detail.today) if detail.renewal and detail.today else None,
        **staff_only,
    )


def renewal_out(r: Renewal, today: date) -> RenewalOut:
    return RenewalOut(
        renews=r.renews,
        former=record_summary(r.former, today) if r.former else None,
        changes=[RenewalChangeOut(**vars(c)) for c in r.changes],
        recommendations=[RecommendationOut(**vars(x)) for x in r.recommendations],
        recommendations_follow_up=r.follow_up,
    )


def session_out(s: SessionSummary) -> SessionOut:
    return SessionOut(id=s.session.id, date=s.session.date, created_at=s.session.created_at, agenda_count=s.agenda_count)


def agenda_out(agenda: Agenda) -> AgendaOut:
    day = agenda.session.session.date
    return AgendaOut(
        session=session_out(agenda.session),
        items=[
            AgendaEntryOut(
                **_summary_fields(e.case),
                added_at=e.added_at,
                opinion=opinion_out(e.opinion, day) if e.opinion else None,
                criteria=rules.criteria_in_force(e.case.repertoire, e.case.opened_at).headings(),
            )
            for e in agenda.entries
        ],
    )


def message_out(m: Message, user: Principal) -> MessageOut:
    staff_only = {"author_id": m.author_id} if is_case_staff(user) else {}
    return MessageOut(
        id=m.id,
        author_side=m.author_side,
        author_role=m.author_role,
        author_name=m.author_name,
        subject=m.subject,
        body=m.body,
        document_ids=m.document_ids,
        posted_at=m.posted_at,
        **staff_only,
    )


def _record_fields(r: RegistryRecord, today: date) -> dict[str, Any]:
    """The record as the registry shows it on ``today`` (past its end date: ``expired``)."""
    return {
        "number": r.number,
        "repertoire": r.repertoire,
        "title": r.title,
        "qualification_level": r.qualification_level,
        "is_cqp": r.is_cqp,
        "certifier": CertifierOut(entity_id=r.entity_id, siret=r.certifier_siret, name=r.certifier_name),
        "decision_date": r.decision_date,
        "registration_start": r.registration_start,
        "registration_end": r.registration_end,
        "status": rules.record_state(r.status, r.registration_start, r.registration_end, today),
        "jo_date": r.jo_date,
        "jo_reference": r.jo_reference,
        "renews": r.renews,
        "renewed_by": r.renewed_by,
    }


def record_summary(r: RegistryRecord, today: date) -> RecordSummaryOut:
    return RecordSummaryOut(**_record_fields(r, today))


def record_out(r: RegistryRecord, today: date) -> RecordOut:
    return RecordOut(
        **_record_fields(r, today),
        summary=r.summary,
        frameworks=FrameworksOut(
            activities=r.activities,
            competences=r.competences,
            competence_blocks=r.competence_blocks,
            assessment_methods=r.assessment_methods,
        ),
        published_at=r.published_at,
        partners=[partner_out(p) for p in r.partners or []],
        fiche=fiche_out(r.fiche or {}),
    )


def fiche_out(fiche: dict[str, Any]) -> dict[str, Any]:
    """The published fiche with its codes' labels (certreg_reference)."""
    labelled: dict[str, Any] = dict(fiche)
    for name in ("nsf", "rome"):
        known = nomenclature(name)
        labelled[name] = [
            {"code": code, "label": entry.label if (entry := known.get(code)) else ""} for code in fiche.get(f"{name}_codes") or []
        ]
    return labelled


def partner_out(p: Any) -> PartnerOut:
    """A partner from the record's published copy (a dict) or the ledger's row."""
    values = p if isinstance(p, dict) else partner_fields(p)
    return PartnerOut(
        **values,
        scope_label=SCOPE_LABELS.get(values["scope"], values["scope"]),
        state="removed" if values.get("until") else "active",
    )


def partner_fields(p: RegistryPartner) -> dict[str, Any]:
    return {
        "siret": p.siret,
        "name": p.name,
        "scope": p.scope,
        "since": p.since,
        "until": p.until,
        "declared_at": p.declared_at,
        "removal_declared_at": p.removal_declared_at,
    }


def partner_change(change: PartnerChange) -> PartnerChangeOut:
    p = change.partner
    days = p.removal_days_late if p.until else p.days_late
    return PartnerChangeOut(number=change.record.number, partner=partner_out(p), late=days > 0, days_late=days)


def late_partner(item: LatePartner) -> LatePartnerOut:
    p = item.partner
    return LatePartnerOut(
        number=p.number,
        title=item.title,
        filing_id=item.filing_id,
        partner=partner_out(p),
        days_late=p.days_late,
        removal_days_late=p.removal_days_late,
    )


def change_out(c: RegistryChange) -> RegistryChangeOut:
    assert c.seq is not None
    return RegistryChangeOut(seq=c.seq, number=c.number, kind=c.kind, status=c.status, occurred_at=c.occurred_at)
