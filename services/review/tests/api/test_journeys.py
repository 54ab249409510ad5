"""Journeys through the gateway, cases driven by filings' events."""

from __future__ import annotations

import csv
import io
import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta

from certreg_contracts.legal_dates import working_day_from
from review.adapters.tables import Case
from review.domain import rules
from review.jobs.audit_check import check_all


async def test_full_rncp_journey_to_registered_and_public_record(review):
    filing = await review.submit()
    case = await review.case(filing)
    assert case["status"] == "received"
    assert case["timeline"][0]["action"] == "open"
    assert review.events("review.case.opened", filing)

    # incomplete: the missing pieces become editable, the message is the banner
    await review.post(
        f"/cases/{filing}/completeness",
        {"complete": False, "missing": ["criminal_record", "summary"], "message": "Le bulletin n°3 manque."},
        review.reviewer,
    )
    changed = review.events("review.case.status_changed", filing)[-1]
    assert changed["status"] == "incomplete"
    assert changed["editable_items"] == ["criminal_record", "summary"]
    assert "Le bulletin n°3 manque." in changed["banner"]

    # the depositor resubmits: received again, then complete and admissible
    await review.submit(filing, round=2)
    assert (await review.case(filing))["status"] == "received"
    await review.to_instruction(filing)
    case = await review.case(filing)
    assert case["status"] == "under_instruction" and case["assignee_id"] == str(review.instructor_id)

    # a request, answered by a resubmission in response to it
    due = working_day_from(review.today() + timedelta(days=30))  # a day off would move (point 4)
    request = await review.post(
        f"/cases/{filing}/requests",
        {
            "items": [{"doc_type": "assessment_framework"}, {"question": "Combien de candidats par an ?"}],
            "message": "Précisez l'évaluation.",
            "due_date": due.isoformat(),
        },
        review.instructor,
        201,
    )
    changed = review.events("review.case.status_changed", filing)[-1]
    assert changed["status"] == "awaiting_complement"
    assert changed["editable_items"] == ["assessment_framework", "answer"]
    assert changed["due_date"] == due.isoformat() and changed["open_request_id"] == request["id"]
    depositor_view = await review.case(filing, review.depositor)
    assert [r["id"] for r in depositor_view["open_requests"]] == [request["id"]]
    assert "assignee_id" not in depositor_view and "actor_id" not in depositor_view["timeline"][0]

    await review.submit(filing, round=3, in_response_to=uuid.UUID(request["id"]))
    case = await review.case(filing)
    assert case["status"] == "under_instruction" and case["open_requests"] == []
    assert review.events("review.request.answered", filing)[0]["request_id"] == request["id"]

    # commission, favourable opinion, registration
    await review.post(f"/cases/{filing}/ready", None, review.instructor)
    session = await review.new_session()
    agenda = await review.post(f"/sessions/{session['id']}/agenda", {"filing_id": str(filing)}, review.commission, 201)
    assert agenda["status"] == "scheduled"
    listed = (await review.client.get(f"/api/review/sessions/{session['id']}/agenda", headers=review.commission)).json()
    assert [i["filing_id"] for i in listed["items"]] == [str(filing)]
    opinion = await review.post(
        f"/sessions/{session['id']}/opinions",
        {
            "filing_id": str(filing),
            "opinion": "favourable",
            "reasons": [{"criterion": "qualite_referentiels", "text": "Référentiels cohérents."}],
        },
        review.commission,
        201,
    )
    assert opinion["status"] == "favourable"
    decision = await review.post(
        f"/cases/{filing}/decision",
        {"register": True, "motivation": "Avis favorable de la commission.", "years": 3},
        review.director,
    )
    assert decision["status"] == "awaiting_publication"
    assert decision["registration_number"] == "RNCP1"
    published = await review.publish_jo(filing)
    assert published["status"] == "registered"
    assert published["decision"]["registration_start"] == review.today().isoformat()
    assert published["decision"]["registration_end"] == rules.registration_end(review.today(), 3).isoformat()
    registered = review.events("review.case.registered", filing)[0]
    assert registered["registration_number"] == "RNCP1"

    # the public record, without a token
    record = (await review.client.get("/api/review/registry/RNCP1")).json()
    assert record["title"] == "Concepteur développeur d'applications"
    assert record["qualification_level"] == 6
    assert record["frameworks"]["activities"] == ["Concevoir une application", "Déployer une application"]
    assert record["frameworks"]["competence_blocks"][0]["code"] == "BC01"
    assert (await review.client.get("/api/review/registry/rncp1")).json()["number"] == "RNCP1"
    assert (await review.client.get("/api/review/registry/RNCP2")).status_code == 404
    found = (await review.client.get("/api/review/registry", params={"q": "développeur", "repertoire": "rncp"})).json()
    assert found["total"] == 1 and found["items"][0]["number"] == "RNCP1"
    assert (await review.client.get("/api/review/registry", params={"repertoire": "rs"})).json()["total"] == 0

    export = await review.client.get("/api/review/registry/export.xml")
    assert export.status_code == 200
    fiche = ET.fromstring(export.content).find("FICHE")
    assert fiche is not None
    assert fiche.findtext("NUMERO_FICHE") == "RNCP1"
    assert fiche.findtext("NOMENCLATURE_EUROPE/NIVEAU") == "NIV6"
    assert fiche.findtext("BLOCS_COMPETENCES/BLOC_COMPETENCES/CODE") == "RNCP1BC01"
    assert fiche.findtext("DATE_DECISION") == review.today().strftime("%d/%m/%Y")
    # a certifier not known yet: named empty, no SIRET element (as the open data leaves it out)
    assert fiche.find("CERTIFICATEURS/CERTIFICATEUR/NOM_CERTIFICATEUR") is not None
    assert fiche.find("CERTIFICATEURS/CERTIFICATEUR/SIRET_CERTIFICATEUR") is None

    # the depositor acknowledges the notification; the timeline and its chain hold
    ack = await review.post(f"/cases/{filing}/acknowledge", None, review.depositor)
    assert ack["acknowledged_at"]
    case = await review.case(filing, review.depositor)
    assert case["decision"]["acknowledged_at"] and case["opinion"]["opinion"] == "favourable"
    actions = [e["action"] for e in case["timeline"]]
    assert actions == [
        "open",
        "completeness",
        "resubmit",
        "completeness",
        "admissibility",
        "assign",
        "request",
        "answer",
        "ready",
        "schedule",
        "opinion",
        "register",
        "publish",
        "consult",  # the acknowledgement is the first consultation: it notifies the decision
        "notify",
        "acknowledge",
    ]
    assert check_all(review.ctx.engine) == (1, {})


