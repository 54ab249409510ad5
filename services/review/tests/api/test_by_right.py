"""Issue 14: a registration by right (the State's diplomas and titles of L.6113-5 I, the
State's habilitations of L.6113-6) follows a shortened path: completeness, then the director
general's registration decision, with no admissibility by criteria, no instruction and no
commission; both modes."""

from __future__ import annotations

from datetime import date
from typing import Any

from lxml import etree

from certreg_contracts.events.filings import Fiche
from review.domain import rules
from services.review.tests.api.test_registry_export import XSD

BY_RIGHT = Fiche(registration_type="by_right", by_right_basis="L6113-5")


async def test_a_diploma_by_right_goes_from_completeness_to_registration_without_the_commission(review_both):
    review = review_both
    filing = await review.submit(title="Brevet de technicien supérieur Services informatiques aux organisations", fiche=BY_RIGHT)
    on_request = await review.submit(title="Concepteur développeur d'applications")

    case = await review.case(filing)
    assert case["registration_type"] == "by_right" and case["by_right_basis"] == "L6113-5"
    assert "enregistrement de droit" in case["banner"]
    listed = (await review.client.get("/api/review/cases", params={"status": "received"}, headers=review.reviewer)).json()
    types = {item["filing_id"]: item["registration_type"] for item in listed["items"]}
    assert types[str(filing)] == "by_right" and types[str(on_request)] == "on_request"
    by_right = (await review.client.get("/api/review/cases", params={"registration_type": "by_right"}, headers=review.reviewer)).json()
    assert [item["filing_id"] for item in by_right["items"]] == [str(filing)]
    wrong = await review.client.get("/api/review/cases", params={"registration_type": "de_droit"}, headers=review.reviewer)
    assert wrong.status_code == 422 and "registration_type" in wrong.text

    for f in (filing, on_request):
        await review.post(f"/cases/{f}/completeness", {"complete": True, "missing": [], "message": ""}, review.reviewer)
    case = await review.case(filing, review.headers("reviewer", "director"))
    assert case["status"] == "completeness_ok"
    assert "sans examen par la commission" in case["banner"]
    # the notifier is told the path (its mail says the decision follows, not admissibility)
    assert [e["registration_type"] for e in review.events("review.case.completeness_checked", filing)] == ["by_right"]
    assert [e["registration_type"] for e in review.events("review.case.completeness_checked", on_request)] == ["on_request"]
    assert case["allowed_actions"] == ["declare_inadmissible", "register", "suspend"]
    # the request on request, in the same state, waits for its admissibility
    other = await review.case(on_request, review.headers("reviewer", "director"))
    assert other["allowed_actions"] == ["admissibility", "declare_inadmissible", "suspend"]

    # the steps of the other path are refused, saying why
    async def refused(path: str, body: object, headers: dict[str, str]) -> dict[str, Any]:
        response = await review.client.post(f"/api/review{path}", json=body, headers=headers)
        assert response.status_code == 409, response.text
        answer: dict[str, Any] = response.json()
        return answer

    answer = await refused(f"/cases/{filing}/admissibility", {"admissible": True}, review.reviewer)
    assert answer["code"] == "by_right_path" and "Enregistrement de droit" in answer["detail"], answer
    answer = await refused(f"/cases/{filing}/assignment", {"instructor_id": str(review.instructor_id)}, review.reviewer)
    assert answer["code"] == "by_right_path"
    session = await review.new_session()
    answer = await refused(f"/sessions/{session['id']}/agenda", {"filing_id": str(filing)}, review.commission)
    assert answer["code"] == "by_right_path" and "commission" in answer["detail"], answer
    agenda = (await review.client.get(f"/api/review/sessions/{session['id']}/agenda", headers=review.commission)).json()
    assert str(filing) not in [item["filing_id"] for item in agenda["items"]]
    answer = await refused(f"/cases/{filing}/decision", {"register": False, "motivation": "Non."}, review.director)
    assert answer["code"] == "by_right_path"
    # and a request on request is not registered without the commission's opinion
    answer = await refused(f"/cases/{on_request}/decision", {"register": True, "motivation": "Oui."}, review.director)
    assert answer["code"] == "illegal_transition"
    # nor by answering a suspension with a fiche that now says « by right »: a round that
    # continues the case keeps its path (only a case starting over from « received » changes it)
    suspension = {"missing": ["fiche"], "message": "Les certificateurs indiqués sont erronés."}
    await review.post(f"/cases/{on_request}/suspend", suspension, review.reviewer)
    await review.submit(on_request, round=2, fiche=BY_RIGHT)
    other = await review.case(on_request, review.headers("reviewer", "director"))
    assert other["status"] == "completeness_ok" and other["registration_type"] == "on_request"
    assert "admissibility" in other["allowed_actions"] and "register" not in other["allowed_actions"]

    decision = await review.post(f"/cases/{filing}/decision", {"register": True, "motivation": "Diplôme de l'État."}, review.director)
    assert decision["status"] == "awaiting_publication" and decision["registration_number"].startswith("RNCP")
    await review.publish_jo(filing)
    case = await review.case(filing)
    assert case["status"] == "registered" and case["opinion"] is None and case["session"] is None
    assert [e["action"] for e in case["timeline"]] == ["open", "completeness", "register", "publish"]

    # the registry and its export say it is a registration by right
    record = (await review.client.get(f"/api/review/registry/{decision['registration_number']}")).json()
    assert record["fiche"]["registration_type"] == "by_right"
    content = (await review.client.get("/api/review/registry/export.xml")).content
    root = etree.fromstring(content)
    assert XSD.validate(root), XSD.error_log
    [element] = [f for f in root.iter("FICHE") if f.findtext("NUMERO_FICHE") == decision["registration_number"]]
    assert element.findtext("TYPE_ENREGISTREMENT") == "Enregistrement de droit"
    assert element.findtext("DATE_EFFET") == rules.fr_date(date.fromisoformat(case["decision"]["registration_start"]))
