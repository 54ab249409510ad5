"""Review's use cases without the platform: an in-memory database with review's tables, a
fixed clock (certreg_testing.unit). The completeness check and the director's decision."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from certreg_contracts.events.filings import FilingSubmitted
from certreg_runtime.auth import ACCESS_SCOPE, Principal
from certreg_runtime.clock import FixedClock
from certreg_runtime.errors import Conflict, Forbidden, Invalid
from certreg_testing.unit import Unit, unit
from review.adapters.tables import CommissionSession, Decision, Opinion, RegistryRecord, metadata
from review.api.schemas import CompletenessIn, DecisionIn, PublicationIn
from review.app import cases, decisions, transitions
from review.app.deps import ReviewDeps
from review.app.handlers import filing_submitted
from review.app.transitions import get_case
from review.config import ReviewConfig
from review.domain import rules
from review.jobs import sweeper

# 10:00 in Paris on 30 November 2026.
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)
COURT = "Tribunal administratif de Montreuil"
ENTITY, DEPOSITOR = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def u() -> Unit[ReviewDeps]:
    return unit(ReviewDeps, "review", metadata, clock=FixedClock(NOW), config=ReviewConfig(appeal_court=COURT))


def staff(*roles: str) -> Principal:
    return Principal(uuid.uuid4(), f"{roles[0]}@example.fr", frozenset(roles), None, ACCESS_SCOPE, name="Agent")


def payloads(u: Unit[ReviewDeps]) -> list[tuple[str, dict[str, Any]]]:
    return [(e.type, e.payload) for e in u.emitted()]


def submission(filing_id: uuid.UUID, repertoire: str = "rncp", round: int = 1) -> FilingSubmitted:
    return FilingSubmitted(
        filing_id=filing_id,
        entity_id=ENTITY,
        repertoire=repertoire,
        title="Concepteur développeur d'applications",
        qualification_level=6 if repertoire == "rncp" else None,
        is_cqp=False,
        rests_on_standards=False,
        submission_round=round,
        submitted_by=DEPOSITOR,
        submitted_at=NOW,
        summary="Former des concepteurs d'applications.",
        activities=["Concevoir"],
        competences=["Analyser"],
        competence_blocks=[],
        assessment_methods=["Mise en situation"],
        documents=[],
    )


def deliver(u: Unit[ReviewDeps], event: FilingSubmitted) -> None:
    """As the bus delivers it: the handler, then the runtime's commit."""
    with u.deps.uow() as uow:
        filing_submitted(u.deps, uow, event)
        uow.commit()


def submitted(u: Unit[ReviewDeps], repertoire: str = "rncp") -> uuid.UUID:
    """A case opened by filings' submission event."""
    filing_id = uuid.uuid4()
    deliver(u, submission(filing_id, repertoire))
    return filing_id


def with_opinion(u: Unit[ReviewDeps], opinion: str, reasons: list[dict[str, str]] | None = None) -> uuid.UUID:
    """A case on which the commission gave ``opinion`` today."""
    filing_id = submitted(u, "rs")
    with u.deps.uow() as uow:
        case = get_case(uow.session, filing_id)
        assert case is not None
        sess = uow.session.exec(select(CommissionSession).where(CommissionSession.date == TODAY)).first()
        if sess is None:
            sess = CommissionSession(date=TODAY, created_by=uuid.uuid4(), created_at=NOW)
            uow.session.add(sess)
            uow.session.flush()
        case.status, case.session_id = opinion, sess.id
        case.snapshot = {"activities": ["Concevoir"], "competences": ["Analyser"], "competence_blocks": [], "assessment_methods": []}
        uow.session.add(case)
        uow.session.add(
            Opinion(session_id=sess.id, filing_id=filing_id, opinion=opinion, reasons=reasons or [], given_by=uuid.uuid4(), given_at=NOW)
        )
        uow.commit()
    return filing_id


# ---------------------------------------------------------------- completeness


def test_a_complete_filing_goes_on_to_admissibility(u):
    filing_id = submitted(u)
    before = len(u.emitted())

    detail = cases.check_completeness(u.deps, staff("reviewer"), filing_id, CompletenessIn(complete=True))

    assert detail.case.status == "completeness_ok" and detail.case.missing is None and detail.case.due_date is None
    assert [e.action for e in detail.timeline] == ["open", "completeness"]
    (changed_type, changed), (checked_type, checked) = payloads(u)[before:]
    assert changed_type == "review.case.status_changed"
    assert changed["status"] == "completeness_ok" and changed["previous_status"] == "received" and changed["editable_items"] == []
    assert checked_type == "review.case.completeness_checked"
    assert checked["complete"] is True and checked["missing"] == [] and checked["due_date"] is None


