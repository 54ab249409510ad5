"""The commission's agenda never traps a case (issue 13, point 1): a session that gave its
opinion on a case is never offered for it again, a scheduled case moves to another session,
and the commission corrects an opinion until the decision (audited). In both modes."""

from __future__ import annotations

from datetime import timedelta

ADJOURNED = {"criterion": "impact_emploi", "text": "Données d'insertion insuffisantes."}


async def test_an_improved_dossier_goes_to_another_session_moves_and_its_opinion_is_corrected(review_both):
    review = review_both
    filing = await review.submit()
    held = await review.to_scheduled(filing)  # today's session
    await review.post(
        f"/sessions/{held['id']}/opinions",
        {
            "filing_id": str(filing),
            "opinion": "adjourned",
            "resubmission_due": (review.today() + timedelta(days=30)).isoformat(),
            "reasons": [ADJOURNED],
        },
        review.commission,
        201,
    )
    await review.submit(filing, round=2)  # the improved dossier, the same day
    assert (await review.case(filing))["status"] == "ready_for_commission"

    # The session that adjourned it is still "upcoming" today, but is neither offered nor accepted.
    offered = await review.client.get(
        "/api/review/sessions", params={"upcoming": "true", "for_filing": str(filing)}, headers=review.commission
    )
    assert held["id"] not in [s["id"] for s in offered.json()["items"]]
    again = await review.client.post(
        f"/api/review/sessions/{held['id']}/agenda", json={"filing_id": str(filing)}, headers=review.commission
    )
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "opinion_given_in_session" and "autre séance" in again.json()["detail"]
    assert (await review.case(filing))["status"] == "ready_for_commission"

    # Scheduled on one session, then moved to another: it leaves the first agenda, the banner names the new date.
    first = await review.new_session(review.today() + timedelta(days=7))
    second = await review.new_session(review.today() + timedelta(days=14))
    await review.post(f"/sessions/{first['id']}/agenda", {"filing_id": str(filing)}, review.commission, 201)
    offered = await review.client.get(
        "/api/review/sessions", params={"upcoming": "true", "for_filing": str(filing)}, headers=review.commission
    )
    assert [s["id"] for s in offered.json()["items"]] == [second["id"]]
    moved = await review.post(f"/sessions/{second['id']}/agenda", {"filing_id": str(filing)}, review.commission, 201)
    assert moved["status"] == "scheduled" and moved["session"]["id"] == second["id"]
    agenda = lambda s: review.client.get(f"/api/review/sessions/{s['id']}/agenda", headers=review.commission)  # noqa: E731 - three reads
    assert [i["filing_id"] for i in (await agenda(first)).json()["items"]] == []
    assert [i["filing_id"] for i in (await agenda(second)).json()["items"]] == [str(filing)]
    kept = (await agenda(held)).json()["items"]
    assert [(i["filing_id"], i["opinion"]["opinion"]) for i in kept] == [(str(filing), "adjourned")]  # the adjourned round stays
    changed = review.events("review.case.status_changed", filing)[-1]
    assert changed["status"] == "scheduled" and "Séance du" in changed["banner"]
    assert review.events("review.case.scheduled", filing)[-1]["session_id"] == second["id"]
    case = await review.case(filing, review.commission)
    assert case["timeline"][-1]["action"] == "reschedule" and case["allowed_actions"] == ["opinion", "reschedule"]

    # Held: a favourable opinion, corrected to unfavourable before the decision, audited.
    review.p.advance_clock(days=14)
    await review.post(f"/sessions/{second['id']}/opinions", {"filing_id": str(filing), "opinion": "favourable"}, review.commission, 201)
    correction = {
        "opinion": "unfavourable",
        "reasons": [{"criterion": "impact_emploi", "text": "Insertion non démontrée."}],
        "correction_reason": "Erreur de saisie : la commission a voté un avis défavorable.",
    }
    no_reason = await review.client.put(
        f"/api/review/sessions/{second['id']}/opinions/{filing}", json={**correction, "correction_reason": " "}, headers=review.commission
    )
    assert no_reason.status_code == 422, no_reason.text
    refused = await review.client.put(f"/api/review/sessions/{second['id']}/opinions/{filing}", json=correction, headers=review.director)
    assert refused.status_code == 403
    url = f"/api/review/sessions/{second['id']}/opinions/{filing}"
    corrected = await review.client.put(url, json=correction, headers=review.commission)
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["status"] == "unfavourable" and corrected.json()["opinion"] == "unfavourable"
    case = await review.case(filing, review.director)
    assert case["opinion"]["opinion"] == "unfavourable"
    assert case["allowed_actions"] == ["declare_inadmissible", "refuse", "withdraw_admissibility"]
    entry = case["timeline"][-1]
    assert entry["action"] == "correct_opinion" and entry["from_state"] == "favourable" and entry["to_state"] == "unfavourable"
    assert entry["reason"] == correction["correction_reason"] and entry["details"]["former_opinion"] == "favourable"
    assert review.events("review.case.opinion_given", filing)[-1]["opinion"] == "unfavourable"

    # After the decision, the opinion stands.
    await review.post(f"/cases/{filing}/decision", {"register": False, "motivation": "Avis défavorable."}, review.director)
    late = await review.client.put(f"/api/review/sessions/{second['id']}/opinions/{filing}", json=correction, headers=review.commission)
    assert late.status_code == 409, late.text