async def test_numbers_follow_one_sequence_per_repertoire(review):
    numbers = []
    for repertoire in ("rs", "rncp", "rs"):
        filing = await review.submit(repertoire=repertoire)
        await review.to_scheduled(filing)
        session_id = (await review.case(filing))["session"]["id"]
        await review.post(f"/sessions/{session_id}/opinions", {"filing_id": str(filing), "opinion": "favourable"}, review.commission, 201)
        numbers.append(
            (await review.post(f"/cases/{filing}/decision", {"register": True, "motivation": "Oui."}, review.director))[
                "registration_number"
            ]
        )
    assert numbers == ["RS1", "RNCP1", "RS2"]


async def test_adjourned_dossier_goes_back_to_the_next_session_after_its_deadline(review):
    filing = await review.submit()
    session = await review.to_scheduled(filing)
    due = working_day_from(review.today() + timedelta(days=20))
    missing_due = await review.client.post(
        f"/api/review/sessions/{session['id']}/opinions",
        json={
            "filing_id": str(filing),
            "opinion": "adjourned",
            "reasons": [{"criterion": "impact_emploi", "text": "Données insuffisantes."}],
        },
        headers=review.commission,
    )
    assert missing_due.status_code == 422 and missing_due.json()["detail"][0]["loc"][-1] == "resubmission_due"
    await review.post(
        f"/sessions/{session['id']}/opinions",
        {
            "filing_id": str(filing),
            "opinion": "adjourned",
            "resubmission_due": due.isoformat(),
            "reasons": [{"criterion": "impact_emploi", "text": "Données insuffisantes."}],
        },
        review.commission,
        201,
    )
    changed = review.events("review.case.status_changed", filing)[-1]
    assert changed["status"] == "adjourned" and changed["due_date"] == due.isoformat() and "title" in changed["editable_items"]

    # nothing happens up to the deadline day
    review.p.advance_clock(days=(due - review.today()).days)
    assert (await review.sweep()).returned == []
    # past it, with a later session planned: back on its agenda, as is
    review.p.advance_clock(days=1)
    later = await review.new_session(review.today() + timedelta(days=14))
    report = await review.sweep()
    assert report.returned == [filing]
    case = await review.case(filing)
    assert case["status"] == "scheduled" and case["session"]["id"] == later["id"]
    returned = review.events("review.case.returned_to_commission", filing)
    assert returned[0]["session_id"] == later["id"] and returned[0]["previous_due"] == due.isoformat()
    assert [e["action"] for e in case["timeline"]][-2:] == ["return_to_commission", "schedule"]
    assert (await review.sweep()).returned == []  # once


