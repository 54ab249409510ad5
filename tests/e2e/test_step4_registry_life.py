"""Issue 14's journey on one filing, through the gateway, each service its own process on
PostgreSQL and RabbitMQ: an RNCP filing with two co-certifiers, three blocks with their
assessment methods, real NSF and ROME codes and two access routes (a code that does not exist
is refused, naming it) is registered; export.xml carries it, is valid against the v4.1 XSD and
is read back as a reuser reads it; a partner organisation added after registration appears in
the record, the change feed and the next incremental export; the certifier is reminded of the
renewal 9 months before the end (mail); the renewal filed 8 months before the end shows staff
the diff with the registered fiche, field by field and block by block, and the recommendations
made at the registration; its decision gives a new number linked to the former one both ways,
and the former stays readable as it was.

The services' clock is shared: this test moves it years ahead and leaves it there (dates are
always read from ``api.today()``); it is the last e2e module, on purpose."""

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

from .conftest import RNCP_FIELDS, Api, Person, eventually, expect
from .test_step3_review import Office

pytestmark = pytest.mark.e2e

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[2] / "services" / "review" / "tests" / "data" / "fiches-v4.1.xsd")))

BLOCKS = [
    {"code": "BC01", "title": "Concevoir une application", "competences": ["Analyser un besoin"], "assessment_methods": ["Étude de cas"]},
    {"code": "BC02", "title": "Développer", "competences": ["Coder une interface"], "assessment_methods": ["Projet", "Soutenance"]},
    {"code": "BC03", "title": "Déployer", "competences": ["Mettre en production"], "assessment_methods": ["Mise en situation"]},
]


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
def office(api: Api, staff: dict[str, Person], si_admin: Person) -> LifeOffice:
    return LifeOffice(api, staff, api.approved_manager(si_admin, "Institut déposant"))


def register(office: LifeOffice, filing_id: str) -> str:
    today = office.api.today()
    if today.month == 8:  # the commission does not sit in August
        office.advance((date(today.year, 9, 1) - today).days)
    session = office.to_scheduled(filing_id)
    office.post(f"/sessions/{session['id']}/opinions", {"filing_id": filing_id, "opinion": "favourable"}, office.commission, 201)
    decision = {"register": True, "motivation": "Conforme.", "years": 5}
    number: str = office.post(f"/cases/{filing_id}/decision", decision, office.director)["registration_number"]
    day = office.api.today().isoformat()
    jo = {"jo_date": day, "jo_reference": f"JORF texte n° {uuid.uuid4().hex[:4]}", "effective_date": day}
    office.post(f"/cases/{filing_id}/publication", jo, office.director)
    return number


def fiches(client: httpx.Client, **params: Any) -> dict[str, Any]:
    """export.xml, valid against the XSD, read back as a reuser reads it (streaming): its fiches by number."""
    content = expect_bytes(client.get("/api/review/registry/export.xml", params=params, timeout=60))
    XSD.assertValid(etree.parse(io.BytesIO(content)))
    return {f.findtext("NUMERO_FICHE"): f for _, f in etree.iterparse(io.BytesIO(content), events=("end",), tag="FICHE")}


def expect_bytes(response: httpx.Response) -> bytes:
    assert response.status_code == 200, response.text
    return response.content


def feed_after(client: httpx.Client, cursor: str) -> tuple[list[tuple[str, str]], str]:
    page = expect(client.get("/api/review/registry/changes", params={"cursor": cursor, "limit": 500}), 200)
    return [(c["number"], c["kind"]) for c in page["items"]], page["next_cursor"]


