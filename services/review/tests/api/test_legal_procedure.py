"""Issue 12: the procedure right in law, in both modes (embedded, PostgreSQL + RabbitMQ)."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import date, timedelta

from certreg_contracts import legal_dates
from certreg_contracts.calendar import add_months
from review.adapters.tables import RegistryRecord


async def _refused(review, title: str = "Habilitation électrique") -> str:
    filing = await review.submit(repertoire="rs", title=title)
    session = await review.to_scheduled(filing)
    reasons = [{"criterion": "qualite_referentiels", "text": "Le référentiel d'évaluation est trop vague."}]
    opinion = {"filing_id": str(filing), "opinion": "unfavourable", "reasons": reasons}
    await review.post(f"/sessions/{session['id']}/opinions", opinion, review.commission, 201)
    refusal = {"register": False, "motivation": "Référentiels insuffisants."}
    decision = await review.post(f"/cases/{filing}/decision", refusal, review.director)
    assert decision["status"] == "refused"
    return str(filing)


async def test_the_appeal_runs_from_the_notification_by_the_legal_calendar(review_both):
    """Point 3: the appeal deadline was the decision date + 2 calendar months. It is two
    months, délai franc, from the notification (the depositor's first consultation, or
    15 days after the decision is made available), extended to the next working day."""
    review = review_both
    filing = await _refused(review)
    decided_on = review.today()
    staff_view = (await review.case(filing))["decision"]
    assert staff_view["appeal_deadline"] is None and staff_view["notified_on"] is None
    assert staff_view["appeal"]["fixed"] is False
    assert staff_view["appeal"]["wording"] == "dans un délai de deux mois à compter de sa notification"
    assert staff_view["gracious_appeal"] is False and staff_view["hierarchical_appeal"] is False

    review.p.advance_clock(days=2)
    consulted = (await review.case(filing, review.depositor))["decision"]  # the first consultation notifies it
    notified_on = review.today()
    expected = legal_dates.appeal_deadline(notified_on)
    assert consulted["notified_on"] == notified_on.isoformat() and consulted["first_consulted_at"]
    assert consulted["appeal_deadline"] == expected.day.isoformat() != add_months(decided_on, 2).isoformat()
    assert consulted["appeal"]["last_day"]["date"] == expected.day.isoformat()
    assert consulted["appeal"]["wording"].endswith(f"soit jusqu'au {expected.text} inclus")
    assert "première consultation" in consulted["appeal"]["explanation"]
    review.p.advance_clock(days=1)
    again = (await review.case(filing, review.depositor))["decision"]
    assert again["notified_on"] == notified_on.isoformat() and again["first_consulted_at"] == consulted["first_consulted_at"]
    actions = [e["action"] for e in (await review.case(filing))["timeline"]]
    assert actions[-3:] == ["refuse", "consult", "notify"]

    # nobody consults the other one: notified 15 days after it was made available
    other = await _refused(review, "Habilitation travaux en hauteur")
    available = review.today()
    review.p.advance_clock(days=14)
    assert other not in [str(f) for f in (await review.sweep()).notified]
    review.p.advance_clock(days=1)
    assert [str(f) for f in (await review.sweep()).notified] == [other]
    deemed = (await review.case(other))["decision"]
    assert deemed["notified_on"] == (available + timedelta(days=15)).isoformat()
    assert deemed["appeal_deadline"] == legal_dates.appeal_deadline(date.fromisoformat(deemed["notified_on"])).day.isoformat()
    assert "sans consultation" in deemed["appeal"]["explanation"]


async def _favourable(review, repertoire: str) -> str:
    filing = await review.submit(repertoire=repertoire)
    session = await review.to_scheduled(filing)
    await review.post(f"/sessions/{session['id']}/opinions", {"filing_id": str(filing), "opinion": "favourable"}, review.commission, 201)
    return str(filing)


async def test_numbers_are_unpadded_continue_the_registry_and_stay_unique_under_concurrent_decisions(start_review_both, monkeypatch):
    """Point 6: numbers were zero-padded from 1 (RNCP00001) and RNCP1 found RNCP00001. They
    are unpadded, one sequence per repertoire from its configured start, looked up exactly,
    and concurrent decisions never share one."""
    monkeypatch.setenv("CERTREG_RNCP_NUMBER_START", "34825")
    monkeypatch.setenv("CERTREG_RS_NUMBER_START", "5476")
    async with start_review_both() as review:
        rncp = [await _favourable(review, "rncp") for _ in range(4)]
        rs = await _favourable(review, "rs")

        async def decide(filing: str) -> str:
            response = await review.client.post(
                f"/api/review/cases/{filing}/decision", json={"register": True, "motivation": "Oui."}, headers=review.director
            )
            assert response.status_code == 200, response.text
            number: str = response.json()["registration_number"]
            return number

        numbers = await asyncio.gather(*(decide(f) for f in rncp))
        assert sorted(numbers) == ["RNCP34825", "RNCP34826", "RNCP34827", "RNCP34828"]
        assert await decide(rs) == "RS5476"

        for f in (*rncp, rs):
            await review.publish_jo(uuid.UUID(f))
        get = review.client.get
        assert (await get("/api/review/registry/rncp34825")).json()["number"] == "RNCP34825"
        # a record an older version published zero-padded: found by its own number only
        with review.deps.uow() as uow:
            old = uow.session.get(RegistryRecord, "RNCP34825")
            assert old is not None
            uow.session.add(
                RegistryRecord(**{**old.model_dump(), "number": "RNCP00001", "sequence_value": 1, "filing_id": uuid.uuid4(), "search": "x"})
            )
            uow.commit()
        assert (await get("/api/review/registry/RNCP00001")).status_code == 200
        assert (await get("/api/review/registry/RNCP1")).status_code == 404
        assert (await get("/api/review/registry/RS05476")).status_code == 404


async def test_an_incomplete_dossier_past_its_deadline_is_reminded_overdue_and_may_be_abandoned(review_both):
    """Point 4: an incomplete dossier 20 days past its due date stayed `incomplete`, never
    overdue, and could not be declared abandoned. Its deadline behaves like a request's."""
    review = review_both
    filing = await review.submit()
    due = legal_dates.working_day_from(review.today() + timedelta(days=10))  # a day off would move it
    completeness = {"complete": False, "missing": ["criminal_record"], "message": "Le bulletin n°3 manque.", "due_date": due.isoformat()}
    await review.post(f"/cases/{filing}/completeness", completeness, review.reviewer)
    [deadline] = (await review.case(filing, review.depositor))["open_requests"]
    assert deadline["kind"] == "completeness" and deadline["due_date"] == due.isoformat()
    early = await review.client.post(f"/api/review/cases/{filing}/abandon", json={}, headers=review.director)
    assert early.status_code == 409 and early.json()["code"] == "request_not_overdue"

    review.p.advance_clock_to(due - timedelta(days=7))
    assert [d for _, d in (await review.sweep()).reminders] == [7]
    review.p.advance_clock_to(due + timedelta(days=20))
    assert len((await review.sweep()).overdue) == 1
    [reminder] = review.events("review.request.reminder_due", filing)
    assert reminder["kind"] == "completeness" and reminder["days_left"] == 7
    assert review.events("review.request.overdue", filing)[0]["kind"] == "completeness"
    case = await review.case(filing, review.director)
    assert case["status"] == "incomplete" and case["overdue"] and "abandon" in case["allowed_actions"]
    only = (await review.client.get("/api/review/cases", params={"overdue": "true"}, headers=review.director)).json()
    assert str(filing) in [i["filing_id"] for i in only["items"]]

    case = await review.post(f"/cases/{filing}/abandon", {}, review.director)
    assert case["status"] == "abandoned" and case["open_requests"] == [] and not case["overdue"]
    assert "Dossier incomplet, non complété" in case["timeline"][-1]["reason"]
    assert review.events("review.case.abandoned", filing)


