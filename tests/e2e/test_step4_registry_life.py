"""A registered certification's life (issue 14) through the gateway, each service its own
process on PostgreSQL and RabbitMQ: a partner organisation added after registration appears in
the registry, the change feed and the next incremental export; the certifier is reminded of
the renewal 9 months before the end (mail); a renewal filed 8 months before the end shows the
diff in review and its decision gives a new number linked to the former one both ways.

The services' clock is shared: this test moves it years ahead and leaves it there (dates are
always read from ``api.today()``)."""

from __future__ import annotations

import io
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from certreg_contracts import legal_dates
from certreg_contracts.calendar import add_months
from certreg_testing.infra import text_body
from certreg_testing.samples import random_siret

from .conftest import Api, Person, eventually, expect
from .test_step3_review import Office

pytestmark = pytest.mark.e2e

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[2] / "services" / "review" / "tests" / "data" / "fiches-v4.1.xsd")))


@pytest.fixture(scope="module")
def certifier(platform, smtp_sink, si_admin) -> Person:
    with httpx.Client(base_url=platform.base_url, timeout=30) as client:
        return Api(client, platform, smtp_sink).approved_manager(si_admin, "Institut des certifications renouvelées")


class LifeOffice(Office):
    """The office, which logs everyone in again after the clock moved (tokens live 15 minutes)."""

    def __init__(self, api: Api, staff: dict[str, Person], certifier: Person) -> None:
        super().__init__(api, staff, certifier)
        self.staff = staff

    def advance(self, days: int) -> None:
        self.api.platform.advance_clock(days=days)
        self.reviewer, self.instructor = self.api.login(self.staff["reviewer"]), self.api.login(self.staff["instructor"])
        self.commission, self.director = self.api.login(self.staff["commission"]), self.api.login(self.staff["director"])
        self.depositor = self.api.login(self.certifier)


@pytest.fixture
def office(api: Api, staff: dict[str, Person], certifier: Person) -> LifeOffice:
    return LifeOffice(api, staff, certifier)


def register(office: LifeOffice, filing_id: str) -> str:
    today = office.api.today()
    if today.month == 8:  # the commission does not sit in August
        office.advance((date(today.year, 9, 1) - today).days)
    session = office.to_scheduled(filing_id)
    office.post(f"/sessions/{session['id']}/opinions", {"filing_id": filing_id, "opinion": "favourable"}, office.commission, 201)
    number: str = office.post(f"/cases/{filing_id}/decision", {"register": True, "motivation": "Conforme."}, office.director)[
        "registration_number"
    ]
    day = office.api.today().isoformat()
    jo = {"jo_date": day, "jo_reference": f"JORF texte n° {uuid.uuid4().hex[:4]}", "effective_date": day}
    office.post(f"/cases/{filing_id}/publication", jo, office.director)
    return number


def fiches(client: httpx.Client, **params: Any) -> dict[str, Any]:
    document = etree.parse(io.BytesIO(expect_bytes(client.get("/api/review/registry/export.xml", params=params))))
    XSD.assertValid(document)
    return {f.findtext("NUMERO_FICHE"): f for f in document.getroot().iterfind("FICHE")}


def expect_bytes(response: httpx.Response) -> bytes:
    assert response.status_code == 200, response.text
    return response.content


def feed_after(client: httpx.Client, cursor: str) -> tuple[list[tuple[str, str]], str]:
    page = expect(client.get("/api/review/registry/changes", params={"cursor": cursor, "limit": 500}), 200)
    return [(c["number"], c["kind"]) for c in page["items"]], page["next_cursor"]


