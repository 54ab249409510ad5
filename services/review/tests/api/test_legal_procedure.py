"""Issue 12: the procedure right in law, in both modes (embedded, PostgreSQL + RabbitMQ)."""

from __future__ import annotations

from datetime import date, timedelta

from certreg_contracts import legal_dates
from certreg_contracts.calendar import add_months


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
