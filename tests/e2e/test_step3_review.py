"""Step 3 (issue 5) through the gateway: the procedure of review, driven by real
reviewers, instructors, commission members and a director, with the depositor
answering through filings; every step's mail to the depositor is caught.

The services' clock is shared: a test that moves it leaves it moved (dates are always
read from ``api.today()``)."""

from __future__ import annotations

import calendar
import hashlib
import re
import uuid
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from certreg_contracts import legal_dates
from certreg_contracts.legal_dates import working_day_from
from certreg_testing.infra import text_body

from .conftest import PDF, RNCP_FIELDS, Api, Person, date_fr, eventually, expect, submitted_filing

pytestmark = pytest.mark.e2e


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def pdf_attachments(msg: EmailMessage) -> list[bytes]:
    return [part.get_content() for part in msg.iter_attachments() if part.get_content_type() == "application/pdf"]


@pytest.fixture(scope="module")
def certifier(platform, smtp_sink, si_admin) -> Person:
    """One approved entity manager for the module's filings (each has its own title)."""
    with httpx.Client(base_url=platform.base_url, timeout=30) as client:
        return Api(client, platform, smtp_sink).approved_manager(si_admin, "Institut de la certification")


class Office:
    """France compétences' agents and the depositor, logged in, with the steps they repeat."""

    def __init__(self, api: Api, staff: dict[str, Person], certifier: Person) -> None:
        self.api = api
        self.certifier = certifier
        self.instructor_id = staff["instructor"].account_id
        self.reviewer = api.login(staff["reviewer"])
        self.instructor = api.login(staff["instructor"])
        self.commission = api.login(staff["commission"])
        self.director = api.login(staff["director"])
        self.depositor = api.login(certifier)

    def post(self, path: str, body: Any, headers: dict[str, str], status: int = 200) -> Any:
        return expect(self.api.client.post(f"/api/review{path}", json=body, headers=headers), status)

    def mail(self, subject_contains: str) -> EmailMessage:
        return self.api.mail(self.certifier.email, subject_contains)

    def filing(self, repertoire: str, label: str) -> tuple[str, str]:
        title = f"{label} {uuid.uuid4().hex[:6]}"
        return submitted_filing(self.api, self.depositor, repertoire, title, self.reviewer), title

    def to_admissible(self, filing_id: str) -> None:
        self.post(f"/cases/{filing_id}/completeness", {"complete": True, "missing": [], "message": ""}, self.reviewer)
        case = self.post(f"/cases/{filing_id}/admissibility", {"admissible": True}, self.reviewer)
        assert case["status"] == "admissible"

    def to_instruction(self, filing_id: str) -> None:
        self.to_admissible(filing_id)
        case = self.post(f"/cases/{filing_id}/assignment", {"instructor_id": self.instructor_id}, self.reviewer)
        assert case["status"] == "under_instruction" and case["assignee_id"] == self.instructor_id

    def session_on(self, day: date) -> dict[str, Any]:
        """The commission's session of that day (created, or the one already there)."""
        made = self.api.client.post("/api/review/sessions", json={"date": day.isoformat()}, headers=self.commission)
        if made.status_code == 409 and made.json()["code"] == "session_exists":
            return next(s for s in self.sessions() if s["date"] == day.isoformat())
        session: dict[str, Any] = expect(made, 201)
        return session

    def sessions(self) -> list[dict[str, Any]]:
        found = expect(self.api.client.get("/api/review/sessions", params={"upcoming": "true", "limit": 200}, headers=self.commission), 200)
        sessions: list[dict[str, Any]] = found["items"]
        return sessions

    def to_scheduled(self, filing_id: str) -> dict[str, Any]:
        """Instruction finished, on the agenda of today's session."""
        self.to_instruction(filing_id)
        assert self.post(f"/cases/{filing_id}/ready", None, self.instructor)["status"] == "ready_for_commission"
        session = self.session_on(self.api.today())
        case = self.post(f"/sessions/{session['id']}/agenda", {"filing_id": filing_id}, self.commission, 201)
        assert case["status"] == "scheduled" and case["session"]["id"] == session["id"]
        return session


@pytest.fixture
def office(api: Api, staff: dict[str, Person], certifier: Person) -> Office:
    return Office(api, staff, certifier)