async def test_adjourned_without_a_later_session_waits_ready_and_an_improved_dossier_comes_back(review):
    filing = await review.submit()
    session = await review.to_scheduled(filing)
    due = working_day_from(review.today() + timedelta(days=5))
    await review.post(
        f"/sessions/{session['id']}/opinions",
        {
            "filing_id": str(filing),
            "opinion": "adjourned",
            "resubmission_due": due.isoformat(),
            "reasons": [{"criterion": "vae", "text": "Accès par la VAE non décrit."}],
        },
        review.commission,
        201,
    )
    other = await review.submit()
    other_session = await review.to_scheduled(other)
    await review.post(
        f"/sessions/{other_session['id']}/opinions",
        {
            "filing_id": str(other),
            "opinion": "adjourned",
            "resubmission_due": due.isoformat(),
            "reasons": [{"criterion": "vae", "text": "Idem."}],
        },
        review.commission,
        201,
    )
    # an improved dossier before the deadline goes to ready_for_commission
    await review.submit(other, round=2)
    assert (await review.case(other))["status"] == "ready_for_commission"
    review.p.advance_clock(days=(due - review.today()).days + 1)
    assert (await review.sweep()).returned == [filing]
    case = await review.case(filing)
    assert case["status"] == "ready_for_commission"
    assert review.events("review.case.returned_to_commission", filing)[0]["session_id"] is None


async def test_overdue_request_reminders_then_abandonment(review):
    filing = await review.submit()
    await review.to_instruction(filing)
    due = working_day_from(review.today() + timedelta(days=10))
    await review.post(
        f"/cases/{filing}/requests",
        {"items": [{"doc_type": "criminal_record"}], "message": "Bulletin n°3 périmé.", "due_date": due.isoformat()},
        review.instructor,
        201,
    )
    # The status that opens the request tells it whole, as its own event does: filings may
    # get either first and must show the request with its items.
    [opened] = review.events("review.request.opened", filing)
    status = review.events("review.case.status_changed", filing)[-1]
    assert status["status"] == "awaiting_complement" and status["open_request_id"] == opened["request_id"]
    assert status["request_items"] == opened["items"] == [{"doc_type": "criminal_record", "question": None}]
    assert status["request_message"] == opened["message"] == "Bulletin n°3 périmé."
    early = await review.client.post(f"/api/review/cases/{filing}/abandon", json={}, headers=review.director)
    assert early.status_code == 409 and early.json()["code"] == "request_not_overdue"

    assert (await review.sweep()).total == 0
    review.p.advance_clock(days=(due - review.today()).days - 6)  # 6 days left
    report = await review.sweep()
    assert [d for _, d in report.reminders] == [6]
    assert (await review.sweep()).reminders == []  # each once
    review.p.advance_clock(days=5)  # 1 day left
    assert [d for _, d in (await review.sweep()).reminders] == [1]
    review.p.advance_clock(days=1)  # the deadline day: still in time
    assert (await review.sweep()).total == 0
    review.p.advance_clock(days=1)
    report = await review.sweep()
    assert len(report.overdue) == 1
    assert [e["days_left"] for e in review.events("review.request.reminder_due", filing)] == [6, 1]
    assert review.events("review.request.overdue", filing)[0]["due_date"] == due.isoformat()

    # the overdue case comes first in the list, and in the overdue filter
    await review.submit()
    listed = (await review.client.get("/api/review/cases", headers=review.reviewer)).json()
    assert listed["total"] == 2 and listed["items"][0]["filing_id"] == str(filing) and listed["items"][0]["overdue"]
    only = (await review.client.get("/api/review/cases", params={"overdue": "true"}, headers=review.director)).json()
    assert [i["filing_id"] for i in only["items"]] == [str(filing)]

    wrong_role = await review.client.post(f"/api/review/cases/{filing}/abandon", json={}, headers=review.instructor)
    assert wrong_role.status_code == 403
    case = await review.post(f"/cases/{filing}/abandon", {}, review.director)
    assert case["status"] == "abandoned" and not case["overdue"] and case["open_requests"] == []
    assert review.events("review.case.abandoned", filing)


