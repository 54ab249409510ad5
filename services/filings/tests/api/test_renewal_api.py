"""A registration's renewal, filed as a new request naming it (issue 14): it opens
``CERTREG_RENEWAL_WINDOW_MONTHS`` before the end date (12 by default) and closes on it, is
drafted from the registered filing's content (frameworks and the whole fiche), one at a time,
and its submission names the registration it renews. Embedded (SQLite) and on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from certreg_contracts.calendar import add_months
from certreg_contracts.events.review import CaseRegistered
from certreg_testing.samples import random_siret, rncp_fiche

BLOCKS = [
    {"code": "BC01", "title": "Concevoir", "competences": ["Analyser un besoin"], "assessment_methods": ["Étude de cas"]},
    {"code": "BC02", "title": "Développer", "competences": ["Coder"], "assessment_methods": ["Projet encadré"]},
]


async def registered(h: Any, dep: dict[str, str], number: str, *, years: int = 5) -> tuple[dict[str, Any], dt.date]:
    """A filing submitted, then registered as review announces it; the filing and its end date."""
    filing = await h.create(dep, competence_blocks=BLOCKS, fiche=rncp_fiche(random_siret(), random_siret()))
    await h.complete(dep, filing)
    response = await h.client.post(f"/api/filings/{filing['filing_id']}/submit", json={"sworn_statement": True}, headers=dep)
    assert response.status_code == 202, response.text
    start = h.today()
    end = add_months(start, 12 * years) - dt.timedelta(days=1)
    await h.publish(
        CaseRegistered(
            filing_id=uuid.UUID(filing["filing_id"]),
            entity_id=h.entity_id,
            repertoire="rncp",
            title=filing["title"],
            registration_number=number,
            decision_date=start,
            registration_start=start,
            registration_end=end,
            motivation="Oui.",
            decided_by=uuid.uuid4(),
        )
    )
    return filing, end


async def test_a_renewal_opens_in_its_window_is_drafted_from_the_registration_and_names_it(both_modes) -> None:
    h = both_modes
    dep = h.depositor()
    filing, end = await registered(h, dep, "RNCP41001")
    fid = filing["filing_id"]
    shown = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    opens_on = add_months(end, -12)
    assert shown["registration"] == {
        "number": "RNCP41001",
        "start": h.today().isoformat(),
        "end": end.isoformat(),
        "renewal_opens_on": opens_on.isoformat(),
        "renewal_id": None,
        "renewal_state": "not_open",
    }

    # Too early: the day it opens is said.
    early = await h.client.post(f"/api/filings/{fid}/renewal", headers=dep)
    assert early.status_code == 409 and early.json()["code"] == "renewal_not_open", early.text
    assert early.json()["opens_on"] == opens_on.isoformat()
    h.p.advance_clock(days=(opens_on - h.today()).days - 1)
    assert (await h.client.post(f"/api/filings/{fid}/renewal", headers=dep)).json()["code"] == "renewal_not_open"
    # Another entity's registration is not found; a draft is not registered.
    assert (await h.client.post(f"/api/filings/{fid}/renewal", headers=h.depositor(uuid.uuid4()))).status_code == 404
    draft = await h.create(dep)
    assert (await h.client.post(f"/api/filings/{draft['filing_id']}/renewal", headers=dep)).json()["code"] == "not_registered"
    # How the recommendations were followed: a renewal's only.
    follow = {"recommendations_follow_up": "Les jurys de la VAE sont désormais précisés."}
    refused = await h.client.patch(f"/api/filings/{draft['filing_id']}", json=follow, headers=dep)
    assert refused.status_code == 422 and refused.json()["detail"][0]["type"] == "not_a_renewal", refused.text
    assert refused.json()["detail"][0]["loc"][-1] == "recommendations_follow_up"

    # Eight months before the end: open. Twins make one renewal.
    h.p.advance_clock(days=(add_months(end, -8) - h.today()).days)
    answers = await asyncio.gather(*[h.client.post(f"/api/filings/{fid}/renewal", headers=dep) for _ in range(3)])
    assert sorted(a.status_code for a in answers) == [201, 409, 409], [a.text for a in answers]
    renewal = next(a.json() for a in answers if a.status_code == 201)
    assert {a.json()["code"] for a in answers if a.status_code == 409} <= {"renewal_exists", "concurrent_update"}
    again = await h.client.post(f"/api/filings/{fid}/renewal", headers=dep)
    assert again.status_code == 409 and again.json()["code"] == "renewal_exists" and again.json()["filing_id"] == renewal["filing_id"]

    # Drafted from the registered content; it names what it renews.
    assert renewal["status"] == "draft" and renewal["renews"] == "RNCP41001" and renewal["registration"] is None
    assert renewal["filing_id"] != fid
    for name in ("title", "repertoire", "qualification_level", "summary", "activities", "competences", "assessment_methods"):
        assert renewal[name] == shown[name], name
    assert renewal["competence_blocks"] == shown["competence_blocks"]
    assert renewal["fiche"] == {**shown["fiche"], "former_numbers": ["RNCP41001"]}
    assert renewal["requirements"] and not any(line["provided"] for line in renewal["requirements"])  # the pieces are sent again
    former = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    assert former["registration"]["renewal_id"] == renewal["filing_id"] and former["registration"]["renewal_state"] == "open"

    # The certifier says how it followed the recommendations made at the registration.
    assert renewal["recommendations_follow_up"] is None
    patched = await h.client.patch(f"/api/filings/{renewal['filing_id']}", json=follow, headers=dep)
    assert patched.status_code == 200 and patched.json()["recommendations_follow_up"] == follow["recommendations_follow_up"], patched.text

    # Submitted, it tells review which registration it renews, and how it followed its recommendations.
    await h.complete(dep, renewal)
    response = await h.client.post(f"/api/filings/{renewal['filing_id']}/submit", json={"sworn_statement": True}, headers=dep)
    assert response.status_code == 202, response.text
    event = h.outbox("filings.filing.submitted", filing_id=renewal["filing_id"])[-1]
    assert event["renews"] == "RNCP41001" and event["fiche"]["former_numbers"] == ["RNCP41001"]
    assert event["recommendations_follow_up"] == follow["recommendations_follow_up"]

    # Past its end date, a registration is no longer renewed.
    h.p.advance_clock_to(end + dt.timedelta(days=1))
    late = await h.client.post(f"/api/filings/{fid}/renewal", headers=dep)
    assert late.status_code == 409 and late.json()["code"] == "registration_ended", late.text
    assert (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()["registration"]["renewal_state"] == "ended"