async def test_a_dossier_completed_in_time_closes_its_deadline(review):
    filing = await review.submit()
    due = (review.today() + timedelta(days=10)).isoformat()
    incomplete = {"complete": False, "missing": ["summary"], "message": "Résumé ?", "due_date": due}
    await review.post(f"/cases/{filing}/completeness", incomplete, review.reviewer)
    await review.submit(filing, round=2)
    case = await review.case(filing)
    assert case["status"] == "received" and case["open_requests"] == [] and case["requests"][0]["status"] == "answered"
    review.p.advance_clock(days=30)
    assert (await review.sweep()).total == 0


async def test_a_registration_waits_for_the_journal_officiel_and_is_active_from_its_effective_date(review_both):
    """Point 5: a registration was active the moment the director decided. The case waits
    for the JO (`awaiting_publication`, exported for the back office); staff record the
    publication one by one or for a list; the public record carries the JO reference and
    is active from the effective date."""
    review = review_both
    first, second = await _favourable(review, "rncp"), await _favourable(review, "rs")
    numbers = {}
    for f in (first, second):
        decided = await review.post(f"/cases/{f}/decision", {"register": True, "motivation": "Oui."}, review.director)
        assert decided["status"] == "awaiting_publication"
        numbers[f] = decided["registration_number"]
    assert (await review.client.get(f"/api/review/registry/{numbers[first]}")).status_code == 404  # nothing public yet
    assert review.events("review.case.registered", uuid.UUID(first)) == []
    pending = await review.client.get("/api/review/cases.csv", params={"status": "awaiting_publication"}, headers=review.director)
    assert pending.status_code == 200 and numbers[first] in pending.text and numbers[second] in pending.text

    today = review.today()
    jo = {"jo_date": today.isoformat(), "jo_reference": "JORF n°0280 du 1er décembre 2026, texte n° 42"}
    bad = await review.client.post(
        "/api/review/publications",
        json={**jo, "effective_date": (today - timedelta(days=1)).isoformat(), "filing_ids": [first]},
        headers=review.director,
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "effective_date"
    forbidden = await review.client.post(
        f"/api/review/cases/{first}/publication", json={**jo, "effective_date": today.isoformat()}, headers=review.reviewer
    )
    assert forbidden.status_code == 403
    effective = today + timedelta(days=2)
    listed = await review.post(
        "/publications", {**jo, "effective_date": effective.isoformat(), "filing_ids": [first, second]}, review.director
    )
    assert sorted(i["registration_number"] for i in listed["items"]) == sorted(numbers.values())
    assert {i["status"] for i in listed["items"]} == {"registered"}
    again = await review.client.post(
        f"/api/review/cases/{first}/publication", json={**jo, "effective_date": today.isoformat()}, headers=review.director
    )
    assert again.status_code == 409

    record = (await review.client.get(f"/api/review/registry/{numbers[first]}")).json()
    assert record["jo_reference"] == jo["jo_reference"] and record["jo_date"] == today.isoformat()
    assert record["registration_start"] == effective.isoformat() and record["status"] == "upcoming"
    registered = review.events("review.case.registered", uuid.UUID(first))[0]
    assert registered["jo_reference"] == jo["jo_reference"] and registered["registration_start"] == effective.isoformat()
    decision = (await review.case(uuid.UUID(first), review.depositor))["decision"]
    assert decision["jo_reference"] == jo["jo_reference"] and decision["effective_date"] == effective.isoformat()
    review.p.advance_clock(days=2)
    assert (await review.client.get(f"/api/review/registry/{numbers[first]}")).json()["status"] == "active"


async def test_sanctions_suspension_until_the_answer_and_inadmissibility_by_right(review_both):
    """Sanctions of the arrêté's article 5: erroneous or incomplete information suspends the
    request (the depositor is told why and what to send; their answer resumes it where it
    stood); a false declaration makes it inadmissible by right, for good."""
    review = review_both
    filing = await review.submit()
    await review.to_instruction(filing)
    body = {"missing": ["criminal_record"], "message": "Le bulletin n°3 joint n'est pas celui du représentant légal."}
    wrong = await review.client.post(f"/api/review/cases/{filing}/suspend", json=body, headers=review.instructor)
    assert wrong.status_code == 403
    case = await review.post(f"/cases/{filing}/suspend", body, review.reviewer)
    assert case["status"] == "suspended" and case["missing"] == ["criminal_record"]
    changed = review.events("review.case.status_changed", filing)[-1]
    assert changed["status"] == "suspended" and changed["editable_items"] == ["criminal_record", "answer"]
    assert body["message"] in changed["banner"]
    assert "arrêté du 4 janvier 2019" in (await review.case(filing, review.depositor))["timeline"][-1]["details"]["ground"]
    await review.submit(filing, round=2)  # the answer: the instruction resumes
    case = await review.case(filing)
    assert case["status"] == "under_instruction" and case["timeline"][-1]["action"] == "resume"

    forbidden = await review.client.post(f"/api/review/cases/{filing}/declare-inadmissible", json={"reason": "x"}, headers=review.reviewer)
    assert forbidden.status_code == 403
    reason = "Les promotions de titulaires déclarées n'existent pas."
    case = await review.post(f"/cases/{filing}/declare-inadmissible", {"reason": reason}, review.director)
    assert case["status"] == "inadmissible_by_right"
    changed = review.events("review.case.status_changed", filing)[-1]
    assert changed["editable_items"] == [] and "fausse déclaration" in changed["banner"] and reason in changed["banner"]
    assert "article 5 de l'arrêté du 4 janvier 2019" in changed["banner"]
    await review.submit(filing, round=3)  # final: a later round changes nothing
    assert (await review.case(filing))["status"] == "inadmissible_by_right"
    assert review.events("review.case.submission_refused", filing)


async def test_a_depositor_deadline_on_a_day_off_moves_to_the_next_working_day(review_both):
    """Point 4 (legal_dates.deadline_on, art. 642 CPC): a request's, an incomplete dossier's
    or an adjourned dossier's deadline staff put on a Saturday, a Sunday or a French public
    holiday ends on the next working day, and says why (the text the UI shows on hover)."""
    review = review_both
    # completeness: Thursday 1 May 2031 (fête du travail) -> Friday 2 May 2031
    incomplete = await review.submit(repertoire="rs", title="Habilitation échafaudages")
    body = {"complete": False, "missing": ["summary"], "message": "Complétez le résumé.", "due_date": "2031-05-01"}
    checked = await review.post(f"/cases/{incomplete}/completeness", body, review.reviewer)
    assert checked["due_date"] == "2031-05-02"
    assert checked["due_explanation"] == (
        "date limite pour compléter le dossier fixée au jeudi 1er mai 2031 (fête du Travail), "
        "reportée au premier jour ouvré : vendredi 2 mai 2031"
    )
    (request,) = checked["open_requests"]
    assert request["kind"] == "completeness" and request["due_date"] == "2031-05-02"
    assert request["due_explanation"] == checked["due_explanation"]
    status = review.events("review.case.status_changed", incomplete)[-1]
    assert status["due_date"] == "2031-05-02" and status["due_explanation"] == checked["due_explanation"]

    # an instructor's request: Saturday 1 November 2031 (Toussaint too) -> Monday 3 November 2031
    filing = await review.submit(repertoire="rs", title="Habilitation cordiste")
    await review.to_instruction(filing)
    items = [{"question": "Précisez les modalités d'évaluation."}]
    opened = await review.post(
        f"/cases/{filing}/requests", {"items": items, "message": "Merci de préciser.", "due_date": "2031-11-01"}, review.instructor, 201
    )
    assert opened["due_date"] == "2031-11-03"
    assert "reportée au premier jour ouvré : lundi 3 novembre 2031" in opened["due_explanation"]
    assert "samedi 1er novembre 2031" in opened["due_explanation"]
    case = await review.case(filing, review.depositor)
    assert case["due_date"] == "2031-11-03" and case["due_explanation"] == opened["due_explanation"]
    assert "(date limite : 03/11/2031)" in review.events("review.case.status_changed", filing)[-1]["banner"]
    (event,) = review.events("review.request.opened", filing)
    assert event["due_date"] == "2031-11-03" and event["due_explanation"] == opened["due_explanation"]

    # a working day stays as it is, and says so
    other = await review.submit(repertoire="rs", title="Habilitation nacelle")
    await review.to_instruction(other)
    kept = await review.post(
        f"/cases/{other}/requests", {"items": items, "message": "Merci.", "due_date": "2031-11-04"}, review.instructor, 201
    )
    assert kept["due_date"] == "2031-11-04"
    assert kept["due_explanation"] == "date limite de réponse à la demande de compléments : jusqu'au mardi 4 novembre 2031 inclus"

    # an adjournment: Saturday 8 May 2032 (Victoire 1945) -> Monday 10 May 2032
    adjourned = await review.submit(repertoire="rs", title="Habilitation grutier")
    session = await review.to_scheduled(adjourned)
    reasons = [{"criterion": "qualite_referentiels", "text": "Le référentiel d'évaluation est trop vague."}]
    opinion = {"filing_id": str(adjourned), "opinion": "adjourned", "reasons": reasons, "resubmission_due": "2032-05-08"}
    given = await review.post(f"/sessions/{session['id']}/opinions", opinion, review.commission, 201)
    assert given["resubmission_due"] == "2032-05-10"
    case = await review.case(adjourned)
    assert case["due_date"] == "2032-05-10"
    assert "samedi 8 mai 2032" in case["due_explanation"] and "lundi 10 mai 2032" in case["due_explanation"]


async def test_the_decisions_awaiting_publication_export_as_csv_and_publish_as_a_list(review_both):
    """Point 5: the back office exports the registrations decided and not yet published in the
    Journal officiel (CSV, oldest decision first), then records one publication for a list of
    them; a published one leaves the export."""
    review = review_both
    first = await _favourable(review, "rncp")
    await review.post(f"/cases/{first}/decision", {"register": True, "motivation": "Conforme.", "years": 3}, review.director)
    review.p.advance_clock(days=1)
    second = await _favourable(review, "rs")
    await review.post(f"/cases/{second}/decision", {"register": True, "motivation": "Conforme."}, review.director)
    refused = await _refused(review, "Habilitation refusée")  # a refusal is never published
    numbers = {f: (await review.case(f))["registration_number"] for f in (first, second)}

    async def export() -> list[list[str]]:
        answer = await review.client.get("/api/review/publications/pending.csv", headers=review.director)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        assert "decisions-a-publier-au-jo.csv" in answer.headers["content-disposition"]
        text = answer.text
        assert text.startswith("\ufeff")
        return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))

    header, *rows = await export()
    assert header[:2] == ["Numéro d’enregistrement", "Répertoire"]
    assert {"Numéro de dossier", "Intitulé", "Décision du"} <= set(header)
    mine = [r for r in rows if r[0] in numbers.values()]
    assert [r[0] for r in mine] == [numbers[first], numbers[second]]  # oldest decision first
    assert mine[0][1] == "RNCP" and mine[1][1] == "RS"
    assert mine[0][header.index("Durée d’enregistrement (années)")] == "3"
    assert mine[0][header.index("Jours depuis la décision")] == "1"
    assert all(refused not in ",".join(r) for r in rows)
    assert (await review.client.get("/api/review/publications/pending.csv", headers=review.depositor)).status_code == 403

    today = review.today().isoformat()
    body = {"jo_date": today, "jo_reference": "NOR : MTRD2612345S", "effective_date": today, "filing_ids": [first, second]}
    published = await review.post("/publications", body, review.director)
    assert {p["filing_id"]: p["status"] for p in published["items"]} == {first: "registered", second: "registered"}
    for f in (first, second):
        assert (await review.case(f))["decision"]["jo_reference"] == "NOR : MTRD2612345S"
    _, *after = await export()
    assert not [r for r in after if r[0] in numbers.values()]