def test_an_incomplete_filing_asks_for_what_is_missing_before_a_date(u):
    filing_id = submitted(u)
    before = len(u.emitted())
    due = TODAY + timedelta(days=15)
    body = CompletenessIn(
        complete=False, missing=["criminal_record", "summary", "criminal_record"], message="Le bulletin n°3 manque.", due_date=due
    )

    detail = cases.check_completeness(u.deps, staff("reviewer"), filing_id, body)

    case = detail.case
    assert case.status == "incomplete" and case.missing == ["criminal_record", "summary"] and case.due_date == due
    assert detail.timeline[-1].reason == "Le bulletin n°3 manque."
    (changed_type, changed), (checked_type, checked) = payloads(u)[before:]
    assert changed_type == "review.case.status_changed"
    assert changed["status"] == "incomplete" and changed["editable_items"] == ["criminal_record", "summary"]
    assert changed["due_date"] == due.isoformat() and changed["banner"].endswith("Le bulletin n°3 manque.")
    assert checked_type == "review.case.completeness_checked"
    assert checked["missing"] == ["criminal_record", "summary"] and checked["due_date"] == due.isoformat()
    assert checked["message"] == "Le bulletin n°3 manque." and checked["complete"] is False


def test_a_second_completeness_decision_is_a_conflict(u):
    filing_id = submitted(u)
    cases.check_completeness(u.deps, staff("reviewer"), filing_id, CompletenessIn(complete=True))
    before = u.emitted()

    with pytest.raises(Conflict) as refused:
        cases.check_completeness(u.deps, staff("reviewer"), filing_id, CompletenessIn(complete=False, missing=["summary"], message="x"))

    assert refused.value.code == "illegal_transition" and refused.value.extra["state"] == "completeness_ok"
    assert u.emitted() == before


def test_completeness_input_and_role_are_checked(u):
    filing_id = submitted(u)
    with pytest.raises(Invalid) as invalid:
        cases.check_completeness(
            u.deps, staff("reviewer"), filing_id, CompletenessIn(complete=False, missing=["nothing_like_this"], message="")
        )
    assert [e["loc"] for e in invalid.value.detail] == [["body", "missing"], ["body", "message"]]
    with pytest.raises(Forbidden):
        cases.check_completeness(u.deps, staff("instructor"), filing_id, CompletenessIn(complete=True))


# ---------------------------------------------------------------- decision


def test_registration_waits_for_the_journal_officiel_then_runs_from_its_effective_date(u):
    """Issue 12, point 5: a registration was active the moment the director decided. The
    case waits for the decision's publication in the Journal officiel; staff record it (JO
    date, reference, effective date) and the record is active from the effective date."""
    filing_id = with_opinion(u, "favourable")
    before = len(u.emitted())

    made = decisions.decide(u.deps, staff("director"), filing_id, DecisionIn(register_=True, motivation="Avis favorable.", years=3))

    decision = made.decision
    assert made.case.status == "awaiting_publication" and made.case.registration_number == "RS1"
    assert (decision.kind, decision.registration_number, decision.years, decision.registration_start) == ("registered", "RS1", 3, None)
    with u.deps.uow() as uow:
        assert uow.session.get(RegistryRecord, "RS1") is None  # nothing public before the JO
    [(changed_type, changed)] = payloads(u)[before:]
    assert changed_type == "review.case.status_changed" and changed["status"] == "awaiting_publication"

    effective = TODAY + timedelta(days=3)
    body = PublicationIn(jo_date=TODAY, jo_reference="JORF n°0280 du 30 novembre 2026, texte n° 42", effective_date=effective)
    with pytest.raises(Invalid):
        decisions.record_publication(
            u.deps, staff("director"), [filing_id], body.model_copy(update={"effective_date": TODAY - timedelta(1)})
        )
    with pytest.raises(Forbidden):
        decisions.record_publication(u.deps, staff("reviewer"), [filing_id], body)
    [published] = decisions.record_publication(u.deps, staff("director"), [filing_id], body)
    assert published.case.status == "registered"
    d = published.decision
    assert (d.jo_date, d.jo_reference, d.effective_date) == (TODAY, body.jo_reference, effective)
    assert (d.registration_start, d.registration_end) == (effective, date(2029, 12, 3))
    with u.deps.uow() as uow:
        record = uow.session.get(RegistryRecord, "RS1")
        assert record is not None and record.filing_id == filing_id and record.activities == ["Concevoir"]
        assert record.jo_reference == body.jo_reference and record.registration_start == effective
    assert rules.record_state("active", effective, date(2029, 12, 3), TODAY) == "upcoming"
    assert rules.record_state("active", effective, date(2029, 12, 3), effective) == "active"
    (_, changed), (registered_type, registered) = payloads(u)[before + 1 :]
    assert changed["status"] == "registered" and registered_type == "review.case.registered"
    assert registered["registration_number"] == "RS1" and registered["jo_reference"] == body.jo_reference
    assert registered["registration_start"] == effective.isoformat() and registered["registration_end"] == "2029-12-03"
    with pytest.raises(Conflict):  # once
        decisions.record_publication(u.deps, staff("director"), [filing_id], body)

    # a list published together: all or none
    first, second = with_opinion(u, "favourable"), with_opinion(u, "favourable")
    for f in (first, second):
        decisions.decide(u.deps, staff("director"), f, DecisionIn(register_=True, motivation="Oui."))
    with pytest.raises(Conflict):
        decisions.record_publication(u.deps, staff("director"), [first, filing_id], body)
    with u.deps.uow() as uow:
        waiting = get_case(uow.session, first)
        assert waiting is not None and waiting.status == "awaiting_publication"
    done = decisions.record_publication(u.deps, staff("director"), [second, first], body)
    assert sorted(p.case.registration_number or "" for p in done) == ["RS2", "RS3"]