def test_partner_after_registration_then_renewal_with_a_new_linked_number(office: LifeOffice) -> None:
    api, client = office.api, office.api.client
    filing_id, title = office.filing("rncp", "Concepteur d'applications")
    number = register(office, filing_id)
    filing = eventually(lambda: _registered(api, office.depositor, filing_id), "filings knows the registration")
    end = date.fromisoformat(filing["registration"]["end"])

    # Two days later, a partner organisation: in the record, the feed, the next incremental export.
    office.advance(2)
    since = api.today().isoformat()
    _, cursor = feed_after(client, "0")
    assert number not in fiches(client, since=since)
    siret = random_siret()
    partner = {"siret": siret, "name": "Centre de formation partenaire", "scope": "preparation"}
    added = office.post(f"/registry/{number}/partners", partner, office.depositor, 201)
    assert added["late"] is False and added["partner"]["since"] == since
    record = expect(client.get(f"/api/review/registry/{number}"), 200)
    assert [(p["siret"], p["state"]) for p in record["partners"]] == [(siret, "active")]
    assert (number, "updated") in feed_after(client, cursor)[0]
    fiche = fiches(client, since=since)[number]
    assert fiche.findtext("EXISTENCE_PARTENAIRES") == "Oui"
    assert fiche.findtext("PARTENAIRES/PARTENAIRE/SIRET_PARTENAIRE") == siret
    assert fiche.findtext("PARTENAIRES/PARTENAIRE/HABILITATION_PARTENAIRE") == "HABILITATION_FORMER"

    # Nine months before the end, the certifier is reminded (mail), once.
    nine = legal_dates.renewal_reminders(end)[0].day
    office.advance((nine - api.today()).days)
    body = text_body(office.mail(f"Renouvellement de {number}"))
    assert "7 mois" in body and title in body

    # Eight months before the end: the renewal, a new request pre-filled and naming it.
    office.advance((add_months(end, -8) - api.today()).days)
    depositor = office.depositor
    renewal = expect(client.post(f"/api/filings/{filing_id}/renewal", headers=depositor), 201)
    renewal_id = renewal["filing_id"]
    assert renewal["renews"] == number and renewal["title"] == title
    new_title = f"{title} (renouvellement)"
    activities = [*renewal["activities"], "Maintenir une application"]
    expect(client.patch(f"/api/filings/{renewal_id}", headers=depositor, json={"title": new_title, "activities": activities}), 200)
    api.upload_required_pieces(depositor, renewal_id)
    expect(client.post(f"/api/filings/{renewal_id}/submit", headers=depositor, json={"sworn_statement": True}), 202)
    case = api.case_reaches(office.reviewer, renewal_id, "received")
    shown = case["renewal"]
    assert shown["renews"] == number
    changes = {c["field"]: c for c in shown["changes"]}
    assert (changes["title"]["before"], changes["title"]["after"]) == (title, new_title)
    assert changes["activities"]["added"] == ["Maintenir une application"]
    assert [r["source"] for r in shown["recommendations"]] == ["decision"]

    # Its decision: a new number, linked to the former both ways, in the registry and the export.
    new_number = register(office, renewal_id)
    assert new_number != number
    new = expect(client.get(f"/api/review/registry/{new_number}"), 200)
    former = expect(client.get(f"/api/review/registry/{number}"), 200)
    assert new["renews"] == number and former["renewed_by"] == new_number and former["status"] == "active"
    exported = fiches(client, since=api.today().isoformat())
    assert exported[new_number].findtext("ANCIENNES_CERTIFICATIONS/ANCIENNE_CERTIFICATION/ID_FICHE_ANCIENNE_CERTIFICATION") == number
    assert exported[number].findtext("NOUVELLES_CERTIFICATIONS/NOUVELLE_CERTIFICATION/ID_FICHE_NOUVELLE_CERTIFICATION") == new_number
    kinds = feed_after(client, cursor)[0]
    assert kinds.index((new_number, "renewed")) < kinds.index((number, "updated"), kinds.index((new_number, "renewed")))


def _registered(api: Api, headers: dict[str, str], filing_id: str) -> dict[str, Any]:
    filing = api.filing(headers, filing_id)
    assert filing["registration"], "filings has not heard of the registration yet"
    return filing
