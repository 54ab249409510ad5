"""Issue 14, the fiche, through the gateway on the distributed platform: an RNCP filing with
two co-certifiers, three blocks with their assessment methods, real NSF and ROME codes and two
access routes is registered, and the public record and export.xml (checked against the v4.1
XSD and read back as a reuser reads it) carry them."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import httpx
import pytest
from lxml import etree

from .conftest import RNCP_FIELDS, Api, Person, expect
from .test_step3_review import Office

pytestmark = pytest.mark.e2e

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[2] / "services" / "review" / "tests" / "data" / "fiches-v4.1.xsd")))

BLOCKS = [
    {"code": "BC01", "title": "Concevoir une application", "competences": ["Analyser un besoin"], "assessment_methods": ["Étude de cas"]},
    {"code": "BC02", "title": "Développer", "competences": ["Coder une interface"], "assessment_methods": ["Projet", "Soutenance"]},
    {"code": "BC03", "title": "Déployer", "competences": ["Mettre en production"], "assessment_methods": ["Mise en situation"]},
]


@pytest.fixture
def fiche_office(api: Api, staff: dict[str, Person], si_admin: Person) -> Office:
    return Office(api, staff, api.approved_manager(si_admin, "Institut déposant"))


def test_an_rncp_fiche_is_registered_and_exported_as_filed(fiche_office: Office, api: Api, si_admin: Person) -> None:
    office, client = fiche_office, api.client
    partner = api.approved_manager(si_admin, "Université partenaire")
    fiche = {
        "certifiers": [
            {"siret": office.certifier.siret, "name": "Nous", "filer": True},
            {"siret": partner.siret, "name": "Université (nom saisi)", "filer": False},
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

    # Bad values are refused through the gateway, naming the field.
    bad = client.post("/api/filings", headers=office.depositor, json={**body, "fiche": {**fiche, "rome_codes": ["M1805", "Z9999"]}})
    assert bad.status_code == 422 and ["body", "fiche", "rome_codes", 1] in [e["loc"] for e in bad.json()["detail"]], bad.text

    filing = api.create_filing(office.depositor, **body, fiche=fiche)
    filing_id = filing["filing_id"]
    api.upload_required_pieces(office.depositor, filing_id)
    expect(client.post(f"/api/filings/{filing_id}/submit", headers=office.depositor, json={"sworn_statement": True}), 202)
    api.case_reaches(office.reviewer, filing_id, "received")
    session = office.to_scheduled(filing_id)
    office.post(f"/sessions/{session['id']}/opinions", {"filing_id": filing_id, "opinion": "favourable"}, office.commission, 201)
    number = office.post(f"/cases/{filing_id}/decision", {"register": True, "motivation": "Avis favorable.", "years": 5}, office.director)[
        "registration_number"
    ]
    today = api.today().isoformat()
    office.post(
        f"/cases/{filing_id}/publication", {"jo_date": today, "jo_reference": "JORF test", "effective_date": today}, office.director
    )

    record = expect(httpx.get(f"{api.platform.base_url}/api/review/registry/{number}"), 200)
    certifiers = record["fiche"]["certifiers"]
    assert [c["siret"] for c in certifiers] == [office.certifier.siret, partner.siret]
    assert certifiers[1]["known"] and certifiers[1]["name"].startswith("Université partenaire ")
    assert [r["code"] for r in record["fiche"]["rome"]] == ["M1805", "M1810"]

    content = httpx.get(f"{api.platform.base_url}/api/review/registry/export.xml", timeout=60).content
    assert XSD.validate(etree.fromstring(content)), XSD.error_log
    [element] = [
        e for _, e in etree.iterparse(io.BytesIO(content), events=("end",)) if e.tag == "FICHE" and e.findtext("NUMERO_FICHE") == number
    ]
    assert element.findtext("INTITULE") == title
    names = [(c.findtext("SIRET_CERTIFICATEUR"), c.findtext("NOM_CERTIFICATEUR")) for c in element.iterfind("CERTIFICATEURS/CERTIFICATEUR")]
    assert [s for s, _ in names] == [office.certifier.siret, partner.siret] and names[1][1] == certifiers[1]["name"]
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