def advance(u: Unit[ReviewDeps], **delta: float) -> None:
    assert isinstance(u.deps.clock, FixedClock)
    u.deps.clock.advance(**delta)


def depositor() -> Principal:
    return Principal(DEPOSITOR, "deposant@example.org", frozenset({"depositor"}), ENTITY, ACCESS_SCOPE, name="Déposant")


def test_refusal_gives_the_court_and_the_appeal_runs_from_the_notification(u):
    """Issue 12, point 3: refused on Monday 30/11/2026 the appeal ran to Saturday
    30/01/2027 (decision + 2 calendar months). It runs from the notification, a délai
    franc extended to the next working day: consulted the same day, until Monday 01/02/2027."""
    reasons = [{"criterion": "adequation_besoins", "text": "Besoins du marché du travail non démontrés."}]
    filing_id = with_opinion(u, "unfavourable", reasons)
    before = len(u.emitted())

    made = decisions.decide(u.deps, staff("director"), filing_id, DecisionIn(register_=False, motivation="Référentiels insuffisants."))

    decision = made.decision
    assert made.case.status == "refused" and made.case.registration_number is None
    # made available, not notified: no appeal day yet
    assert (decision.kind, decision.appeal_deadline, decision.notified_on, decision.appeal_court) == ("refused", None, None, COURT)
    assert decision.reasons == reasons and decision.registration_number is None
    (_, changed), (refused_type, refused) = payloads(u)[before:]
    assert changed["status"] == "refused" and COURT in changed["banner"]
    assert "dans un délai de deux mois à compter de sa notification" in changed["banner"]
    assert refused_type == "review.case.refused"
    assert refused["appeal_deadline"] is None and refused["notified_at"] is None and refused["made_available_at"]
    assert refused["appeal_court"] == COURT
    assert refused["reasons"] == [
        {
            **reasons[0],
            "label": "1° L'adéquation des connaissances et compétences visées par rapport aux besoins du marché du travail, "
            "appréciée au moyen d'une étude complétée, dans le cas d'une demande de renouvellement d'enregistrement, par un "
            "bilan de la mise en œuvre de la certification ou habilitation précédemment enregistrée (article R. 6113-11 du "
            "code du travail)",
        }
    ]

    decisions.consult(u.deps, staff("director"), filing_id)  # staff reading it notify nothing
    decisions.consult(u.deps, depositor(), filing_id)  # the depositor's first consultation, the same day
    advance(u, days=3)
    decisions.consult(u.deps, depositor(), filing_id)  # a later one changes nothing
    with u.deps.uow() as uow:
        row = uow.session.get(Decision, filing_id)
        assert row is not None and row.first_consulted_at is not None and row.first_consulted_at.replace(tzinfo=UTC) == NOW
        assert (row.notified_on, row.appeal_deadline) == (TODAY, date(2027, 2, 1))
        appeal = rules.appeal_of(row.made_available_at, row.first_consulted_at, row.notified_on)
    assert appeal.wording.endswith("soit jusqu'au lundi 1er février 2027 inclus")
    assert "première consultation" in appeal.explanation and "reporté au premier jour ouvré" in appeal.explanation