def test_rncp_from_incomplete_to_registered_and_published(office: Office) -> None:
    api, client = office.api, office.api.client
    filing_id, title = office.filing("rncp", "Concepteur développeur d'applications")

    # Incomplete: the depositor is told what is missing and by when.
    due = working_day_from(api.today() + timedelta(days=15))  # a day off would move it (issue 12, point 4)
    message = "Le bulletin n°3 du casier judiciaire est illisible."
    case = office.post(
        f"/cases/{filing_id}/completeness",
        {"complete": False, "missing": ["criminal_record"], "message": message, "due_date": due.isoformat()},
        office.reviewer,
    )
    assert case["status"] == "incomplete" and case["missing"] == ["criminal_record"]
    body = text_body(office.mail(f"Dossier « {title} » incomplet"))
    assert message in body and date_fr(due) in body and "casier judiciaire" in body

    # The depositor completes only what was asked for, then resubmits.
    filing = api.filing_reaches(office.depositor, filing_id, "incomplete")
    assert filing["editable_items"] == ["criminal_record"] and filing["can_submit"] and message in filing["banner"]
    other_field = client.patch(f"/api/filings/{filing_id}", headers=office.depositor, json={"title": "Autre intitulé"})
    assert other_field.status_code == 409 and other_field.json()["code"] == "not_editable"
    api.upload_piece(office.depositor, filing_id, "criminal_record", dated=True)
    resubmitted = expect(client.post(f"/api/filings/{filing_id}/submit", headers=office.depositor, json={"sworn_statement": True}), 202)
    assert resubmitted["submission_round"] == 2
    office.mail(f"Accusé de réception : compléments de votre dossier « {title} »")
    api.case_reaches(office.reviewer, filing_id, "received", submission_round=2)

    # Complete, admissible, assigned to an instructor.
    office.to_admissible(filing_id)
    assert "recevable" in text_body(office.mail(f"Dossier « {title} » recevable"))
    case = office.post(f"/cases/{filing_id}/assignment", {"instructor_id": office.instructor_id}, office.reviewer)
    assert case["status"] == "under_instruction" and case["assignee_id"] == office.instructor_id

    # A request for complements, answered by the depositor.
    due = working_day_from(api.today() + timedelta(days=30))  # a day off would move it (issue 12, point 4)
    question = "Combien de candidats présentez-vous par an ?"
    request = office.post(
        f"/cases/{filing_id}/requests",
        {"items": [{"doc_type": "assessment_framework"}, {"question": question}], "message": "Précisez l'évaluation.",
         "due_date": due.isoformat()},
        office.instructor, 201,
    )  # fmt: skip
    assert request["status"] == "open" and request["due_date"] == due.isoformat()
    body = text_body(office.mail(f"Demande de compléments sur « {title} » — réponse avant le {date_fr(due)}"))
    assert question in body and "Précisez l'évaluation." in body
    filing = api.filing_reaches(office.depositor, filing_id, "awaiting_complement")
    assert set(filing["editable_items"]) >= {"assessment_framework"} and filing["can_submit"]
    depositor_view = api.case(office.depositor, filing_id)
    assert [r["id"] for r in depositor_view["open_requests"]] == [request["id"]] and "assignee_id" not in depositor_view
    api.upload_piece(office.depositor, filing_id, "assessment_framework")
    answered = expect(client.post(f"/api/filings/{filing_id}/submit", headers=office.depositor, json={"sworn_statement": True}), 202)
    assert answered["in_response_to"] == request["id"] and answered["submission_round"] == 3
    case = api.case_reaches(office.reviewer, filing_id, "under_instruction", submission_round=3)
    assert case["open_requests"] == [] and case["requests"][0]["status"] == "answered"

    # Ready, on the agenda, favourable opinion.
    assert office.post(f"/cases/{filing_id}/ready", None, office.instructor)["status"] == "ready_for_commission"
    session = office.session_on(api.today())
    assert office.post(f"/sessions/{session['id']}/agenda", {"filing_id": filing_id}, office.commission, 201)["status"] == "scheduled"
    office.mail(f"Votre dossier « {title} » sera examiné en commission le {date_fr(api.today())}")
    agenda = expect(client.get(f"/api/review/sessions/{session['id']}/agenda", headers=office.commission), 200)
    assert filing_id in [i["filing_id"] for i in agenda["items"]]
    opinion = office.post(
        f"/sessions/{session['id']}/opinions",
        {"filing_id": filing_id, "opinion": "favourable",
         "reasons": [{"criterion": "qualite_referentiels", "text": "Référentiels cohérents et complets."}]},
        office.commission, 201,
    )  # fmt: skip
    assert opinion["status"] == "favourable"
    assert "Référentiels cohérents et complets." in text_body(office.mail(f"Avis de la commission sur « {title} » : favorable"))

    # The director registers it: a number, a letter, a public record.
    decision = office.post(
        f"/cases/{filing_id}/decision", {"register": True, "motivation": "Avis favorable de la commission.", "years": 5}, office.director
    )
    number = decision["registration_number"]
    assert decision["status"] == "awaiting_publication" and re.fullmatch(r"RNCP[1-9][0-9]*", number), decision
    # … published in the Journal officiel: staff record it, the registration runs from its effective date
    jo = {"jo_date": api.today().isoformat(), "jo_reference": "JORF n°0280 du 1er décembre 2026, texte n° 42"}
    published = office.post(f"/cases/{filing_id}/publication", {**jo, "effective_date": api.today().isoformat()}, office.director)
    assert published["status"] == "registered"
    assert published["decision"]["registration_start"] == api.today().isoformat()
    assert published["decision"]["registration_end"] == add_months(api.today(), 60).isoformat()
    mail = office.mail(f"Certification enregistrée : {number} — « {title} »")
    assert date_fr(add_months(api.today(), 60)) in text_body(mail)
    assert [pdf[:5] for pdf in pdf_attachments(mail)] == [b"%PDF-"], "the registration decision letter is attached"

    record = expect(httpx.get(f"{api.platform.base_url}/api/review/registry/{number}"), 200)  # anyone, no token
    assert record["number"] == number and record["title"] == title and record["repertoire"] == "rncp"
    assert record["jo_reference"] == jo["jo_reference"] and record["status"] == "active"
    assert record["qualification_level"] == RNCP_FIELDS["qualification_level"]
    assert record["frameworks"]["activities"] == RNCP_FIELDS["activities"]
    assert record["frameworks"]["competences"] == RNCP_FIELDS["competences"]
    assert record["frameworks"]["assessment_methods"] == RNCP_FIELDS["assessment_methods"]
    assert [b["code"] for b in record["frameworks"]["competence_blocks"]] == ["BC01"]
    found = expect(client.get("/api/review/registry", params={"q": title, "repertoire": "rncp"}), 200)
    assert [i["number"] for i in found["items"]] == [number]

    # Everything is on the timeline, and the filing is locked for good.
    case = api.case(office.depositor, filing_id)
    assert [e["action"] for e in case["timeline"]] == [
        "open", "completeness", "resubmit", "completeness", "admissibility", "assign", "request", "answer", "ready",
        "schedule", "opinion", "register", "publish", "consult", "notify",
    ]  # fmt: skip
    incomplete = case["timeline"][1]
    assert (
        incomplete["to_state"] == "incomplete"
        and incomplete["reason"] == message
        and incomplete["actor_role"] == "reviewer"
        and incomplete["at"]
    )
    assert case["decision"]["registration_number"] == number
    filing = api.filing_reaches(office.depositor, filing_id, "registered")
    assert filing["can_submit"] is False and filing["can_withdraw"] is False
    locked = client.patch(f"/api/filings/{filing_id}", headers=office.depositor, json={"summary": "Autre résumé"})
    assert locked.status_code == 409