async def test_unfavourable_opinion_refused_with_the_appeal_date(start_review, monkeypatch):
    monkeypatch.setenv("CERTREG_APPEAL_COURT", "Tribunal administratif de Montreuil")  # read when review starts
    async with start_review() as review:
        filing = await review.submit(repertoire="rs", title="Habilitation électrique")
        session = await review.to_scheduled(filing)
        unknown = await review.client.post(
            f"/api/review/sessions/{session['id']}/opinions",
            json={"filing_id": str(filing), "opinion": "unfavourable", "reasons": [{"criterion": "vae", "text": "x"}]},
            headers=review.commission,
        )
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][1:] == ["reasons", 0, "criterion"]
        reasons = [{"criterion": "qualite_referentiels", "text": "Le référentiel d'évaluation est trop vague."}]
        await review.post(
            f"/sessions/{session['id']}/opinions",
            {"filing_id": str(filing), "opinion": "unfavourable", "reasons": reasons},
            review.commission,
            201,
        )
        again = await review.client.post(
            f"/api/review/sessions/{session['id']}/opinions",
            json={"filing_id": str(filing), "opinion": "favourable"},
            headers=review.commission,
        )
        assert again.status_code == 409 and again.json()["code"] == "opinion_already_given"

        register = await review.client.post(
            f"/api/review/cases/{filing}/decision", json={"register": True, "motivation": "Non."}, headers=review.director
        )
        assert register.status_code == 409 and register.json()["code"] == "illegal_transition"
        assert register.json()["state"] == "unfavourable"
        decision = await review.post(
            f"/cases/{filing}/decision", {"register": False, "motivation": "Référentiels insuffisants."}, review.director
        )
        assert decision["status"] == "refused"
        assert decision["appeal_deadline"] is None  # from the notification (test_legal_procedure)
        assert decision["appeal_court"] == "Tribunal administratif de Montreuil"
        assert decision["gracious_appeal"] is False
        refused = review.events("review.case.refused", filing)[0]
        # issue 12, point 7: the criterion's label and article travel with it, never the key alone
        label = refused["reasons"][0]["label"]  # 2° of R. 6113-11 in the article's words (test_criteria)
        assert label.startswith("2° La qualité des référentiels de compétences et d'évaluation ainsi que leur cohérence d'ensemble.")
        assert label.endswith("(article R. 6113-11 du code du travail)")
        assert refused["reasons"] == [{**reasons[0], "label": label}] and refused["appeal_court"] == decision["appeal_court"]
        opinion = review.events("review.case.opinion_given", filing)[-1]
        assert opinion["reasons"][0]["label"] == label
        assert (await review.client.get("/api/review/registry")).json()["total"] == 0