def test_a_decision_nobody_consults_is_notified_by_the_sweeper_fifteen_days_after(u):
    filing_id = with_opinion(u, "unfavourable", [{"criterion": "adequation_besoins", "text": "Non."}])
    decisions.decide(u.deps, staff("director"), filing_id, DecisionIn(register_=False, motivation="Non."))
    advance(u, days=14)
    assert sweeper.sweep(u.deps).notified == []
    advance(u, days=1)
    assert sweeper.sweep(u.deps).notified == [filing_id]
    assert sweeper.sweep(u.deps).notified == []
    with u.deps.uow() as uow:
        row = uow.session.get(Decision, filing_id)
        assert row is not None and row.notified_on == date(2026, 12, 15)
        # 15/12/2026 + 2 months = 15/02/2027, délai franc: Tuesday 16/02/2027
        assert row.appeal_deadline == date(2027, 2, 16)
    decisions.consult(u.deps, depositor(), filing_id)  # consulted after: the notification stays
    with u.deps.uow() as uow:
        row = uow.session.get(Decision, filing_id)
        assert row is not None and row.notified_on == date(2026, 12, 15) and row.first_consulted_at is not None


def test_a_decision_in_the_wrong_state_is_a_conflict(u):
    unfavourable = with_opinion(u, "unfavourable", [{"criterion": "adequation_besoins", "text": "Non."}])
    with pytest.raises(Conflict) as refused:
        decisions.decide(u.deps, staff("director"), unfavourable, DecisionIn(register_=True, motivation="Oui."))
    assert refused.value.code == "illegal_transition" and refused.value.extra["state"] == "unfavourable"

    received = submitted(u)
    with pytest.raises(Conflict):
        decisions.decide(u.deps, staff("director"), received, DecisionIn(register_=False, motivation="Non."))
    before = u.emitted()
    decisions.decide(u.deps, staff("director"), unfavourable, DecisionIn(register_=False, motivation="Non."))
    with pytest.raises(Conflict):
        decisions.decide(u.deps, staff("director"), unfavourable, DecisionIn(register_=False, motivation="Encore non."))
    assert [e.type for e in u.emitted()[len(before) :]] == ["review.case.status_changed", "review.case.refused"]


# ---------------------------------------------------------------- events and sweeps that no longer fit


def test_a_resubmission_the_case_no_longer_waits_for_is_refused_not_parked(u):
    filing_id = submitted(u)
    cases.check_completeness(u.deps, staff("reviewer"), filing_id, CompletenessIn(complete=True))
    before = u.emitted()

    deliver(u, submission(filing_id, round=2))  # no error: nothing to retry or park

    with u.deps.uow() as uow:
        case = get_case(uow.session, filing_id)
        assert case is not None and case.status == "completeness_ok" and case.submission_round == 1
    # Filings and the depositor are told it was not taken into account (issue 15).
    [refused] = u.emitted()[len(before) :]
    assert refused.type == "review.case.submission_refused"
    assert (refused.payload["submission_round"], refused.payload["accepted_round"], refused.payload["status"]) == (2, 1, "completeness_ok")
    deliver(u, submission(filing_id, round=2))  # the same round again: a redelivery, nothing more
    assert len(u.emitted()) == len(before) + 1


def test_the_sweeper_skips_a_case_that_no_longer_qualifies_and_goes_on(u, monkeypatch):
    first, second = with_opinion(u, "adjourned"), with_opinion(u, "adjourned")
    with u.deps.uow() as uow:
        for filing_id in (first, second):
            case = get_case(uow.session, filing_id)
            assert case is not None
            case.due_date = TODAY - timedelta(days=1)
            uow.session.add(case)
        uow.commit()

    def move(uow, case, action, *args, **kwargs):
        if case.filing_id == first:
            raise Conflict("changed meanwhile", code="illegal_transition", state=case.status)
        return transitions.move(uow, case, action, *args, **kwargs)

    monkeypatch.setattr(sweeper, "move", move)
    report = sweeper.sweep(u.deps)
    assert report.skipped == [first] and report.returned == [second]
    with u.deps.uow() as uow:
        statuses = {f: c.status for f in (first, second) if (c := get_case(uow.session, f))}
    assert statuses == {first: "adjourned", second: "ready_for_commission"}
