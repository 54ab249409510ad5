"""A journey on real PostgreSQL and RabbitMQ: submission to registration, and the
sweeper returning an adjourned dossier to the next session."""

from __future__ import annotations

from datetime import timedelta

import pytest

from certreg_contracts.legal_dates import working_day_from
from review.jobs.audit_check import check_all

pytestmark = pytest.mark.infra


async def test_registration_and_adjournment_on_postgres_and_rabbitmq(review_on_infra):
    review = review_on_infra
    filing = await review.submit()
    adjourned = await review.submit(repertoire="rs", title="Habilitation travaux en hauteur")
    session = await review.to_scheduled(filing)
    await review.to_scheduled(adjourned)
    await review.post(f"/sessions/{session['id']}/opinions", {"filing_id": str(filing), "opinion": "favourable"}, review.commission, 201)
    due = working_day_from(review.today() + timedelta(days=3))  # a day off would move it
    await review.post(
        f"/sessions/{session['id']}/opinions",
        {
            "filing_id": str(adjourned),
            "opinion": "adjourned",
            "resubmission_due": due.isoformat(),
            "reasons": [{"criterion": "qualite_referentiels", "text": "À préciser."}],
        },
        review.commission,
        201,
    )
    decision = await review.post(f"/cases/{filing}/decision", {"register": True, "motivation": "Oui."}, review.director)
    await review.publish_jo(filing)
    assert decision["registration_number"] == "RNCP1"
    assert (await review.client.get("/api/review/registry/RNCP1")).status_code == 200

    review.p.advance_clock_to(due + timedelta(days=1))
    later = await review.new_session(review.today() + timedelta(days=10))
    assert (await review.sweep()).returned == [adjourned]
    case = await review.case(adjourned)
    assert case["status"] == "scheduled" and case["session"]["id"] == later["id"]
    assert check_all(review.ctx.engine) == (2, {})