async def test_illegal_transitions_409_wrong_roles_403_bad_input_422(review):
    filing = await review.submit()
    wrong_role = await review.client.post(f"/api/review/cases/{filing}/completeness", json={"complete": True}, headers=review.instructor)
    assert wrong_role.status_code == 403
    depositor = await review.client.post(f"/api/review/cases/{filing}/admissibility", json={"admissible": True}, headers=review.depositor)
    assert depositor.status_code == 403
    illegal = await review.client.post(f"/api/review/cases/{filing}/admissibility", json={"admissible": True}, headers=review.reviewer)
    assert illegal.status_code == 409
    assert illegal.json()["code"] == "illegal_transition" and illegal.json()["state"] == "received"
    bad = await review.client.post(
        f"/api/review/cases/{filing}/completeness",
        json={"complete": False, "missing": ["nothing_like_this"], "message": "x"},
        headers=review.reviewer,
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "missing"]
    assert (await review.case(filing))["status"] == "received"  # nothing half-written
    await review.to_instruction(filing)
    past = await review.client.post(
        f"/api/review/cases/{filing}/requests",
        json={"items": [{"question": "?"}], "message": "x", "due_date": review.today().isoformat()},
        headers=review.instructor,
    )
    assert past.status_code == 422 and past.json()["detail"][0]["loc"] == ["body", "due_date"]
    not_mine = await review.client.post(f"/api/review/cases/{filing}/ready", headers=review.headers("instructor"))
    assert not_mine.status_code == 403
    assert (await review.client.get("/api/review/cases", headers=review.depositor)).status_code == 403
    assert (await review.client.get("/api/review/cases")).status_code == 401
    unknown = await review.client.get(f"/api/review/cases/{uuid.uuid4()}", headers=review.reviewer)
    assert unknown.status_code == 404
    august = await review.client.post("/api/review/sessions", json={"date": f"{review.today().year + 1}-08-12"}, headers=review.commission)
    assert august.status_code == 422 and august.json()["detail"][0]["loc"] == ["body", "date"]
    early = await review.client.post(
        "/api/review/sessions/00000000-0000-0000-0000-000000000000/agenda",
        json={"filing_id": str(filing)},
        headers=review.commission,
    )
    assert early.status_code == 404
    session = await review.new_session()
    not_ready = await review.client.post(
        f"/api/review/sessions/{session['id']}/agenda", json={"filing_id": str(filing)}, headers=review.commission
    )
    assert not_ready.status_code == 409 and not_ready.json()["state"] == "under_instruction"


async def test_withdrawal_by_the_depositor_ends_the_case(review):
    filing = await review.submit()
    await review.to_instruction(filing)
    await review.withdraw(filing)
    case = await review.case(filing)
    assert case["status"] == "withdrawn"
    assert [e["filing_id"] for e in review.emitted("review.case.withdrawn")] == [str(filing)]
    late = await review.client.post(f"/api/review/cases/{filing}/ready", headers=review.instructor)
    assert late.status_code == 409 and late.json()["state"] == "withdrawn"
    await review.withdraw(filing)  # asked again: already granted, nothing more
    assert len(review.emitted("review.case.withdrawn")) == 1 and review.emitted("review.case.withdrawal_refused") == []


async def test_a_withdrawal_after_the_decision_is_refused_and_one_before_the_case_waits_for_it(review):
    """Review owns the procedure (issue 15): a withdrawal reaching it after the case
    ended is refused, with the case's state; one reaching it before the submission
    that opens the case withdraws the case as soon as it opens."""
    filing = await review.submit()
    await review.to_registered(filing)
    await review.withdraw(filing)
    case = await review.case(filing)
    assert case["status"] == "registered"
    [refused] = review.emitted("review.case.withdrawal_refused", filing_id=filing)
    assert refused["status"] == "registered" and "déjà été enregistrée" in refused["explanation"]
    assert review.emitted("review.case.withdrawn", filing_id=filing) == []

    early = uuid.uuid4()
    await review.withdraw(early)
    await review.submit(early)
    assert (await review.case(early))["status"] == "withdrawn"
    assert len(review.emitted("review.case.withdrawn", filing_id=early)) == 1


