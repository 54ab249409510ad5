"""The public registry's exports as reusers read them: ``export.xml`` in the shape of France
compétences' open-data fiches v4.1 (checked against ``tests/data/fiches-v4.1.xsd``, written from
the published description, see ``review.adapters.exports``), in both modes."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from certreg_contracts.events.filings import CompetenceBlock, DocumentRef, FilingSubmitted
from certreg_testing.infra import unique_namespace
from services.review.tests.conftest import Review, review_platform

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "data" / "fiches-v4.1.xsd")))
SIRET = "73282932000074"
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")


@pytest.fixture(params=["embedded", "infra"])
async def registry(request: pytest.FixtureRequest, tmp_path: Path):
    """Review alone, on SQLite and the in-process bus, then on PostgreSQL and RabbitMQ."""
    overrides: dict[str, Any] = {}
    if request.param == "infra":
        postgres = request.getfixturevalue("postgres")
        overrides = {
            "database_url": postgres.database_url_template(),
            "amqp_url": request.getfixturevalue("amqp_url"),
            "bus_namespace": unique_namespace(),
        }
    async with review_platform(tmp_path, **overrides) as harness:
        yield harness


async def file(review: Review, *, repertoire: str, title: str, is_cqp: bool = False, **fields: Any) -> str:
    """A filing as filings would announce it, taken through to registration; its number."""
    filing_id = uuid.uuid4()
    values: dict[str, Any] = {
        "activities": ["Concevoir une application"],
        "competences": ["Analyser un besoin"],
        "competence_blocks": [],
        "assessment_methods": ["Mise en situation professionnelle"],
        "summary": "Former des concepteurs.",
        **fields,
    }
    await review.publish(
        FilingSubmitted(
            filing_id=filing_id,
            entity_id=review.entity_id,
            repertoire=repertoire,
            title=title,
            qualification_level=6 if repertoire == "rncp" else None,
            is_cqp=is_cqp,
            cqp_filed_by="cpne" if is_cqp else None,
            rests_on_standards=False,
            submission_round=1,
            submitted_by=review.depositor_id,
            submitted_at=datetime.now(UTC),
            documents=[
                DocumentRef(
                    document_id=uuid.uuid4(),
                    doc_type="competence_framework",
                    version=1,
                    sha256="a" * 64,
                    size=10,
                    content_type="application/pdf",
                    filename="ref.pdf",
                )
            ],
            **values,
        )
    )
    return await review.to_registered(filing_id)


def read_fiches(content: bytes) -> dict[str, dict[str, Any]]:
    """What a reuser keeps of each FICHE, read as they read the daily file: one FICHE at a time."""
    fiches: dict[str, dict[str, Any]] = {}
    version = None
    for _, element in etree.iterparse(io.BytesIO(content), events=("end",)):
        if element.tag == "VERSION_FLUX":
            version = element.text
        if element.tag != "FICHE":
            continue
        fiches[element.findtext("NUMERO_FICHE")] = {
            "intitule": element.findtext("INTITULE"),
            "abrege": element.findtext("ABREGE/CODE"),
            "niveau": element.findtext("NOMENCLATURE_EUROPE/NIVEAU"),
            "niveau_libelle": element.findtext("NOMENCLATURE_EUROPE/LIBELLE"),
            "certificateurs": [
                (c.findtext("SIRET_CERTIFICATEUR"), c.findtext("NOM_CERTIFICATEUR"))
                for c in element.iterfind("CERTIFICATEURS/CERTIFICATEUR")
            ],
            "activites": element.findtext("ACTIVITES_VISEES"),
            "date_decision": datetime.strptime(element.findtext("DATE_DECISION") or "", "%d/%m/%Y").date(),
            "duree": int(element.findtext("DUREE_ENREGISTREMENT") or 0),
            "fin": datetime.strptime(element.findtext("DATE_FIN_ENREGISTREMENT") or "", "%d/%m/%Y").date(),
            "type": element.findtext("TYPE_ENREGISTREMENT"),
            "blocs": [
                (b.findtext("CODE"), b.findtext("LIBELLE"), b.findtext("LISTE_COMPETENCES"))
                for b in element.iterfind("BLOCS_COMPETENCES/BLOC_COMPETENCES")
            ],
            "actif": element.findtext("ACTIF") == "Oui",
        }
        element.clear()
    assert version == "4.1"
    return fiches


async def test_the_xml_export_follows_the_v41_fiche_and_reads_back_as_reusers_read_it(registry: Review):
    await registry.verify_entity("Institut des métiers\x85 du numérique", SIRET)
    rncp = await file(
        registry,
        repertoire="rncp",
        title="Concepteur\x01 développeur\x7f d'applications",
        activities=["Concevoir\x0b une application", "Déployer une application"],
        competence_blocks=[CompetenceBlock(code="BC01", title="Concevoir\x1b", competences=["Analyser un besoin", "Modéliser"])],
    )
    rs = await file(registry, repertoire="rs", title="Sauveteur secouriste", is_cqp=True)

    response = await registry.client.get("/api/review/registry/export.xml")
    assert response.status_code == 200
    content = response.content
    assert not CONTROL.search(content), "a control character reached the export"
    document = etree.fromstring(content)
    assert XSD.validate(document), XSD.error_log

    today = registry.today()
    fiches = read_fiches(content)
    assert fiches[rncp] == {
        "intitule": "Concepteur développeur d'applications",
        "abrege": None,
        "niveau": "NIV6",
        "niveau_libelle": "Niveau 6",
        "certificateurs": [(SIRET, "Institut des métiers du numérique")],
        "activites": "Concevoir une application\nDéployer une application",
        "date_decision": today,
        "duree": 5,
        "fin": fiches[rncp]["fin"],
        "type": "Enregistrement sur demande",
        "blocs": [(f"{rncp}BC01", "Concevoir", "Analyser un besoin\nModéliser")],
        "actif": True,
    }
    assert fiches[rncp]["fin"].replace(year=today.year) == today and fiches[rncp]["fin"].year == today.year + 5
    assert fiches[rs]["abrege"] == "CQP" and fiches[rs]["niveau"] is None and fiches[rs]["blocs"] == []