def test_adjourned_rs_goes_back_to_the_next_session_as_is(office: Office) -> None:
    api = office.api
    filing_id, title = office.filing("rs", "Habilitation conduite d'engins")
    session = office.to_scheduled(filing_id)

    due = working_day_from(api.today() + timedelta(days=10))  # a day off would move it (issue 12, point 4)
    reasons = [{"criterion": "adequation_besoins", "text": "L'adéquation aux besoins du marché du travail n'est pas démontrée."}]
    no_due = office.api.client.post(
        f"/api/review/sessions/{session['id']}/opinions",
        json={"filing_id": filing_id, "opinion": "adjourned", "reasons": reasons},
        headers=office.commission,
    )
    assert no_due.status_code == 422 and no_due.json()["detail"][0]["loc"][-1] == "resubmission_due"
    opinion = office.post(
        f"/sessions/{session['id']}/opinions",
        {"filing_id": filing_id, "opinion": "adjourned", "reasons": reasons, "resubmission_due": due.isoformat()},
        office.commission, 201,
    )  # fmt: skip
    assert opinion["status"] == "adjourned" and opinion["resubmission_due"] == due.isoformat()
    body = text_body(office.mail(f"Avis de la commission sur « {title} » : ajournement"))
    assert date_fr(due) in body and reasons[0]["text"] in body
    filing = api.filing_reaches(office.depositor, filing_id, "adjourned")
    assert "title" in filing["editable_items"] and filing["can_submit"]

    # A later session is planned; the deadline passes without an improved dossier.
    later = office.session_on(api.today() + timedelta(days=20))
    api.platform.advance_clock(days=(due - api.today()).days + 1)
    today = api.today()
    expected = min((s for s in office.sessions() if s["date"] > today.isoformat()), key=lambda s: s["date"])
    assert expected["date"] <= later["date"]
    case = api.case_reaches(office.reviewer, filing_id, "scheduled")
    assert case["session"]["id"] == expected["id"] and case["submission_round"] == 1
    assert [e["action"] for e in case["timeline"]][-2:] == ["return_to_commission", "schedule"]
    back = case["timeline"][-2]
    assert back["actor_role"] == "system" and back["from_state"] == "adjourned"
    assert "en l'état" in back["reason"] and due.strftime("%d/%m/%Y") in back["reason"]
    assert date_fr(due) in text_body(office.mail(f"Votre dossier « {title} » retourne en commission"))
    office.mail(f"Votre dossier « {title} » sera examiné en commission le {date_fr(date.fromisoformat(expected['date']))}")
    assert api.filing_reaches(office.depositor, filing_id, "scheduled")["editable_items"] == []