async def test_another_entity_gets_404_and_the_dialogue_is_shared(review):
    filing = await review.submit()
    stranger = review.headers("depositor", entity_id=uuid.uuid4())
    for path in (f"/cases/{filing}", f"/cases/{filing}/messages"):
        assert (await review.client.get(f"/api/review{path}", headers=stranger)).status_code == 404
    posted = await review.client.post(f"/api/review/cases/{filing}/messages", json={"body": "Bonjour"}, headers=stranger)
    assert posted.status_code == 404
    assert (await review.client.post(f"/api/review/cases/{filing}/acknowledge", headers=stranger)).status_code == 404

    # A message may point to a piece submitted with the filing (and to nothing else).
    [case] = review.p.rows("review", Case, filing_id=filing)
    doc = case.snapshot["documents"][0]["document_id"]
    stray = await review.client.post(
        f"/api/review/cases/{filing}/messages",
        json={"body": "Voir la pièce.", "document_ids": [str(uuid.uuid4())]},
        headers=review.reviewer,
    )
    assert stray.status_code == 422 and stray.json()["detail"][0]["type"] == "unknown_document"
    await review.post(f"/cases/{filing}/messages", {"body": "Où en est notre demande ?", "subject": "Suivi"}, review.depositor, 201)
    await review.post(
        f"/cases/{filing}/messages", {"body": "Elle est en cours de contrôle.", "document_ids": [str(doc)]}, review.reviewer, 201
    )
    empty = await review.client.post(f"/api/review/cases/{filing}/messages", json={"body": "  "}, headers=review.depositor)
    assert empty.status_code == 422
    thread = (await review.client.get(f"/api/review/cases/{filing}/messages", headers=review.depositor)).json()["items"]
    assert [(m["author_side"], m["subject"]) for m in thread] == [("depositor", "Suivi"), ("staff", None)]
    assert thread[1]["document_ids"] == [str(doc)] and "author_id" not in thread[1]
    posted_events = review.events("review.message.posted", filing)
    assert [e["author_side"] for e in posted_events] == ["depositor", "staff"]
    assert posted_events[1]["attachment_count"] == 1
    assert check_all(review.ctx.engine) == (1, {})


async def test_list_filters_and_csv_export(review):
    a = await review.submit(title="Chef de projet =cmd")
    b = await review.submit(repertoire="rs", title="Sauveteur secouriste")
    await review.to_instruction(a)
    get = review.client.get
    assert [
        i["filing_id"] for i in (await get("/api/review/cases", params={"repertoire": "rs"}, headers=review.reviewer)).json()["items"]
    ] == [str(b)]
    assert [
        i["filing_id"]
        for i in (await get("/api/review/cases", params={"assignee": str(review.instructor_id)}, headers=review.reviewer)).json()["items"]
    ] == [str(a)]
    assert [
        i["filing_id"] for i in (await get("/api/review/cases", params={"assignee": "me"}, headers=review.instructor)).json()["items"]
    ] == [str(a)]
    assert [
        i["filing_id"]
        for i in (await get("/api/review/cases", params={"status": "received,incomplete"}, headers=review.reviewer)).json()["items"]
    ] == [str(b)]
    assert [
        i["filing_id"] for i in (await get("/api/review/cases", params={"q": "SECOURISTE"}, headers=review.reviewer)).json()["items"]
    ] == [str(b)]
    assert (await get("/api/review/cases", params={"q": "%"}, headers=review.reviewer)).json()["total"] == 0
    page = (await get("/api/review/cases", params={"limit": 1, "offset": 1}, headers=review.reviewer)).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    bad = await get("/api/review/cases", params={"status": "bogus", "assignee": "x"}, headers=review.reviewer)
    assert bad.status_code == 422 and {e["loc"][-1] for e in bad.json()["detail"]} == {"status", "assignee"}

    exported = await get("/api/review/cases.csv", params={"repertoire": "rncp"}, headers=review.reviewer)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["Intitulé"] for r in rows] == ["Chef de projet =cmd"]
    assert rows[0]["État"] == "En instruction"
    assert (await get("/api/review/cases.csv", headers=review.depositor)).status_code == 403