async def test_reasons_carry_the_criterion_in_force_on_the_first_submission(review_both):
    """Point 7: the commission's reasons are printed as the article's item in force on the
    filing's first submission (here, from 1 October 2025: décret n° 2025-500), never the key;
    the commission chooses among that version's items (2° bis exists from then)."""
    review = review_both
    filing = await review.submit(repertoire="rncp", title="Technicien d'études du bâtiment")
    session = await review.to_scheduled(filing)
    reasons = [{"criterion": "impact_emploi", "text": "Insertion non démontrée."}]
    opinion_in = {"filing_id": str(filing), "opinion": "unfavourable", "reasons": reasons}
    await review.post(f"/sessions/{session['id']}/opinions", opinion_in, review.commission, 201)
    label = (
        "2° L'impact du projet de certification professionnelle en matière d'accès ou de retour à l'emploi, s'appuyant "
        "sur l'analyse des promotions de titulaires retenues dans les conditions mentionnées au II et comparé à l'impact "
        "de certifications professionnelles visant des métiers similaires ou proches (article R. 6113-9 du code du travail)"
    )
    opinion = review.events("review.case.opinion_given", filing)[-1]
    assert opinion["reasons"] == [{**reasons[0], "label": label}]
    case = await review.case(filing)
    assert case["criteria"]["impact_emploi"] == "2° Impact en matière d'accès ou de retour à l'emploi"
    assert list(case["criteria"])[2:4] == ["realite_moyens", "adequation_actions"]  # 2° bis, 2° ter
    agenda = (await review.client.get(f"/api/review/sessions/{session['id']}/agenda", headers=review.commission)).json()
    assert [i["criteria"] for i in agenda["items"] if i["filing_id"] == str(filing)] == [case["criteria"]]
    await review.post(f"/cases/{filing}/decision", {"register": False, "motivation": "Insertion non démontrée."}, review.director)
    assert review.events("review.case.refused", filing)[0]["reasons"][0]["label"] == label


async def test_an_entity_corrected_by_the_si_admin_shows_its_new_name_on_its_cases(review_both):
    """Point 2: ``entities.entity.corrected`` (the SI administrator's correction) renames the
    certifier on its cases, as ``entities.entity.verified`` named it."""
    from certreg_contracts.events.entities import EntityCorrected

    review = review_both
    await review.verify_entity("Organisme avant correction", None)
    filing = await review.submit(repertoire="rs", title="Habilitation corrigée")
    assert (await review.case(filing))["organisation"] == "Organisme avant correction"
    await review.publish(
        EntityCorrected(
            entity_id=review.entity_id, denomination="Organisme corrigé", siret=None, legal_form="association", corrected_by=uuid.uuid4()
        )
    )
    assert (await review.case(filing))["organisation"] == "Organisme corrigé"
