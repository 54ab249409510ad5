"""The director general's decision: registration (a number, a period, the public record)
or a motivated refusal (the appeal deadline and court); the depositor's acknowledgement."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from certreg_contracts import Event, legal_dates
from certreg_contracts.calendar import paris_date
from certreg_contracts.events import review as ev
from certreg_contracts.types import PUBLIC_ROLES
from certreg_runtime.auth import Principal
from certreg_runtime.errors import conflict, field_error, forbidden, invalid
from certreg_runtime.messaging import UnitOfWork
from review.adapters import audit_log, certifiers, numbers, registry_feed
from review.adapters.tables import Case, Decision, RegistryRecord, search_text
from review.api.schemas import DecisionIn, PublicationIn
from review.app import renewals
from review.app.deps import ReviewDeps
from review.app.queries import latest_opinion
from review.app.transitions import case_fields, load_case, move, visible_case
from review.domain import procedure, rules
from review.domain.actor import Actor


@dataclass(frozen=True)
class DecisionMade:
    case: Case
    decision: Decision


def decide(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: DecisionIn) -> DecisionMade:
    now = deps.clock.now()
    with deps.uow() as uow:
        case = load_case(uow, filing_id)
        actor = Actor.of(user, "register" if body.register_ else "refuse")
        decision = record_decision(
            uow,
            case,
            actor,
            now,
            register=body.register_,
            motivation=body.motivation,
            years=body.years,
            appeal_court=deps.config.appeal_court,
            number_start=deps.config.number_start(case.repertoire),
        )
        uow.commit()
        return DecisionMade(case, decision)


def record_decision(
    uow: UnitOfWork,
    case: Case,
    actor: Actor,
    now: datetime,
    *,
    register: bool,
    motivation: str,
    years: int | None,
    appeal_court: str,
    number_start: int,
) -> Decision:
    """The decision on a case held under its row lock: registered (number, period, public
    record named after its certifier) or refused (with the commission's reasons)."""
    if not motivation.strip():
        raise invalid(field_error("motivation", "La décision doit être motivée.", "missing"))
    if years is not None and not register:
        raise invalid(field_error("years", "Une durée ne se donne qu'avec un enregistrement.", "not_allowed"))
    years = rules.DEFAULT_REGISTRATION_YEARS if years is None else years
    if register and not 1 <= years <= rules.MAX_REGISTRATION_YEARS:
        raise invalid(field_error("years", f"La durée d'enregistrement va de 1 à {rules.MAX_REGISTRATION_YEARS} ans.", "range"))
    action = "register" if register else "refuse"
    procedure.transition(action, case.status, actor.roles, track=case.registration_type)
    today = paris_date(now)
    opinion = latest_opinion(uow.session, case.filing_id)
    reasons = [
        ev.Reason(**{**r, "label": rules.criterion_label(case.repertoire, r["criterion"], case.opened_at)})
        for r in (opinion.reasons if opinion else [])
    ]
    decision = Decision(
        filing_id=case.filing_id,
        kind="registered" if register else "refused",
        motivation=motivation,
        reasons=[r.model_dump(exclude={"label"}) for r in reasons],
        decision_date=today,
        decided_by=actor.account_id,
        made_available_at=now,
    )
    outcome: Event | None = None
    if register:
        # The number is given now; the registration takes effect once the decision is
        # published in the Journal officiel (``record_publication``): the case waits for it.
        number = rules.format_number(case.repertoire, numbers.next_number(uow.session, case.repertoire, number_start))
        case.registration_number = number
        case.search = certifiers.search_of(uow.session, case)
        decision.years, decision.registration_number = years, number
        details = {"registration_number": number, "years": years}
        extra = f"Numéro d'enregistrement : {number}."
    else:
        # The appeal runs from the notification, not from the decision: its day is
        # fixed when the depositor's side first consults it, or 15 days after (``notify``).
        decision.appeal_court = appeal_court
        details = {"appeal_court": appeal_court}
        extra = f"Recours contentieux possible devant le {appeal_court} {legal_dates.APPEAL_PENDING_WORDING}."
        outcome = ev.CaseRefused(
            **case_fields(case),
            motivation=motivation,
            reasons=reasons,
            decision_date=today,
            made_available_at=now,
            appeal_court=appeal_court,
            decided_by=actor.account_id,
        )
    uow.session.add(decision)
    move(uow, case, action, actor, now, reason=motivation, details=details, banner_extra=extra)
    if outcome is not None:
        uow.emit(outcome)
    return decision


@dataclass(frozen=True)
class Published:
    case: Case
    decision: Decision


def record_publication(deps: ReviewDeps, user: Principal, filing_ids: list[uuid.UUID], body: PublicationIn) -> list[Published]:
    """Staff record the Journal officiel's publication of registration decisions (one, or a
    list published together): every case moves to ``registered`` with its JO date and
    reference, its period starting on the effective date, its public record (active from
    that date) and its letter (``review.case.registered``) — all or none."""
    now = deps.clock.now()
    errors = []
    if body.jo_date > paris_date(now):
        errors.append(field_error("jo_date", "La date de publication au Journal officiel ne peut pas être à venir.", "future"))
    if body.effective_date < body.jo_date:
        errors.append(
            field_error("effective_date", "La date d'effet ne peut pas précéder la publication au Journal officiel.", "before_jo")
        )
    if not filing_ids:
        errors.append(field_error("filing_ids", "Indiquez au moins une décision publiée.", "missing"))
    if errors:
        raise invalid(*errors)
    done = []
    with deps.uow() as uow:
        for filing_id in sorted(set(filing_ids)):  # one lock order: concurrent lists cannot deadlock
            case = load_case(uow, filing_id)
            done.append(Published(case, publish_case(uow, case, Actor.of(user, "publish"), now, body)))
        uow.commit()
    return done


def publish_case(uow: UnitOfWork, case: Case, actor: Actor, now: datetime, body: PublicationIn) -> Decision:
    """One case's publication, the case held under its row lock."""
    procedure.transition("publish", case.status, actor.roles, track=case.registration_type)
    decision = uow.session.get(Decision, case.filing_id)
    if decision is None or decision.registration_number is None or decision.years is None:
        raise conflict("Aucune décision d'enregistrement à publier.", code="no_decision", state=case.status)
    start = body.effective_date
    end = rules.registration_end(start, decision.years)
    decision.jo_date, decision.jo_reference, decision.effective_date = body.jo_date, body.jo_reference, start
    decision.registration_start, decision.registration_end = start, end
    uow.session.add(decision)
    _publish(uow, case, decision, now)
    move(
        uow,
        case,
        "publish",
        actor,
        now,
        reason=f"Décision publiée au Journal officiel du {rules.fr_date(body.jo_date)} ({body.jo_reference}).",
        details={
            "registration_number": decision.registration_number,
            "jo_date": body.jo_date.isoformat(),
            "jo_reference": body.jo_reference,
            "registration_start": start.isoformat(),
            "registration_end": end.isoformat(),
        },
        banner_extra=f"Journal officiel du {rules.fr_date(body.jo_date)}, {body.jo_reference} ; "
        f"enregistrement à compter du {rules.fr_date(start)}.",
    )
    uow.emit(
        ev.CaseRegistered(
            **case_fields(case),
            registration_number=decision.registration_number,
            decision_date=decision.decision_date,
            registration_start=start,
            registration_end=end,
            motivation=decision.motivation,
            decided_by=decision.decided_by,
            jo_reference=body.jo_reference,
            jo_date=body.jo_date,
        )
    )
    return decision


def _publish(uow: UnitOfWork, case: Case, decision: Decision, now: datetime) -> None:
    """The public record (the fiche) with the frameworks submitted, active from the
    decision's effective date, with its Journal officiel reference."""
    number = decision.registration_number
    assert number is not None and decision.registration_start is not None and decision.registration_end is not None
    value = int(number[len(rules.NUMBER_PREFIX[case.repertoire]) :])
    snap = case.snapshot or {}
    record = RegistryRecord(
        number=number,
        repertoire=case.repertoire,
        sequence_value=value,
        filing_id=case.filing_id,
        title=case.title,
        search=search_text(case.title, number),
        qualification_level=case.qualification_level,
        is_cqp=case.is_cqp,
        entity_id=case.entity_id,
        summary=case.summary,
        decision_date=decision.decision_date,
        registration_start=decision.registration_start,
        registration_end=decision.registration_end,
        jo_date=decision.jo_date,
        jo_reference=decision.jo_reference,
        activities=snap.get("activities", []),
        competences=snap.get("competences", []),
        competence_blocks=snap.get("competence_blocks", []),
        assessment_methods=snap.get("assessment_methods", []),
        # the path the case followed is what the record says (the fiche of a later round
        # cannot turn a registration after the commission into one by right)
        fiche=certifiers.co_certifiers(
            uow.session,
            {**(snap.get("fiche") or {}), "registration_type": case.registration_type, "by_right_basis": case.by_right_basis},
        ),
        published_at=now,
        updated_at=now,
    )
    certifiers.name_record(uow.session, record)
    # A renewal's record is linked to the registration it renews, both ways (issue 14).
    former = renewals.link(uow.session, record, case.renews)
    # Its NSF and ROME codes, for the registry's filters (its access routes are in its search
    # entry: registry_feed.search_entry), before record_change, which writes the record's filter
    # columns in every code row.
    for kind in ("nsf", "rome"):
        for code in sorted(set(snap.get(f"{kind}_codes", []))):
            uow.session.add(registry_feed.code_row(record, kind, code))
    registry_feed.record_change(uow.session, record, "renewed" if former is not None else "registered", now)
    if former is not None:
        registry_feed.record_change(uow.session, former, "updated", now)


def acknowledge(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID) -> DecisionMade:
    """The depositor acknowledges the notified decision (once; again is no change). It
    is a consultation too: the first one notifies the decision."""
    if not user.has_any(*PUBLIC_ROLES):
        raise forbidden("Seul le déposant accuse réception de la décision.")
    now = deps.clock.now()
    with deps.uow() as uow:
        case = visible_case(uow, user, filing_id, lock=True)
        decision = uow.session.get(Decision, case.filing_id)
        if decision is None:
            raise conflict("Aucune décision n'a encore été notifiée.", code="no_decision", state=case.status)
        _consulted(uow, case, decision, Actor.of(user), now)
        if decision.acknowledged_at is None:
            decision.acknowledged_at = now
            decision.acknowledged_by = user.account_id
            uow.session.add(decision)
            audit_log.append(uow.session, case.filing_id, now, Actor.of(user), "acknowledge", reason=None)
        uow.commit()
        return DecisionMade(case, decision)


def consult(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID) -> None:
    """The depositor's side opens a case whose decision is made: its first consultation
    is recorded, and notifies the decision when that is still to come (DESIGN.md, step 3).
    Staff reading a case notify nothing."""
    if not user.has_any(*PUBLIC_ROLES) or user.is_staff:
        return
    with deps.uow() as uow:
        case = visible_case(uow, user, filing_id)
        decision = uow.session.get(Decision, case.filing_id)
        if decision is None or decision.first_consulted_at is not None:
            return  # nothing to record: no lock taken for the usual read
        case = load_case(uow, filing_id)
        uow.session.refresh(decision)
        if decision.first_consulted_at is None:
            _consulted(uow, case, decision, Actor.of(user), deps.clock.now())
            uow.commit()


def _consulted(uow: UnitOfWork, case: Case, decision: Decision, actor: Actor, now: datetime) -> None:
    if decision.first_consulted_at is not None:
        return
    decision.first_consulted_at = now
    uow.session.add(decision)
    audit_log.append(uow.session, case.filing_id, now, actor, "consult", reason="Première consultation de la décision.")
    fix_notification(uow, case, decision, actor, now)


def fix_notification(uow: UnitOfWork, case: Case, decision: Decision, actor: Actor, now: datetime) -> bool:
    """Record the decision's notification once the legal calendar fixes it (first
    consultation, or 15 days after it was made available), and a refusal's appeal
    deadline with it; True when it was fixed now. Caller holds the case's lock."""
    if decision.notified_on is not None:
        return False
    appeal = legal_dates.appeal(decision.made_available_at, decision.first_consulted_at, today=now)
    if appeal.notification is None:
        return False
    decision.notified_on = appeal.notification.day
    details: dict[str, Any] = {"notified_on": decision.notified_on.isoformat()}
    reason = f"Décision {appeal.notification.explanation}."
    if decision.kind == "refused" and appeal.last_day is not None:
        decision.appeal_deadline = appeal.last_day.day
        details["appeal_deadline"] = decision.appeal_deadline.isoformat()
        reason = f"Décision {appeal.explanation}."
    uow.session.add(decision)
    audit_log.append(uow.session, case.filing_id, now, actor, "notify", reason=reason, details=details)
    return True