def test_overdue_request_then_abandonment(office: Office, s3) -> None:
    api, client = office.api, office.api.client
    filing_id, title = office.filing("rncp", "Technicien réseaux")
    office.to_instruction(filing_id)
    # An external opinion answered with the expert's report: through the gateway to review's
    # process, kept in review's own S3 bucket, downloadable by staff only (issue 13, point 8).
    asked = office.post(f"/cases/{filing_id}/external-opinions", {"expert": "Mme Expert", "question": "Le jury ?"}, office.instructor, 201)
    answered = expect(
        client.post(
            f"/api/review/cases/{filing_id}/external-opinions/{asked['id']}/answer", headers=office.instructor,
            data={"answer": "Conforme."}, files={"file": ("rapport.pdf", PDF, "application/pdf")},
        ),
        200,
    )  # fmt: skip
    report = answered["document"]
    assert report["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert expect(client.get(report["download_url"], headers=office.commission), 200).content == PDF
    assert client.get(report["download_url"], headers=office.depositor).status_code == 403
    bucket = f"{api.platform.env['CERTREG_BUCKET_PREFIX']}-review-documents"
    assert [o.object_name for o in s3.client().list_objects(bucket, prefix=f"{filing_id}/{asked['id']}/", recursive=True)] != []
    due = working_day_from(api.today() + timedelta(days=5))  # a day off would move it (issue 12, point 4)
    office.post(
        f"/cases/{filing_id}/requests",
        {"items": [{"doc_type": "criminal_record"}], "message": "Le bulletin n°3 a plus de trois mois.", "due_date": due.isoformat()},
        office.instructor, 201,
    )  # fmt: skip
    office.mail(f"Demande de compléments sur « {title} »")

    # Before the deadline has passed, the director cannot declare the filing abandoned.
    early = client.post(f"/api/review/cases/{filing_id}/abandon", headers=office.director, json={})
    assert early.status_code == 409 and early.json()["code"] == "request_not_overdue", early.text
    not_director = client.post(f"/api/review/cases/{filing_id}/abandon", headers=office.reviewer, json={})
    assert not_director.status_code == 403

    # The deadline passes: the sweeper marks the request overdue and tells the depositor.
    api.platform.advance_clock(days=(due - api.today()).days + 1)

    def overdue() -> dict[str, Any]:
        case = api.case(office.reviewer, filing_id)
        assert case["overdue"] and case["open_requests"][0]["overdue"], "not yet overdue"
        return case

    eventually(overdue, "request flagged overdue by the sweeper")
    body = text_body(office.mail(f"Délai dépassé pour votre dossier « {title} »"))
    assert date_fr(due) in body
    overdue_list = expect(client.get("/api/review/cases", params={"overdue": "true", "limit": 200}, headers=office.director), 200)
    assert filing_id in [c["filing_id"] for c in overdue_list["items"]]

    case = office.post(f"/cases/{filing_id}/abandon", {}, office.director)
    assert case["status"] == "abandoned" and case["open_requests"] == []
    assert case["timeline"][-1]["action"] == "abandon" and due.strftime("%d/%m/%Y") in case["timeline"][-1]["reason"]
    assert "abandonnée" in text_body(office.mail(f"Votre demande « {title} » est déclarée abandonnée"))
    filing = api.filing_reaches(office.depositor, filing_id, "abandoned")
    assert filing["can_submit"] is False and filing["editable_items"] == []
    late = client.post(
        f"/api/filings/{filing_id}/documents/criminal_record", headers=office.depositor,
        params={"document_date": api.today().isoformat()}, files={"file": ("b3.pdf", PDF, "application/pdf")},
    )  # fmt: skip
    assert late.status_code == 409


def test_unfavourable_opinion_then_refusal_with_appeal_date(office: Office) -> None:
    api, client = office.api, office.api.client
    filing_id, title = office.filing("rncp", "Gestionnaire de paie")
    session = office.to_scheduled(filing_id)

    unmotivated = client.post(
        f"/api/review/sessions/{session['id']}/opinions",
        json={"filing_id": filing_id, "opinion": "unfavourable"},
        headers=office.commission,
    )
    assert unmotivated.status_code == 422 and unmotivated.json()["detail"][0]["loc"][-1] == "reasons"
    reason = "Moins de deux promotions de titulaires : l'insertion ne peut être mesurée."
    office.post(
        f"/sessions/{session['id']}/opinions",
        {"filing_id": filing_id, "opinion": "unfavourable", "reasons": [{"criterion": "adequation_emplois", "text": reason}]},
        office.commission, 201,
    )  # fmt: skip
    assert reason in text_body(office.mail(f"Avis de la commission sur « {title} » : défavorable"))

    # Registering against an unfavourable opinion is not a transition; the refusal must be motivated.
    register = client.post(
        f"/api/review/cases/{filing_id}/decision", headers=office.director, json={"register": True, "motivation": "Non."}
    )
    assert register.status_code == 409 and register.json()["code"] == "illegal_transition"
    empty = client.post(f"/api/review/cases/{filing_id}/decision", headers=office.director, json={"register": False, "motivation": " "})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"][-1] == "motivation"

    decision = office.post(
        f"/cases/{filing_id}/decision",
        {"register": False, "motivation": "Refus conforme à l'avis défavorable de la commission."}, office.director,
    )  # fmt: skip
    # made available, not yet notified: the appeal runs « deux mois à compter de sa notification »
    assert decision["status"] == "refused" and decision["appeal_deadline"] is None
    assert decision["gracious_appeal"] is False and decision["appeal_court"]

    mail = office.mail(f"Décision de refus d'enregistrement — « {title} »")
    body = text_body(mail)
    assert "deux mois à compter de sa notification" in body
    assert reason in body and decision["appeal_court"] in body
    assert [pdf[:5] for pdf in pdf_attachments(mail)] == [b"%PDF-"], "the motivated refusal letter is attached"

    # the depositor's first consultation notifies it: the legal calendar fixes the last day
    notified = api.today()
    appeal = legal_dates.appeal_deadline(notified).day
    case = api.case(office.depositor, filing_id)
    assert case["status"] == "refused" and case["decision"]["appeal_deadline"] == appeal.isoformat()
    assert case["decision"]["notified_on"] == notified.isoformat()
    assert case["decision"]["kind"] == "refused" and case["registration_number"] is None
    assert api.filing_reaches(office.depositor, filing_id, "refused")["can_withdraw"] is False