def test_co_certified_fiche_registered_exported_partnered_and_renewed(office: LifeOffice, api: Api, si_admin: Person) -> None:
    client = api.client
    co_certifier = api.approved_manager(si_admin, "Université partenaire")
    fiche = {
        "certifiers": [
            {"siret": office.certifier.siret, "name": "Nous", "filer": True},
            {"siret": co_certifier.siret, "name": "Université (nom saisi)", "filer": False},
        ],
        "nsf_codes": ["326", "326t"],
        "rome_codes": ["M1805", "M1810"],
        "access_routes": [
            {"route": "continuing_training", "jury": "Trois professionnels et un formateur"},
            {"route": "vae", "jury": "Deux professionnels et un représentant du certificateur"},
        ],
        "job_types": ["Développeur d'applications"],
        "statistics": [{"year": 2025, "certified": 40, "employed_6_months_rate": 82}],
    }
    title = f"Concepteur développeur {uuid.uuid4().hex[:6]}"
    body = {**RNCP_FIELDS, "competence_blocks": BLOCKS, "repertoire": "rncp", "title": title, "is_cqp": False, "rests_on_standards": False}

    # A code that does not exist is refused through the gateway, naming the field.
    bad = client.post("/api/filings", headers=office.depositor, json={**body, "fiche": {**fiche, "rome_codes": ["M1805", "Z9999"]}})
    assert bad.status_code == 422 and ["body", "fiche", "rome_codes", 1] in [e["loc"] for e in bad.json()["detail"]], bad.text

    # The co-certified fiche, filed and registered.
    filing_id = api.create_filing(office.depositor, **body, fiche=fiche)["filing_id"]
    api.upload_required_pieces(office.depositor, filing_id)
    expect(client.post(f"/api/filings/{filing_id}/submit", headers=office.depositor, json={"sworn_statement": True}), 202)
    api.case_reaches(office.reviewer, filing_id, "received")
    number = register(office, filing_id)
    registered = eventually(lambda: _registered(api, office.depositor, filing_id), "filings knows the registration")
    end = date.fromisoformat(registered["registration"]["end"])

    record = expect(client.get(f"/api/review/registry/{number}"), 200)
    certifiers = record["fiche"]["certifiers"]
    assert [c["siret"] for c in certifiers] == [office.certifier.siret, co_certifier.siret]
    assert certifiers[1]["known"] and certifiers[1]["name"].startswith("Université partenaire ")
    assert [r["code"] for r in record["fiche"]["rome"]] == ["M1805", "M1810"]

    # The whole export.xml: valid, read back, the fiche as filed.
    element = fiches(client)[number]
    assert element.findtext("INTITULE") == title
    names = [(c.findtext("SIRET_CERTIFICATEUR"), c.findtext("NOM_CERTIFICATEUR")) for c in element.iterfind("CERTIFICATEURS/CERTIFICATEUR")]
    assert [s for s, _ in names] == [office.certifier.siret, co_certifier.siret] and names[1][1] == certifiers[1]["name"]
    assert names[0][1] == record["certifier"]["name"]
    assert [n.findtext("CODE") for n in element.iterfind("CODES_NSF/NSF")] == ["326", "326t"]
    assert [n.findtext("CODE") for n in element.iterfind("CODES_ROME/ROME")] == ["M1805", "M1810"]
    assert element.findtext("SI_JURY_FC/ACTIF") == "Oui" and element.findtext("SI_JURY_VAE/COMPOSITION").startswith("Deux professionnels")
    assert element.findtext("SI_JURY_CA/ACTIF") == "Non"
    assert [(b.findtext("CODE"), b.findtext("MODALITES_EVALUATION")) for b in element.iterfind("BLOCS_COMPETENCES/BLOC_COMPETENCES")] == [
        (f"{number}BC01", "Étude de cas"),
        (f"{number}BC02", "Projet\nSoutenance"),
        (f"{number}BC03", "Mise en situation"),
    ]

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
    exported = fiches(client, since=since)[number]
    assert exported.findtext("EXISTENCE_PARTENAIRES") == "Oui"
    assert exported.findtext("PARTENAIRES/PARTENAIRE/SIRET_PARTENAIRE") == siret
    assert exported.findtext("PARTENAIRES/PARTENAIRE/HABILITATION_PARTENAIRE") == "HABILITATION_FORMER"
    assert len(list(exported.iterfind("CERTIFICATEURS/CERTIFICATEUR"))) == 2

    # Nine months before the end, the certifier is reminded (mail), once.
    nine = legal_dates.renewal_reminders(end)[0].day
    office.advance((nine - api.today()).days)
    assert "7 mois" in (mail := text_body(office.mail(f"Renouvellement de {number}"))) and title in mail

    # Eight months before the end: the renewal, a new request pre-filled from the fiche (both
    # certifiers, the three blocks) and naming it; the certifier changes the title, an
    # activity, a block's assessment methods and a ROME code.
    office.advance((add_months(end, -8) - api.today()).days)
    depositor = office.depositor
    renewal = expect(client.post(f"/api/filings/{filing_id}/renewal", headers=depositor), 201)
    renewal_id = renewal["filing_id"]
    assert renewal["renews"] == number and renewal["title"] == title
    assert [c["siret"] for c in renewal["fiche"]["certifiers"]] == [office.certifier.siret, co_certifier.siret]
    assert [b["code"] for b in renewal["competence_blocks"]] == ["BC01", "BC02", "BC03"]
    new_title = f"{title} (renouvellement)"
    methods = ["Projet", "Soutenance devant jury"]
    blocks = [{**b, "assessment_methods": methods} if b["code"] == "BC02" else b for b in renewal["competence_blocks"]]
    patch = {
        "title": new_title,
        "activities": [*renewal["activities"], "Maintenir une application"],
        "competence_blocks": blocks,
        "fiche": {**renewal["fiche"], "rome_codes": ["M1805", "M1806"]},
    }
    expect(client.patch(f"/api/filings/{renewal_id}", headers=depositor, json=patch), 200)
    api.upload_required_pieces(depositor, renewal_id)
    expect(client.post(f"/api/filings/{renewal_id}/submit", headers=depositor, json={"sworn_statement": True}), 202)

    # Review shows the diff with the registered fiche and the recommendations made then.
    shown = api.case_reaches(office.reviewer, renewal_id, "received")["renewal"]
    assert shown["renews"] == number
    changes = {(c["field"], c["code"]): c for c in shown["changes"]}
    assert set(changes) == {("title", None), ("activities", None), ("competence_blocks", "BC02"), ("rome_codes", None)}, changes
    assert (changes["title", None]["before"], changes["title", None]["after"]) == (title, new_title)
    assert changes["activities", None]["added"] == ["Maintenir une application"] and not changes["activities", None]["removed"]
    block = changes["competence_blocks", "BC02"]
    assert block["change"] == "changed" and block["before"]["assessment_methods"] == ["Projet", "Soutenance"]
    assert block["after"]["assessment_methods"] == ["Projet", "Soutenance devant jury"]
    assert (changes["rome_codes", None]["added"], changes["rome_codes", None]["removed"]) == (["M1806"], ["M1810"])
    assert [(r["source"], r["text"]) for r in shown["recommendations"]] == [("decision", "Conforme.")]

    # Its decision: a new number, linked to the former both ways, in the registry, the export
    # and the feed; the former stays readable, as it was registered.
    new_number = register(office, renewal_id)
    assert new_number != number
    new = expect(client.get(f"/api/review/registry/{new_number}"), 200)
    former = expect(client.get(f"/api/review/registry/{number}"), 200)
    assert new["renews"] == number and new["title"] == new_title and len(new["fiche"]["certifiers"]) == 2
    assert former["renewed_by"] == new_number and former["status"] == "active" and former["title"] == title
    assert [r["code"] for r in former["fiche"]["rome"]] == ["M1805", "M1810"]
    exported_now = fiches(client, since=api.today().isoformat())
    assert exported_now[new_number].findtext("ANCIENNES_CERTIFICATIONS/ANCIENNE_CERTIFICATION/ID_FICHE_ANCIENNE_CERTIFICATION") == number
    assert exported_now[number].findtext("NOUVELLES_CERTIFICATIONS/NOUVELLE_CERTIFICATION/ID_FICHE_NOUVELLE_CERTIFICATION") == new_number
    assert [n.findtext("CODE") for n in exported_now[new_number].iterfind("CODES_ROME/ROME")] == ["M1805", "M1806"]
    kinds = feed_after(client, cursor)[0]
    assert kinds.index((new_number, "renewed")) < kinds.index((number, "updated"), kinds.index((new_number, "renewed")))


def _registered(api: Api, headers: dict[str, str], filing_id: str) -> dict[str, Any]:
    filing = api.filing(headers, filing_id)
    assert filing["registration"], "filings has not heard of the registration yet"
    return filing
