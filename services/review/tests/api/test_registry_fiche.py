"""The fiche a filing carries, as the registry publishes it: co-certifiers (named as the
entities service registered them when review knows them), NSF and ROME codes with their
labels, access routes with their juries, blocks with their assessment methods, statistics,
registration by right — on the record page, in export.xml (checked against the v4.1 XSD and
read back as reusers read it), in the CSV and in the NSF/ROME filters; both modes."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from certreg_contracts.events.filings import CompetenceBlock, Fiche
from certreg_testing.infra import unique_namespace
from certreg_testing.samples import random_siret, rncp_fiche
from services.review.tests.api.test_registry_export import CONTROL, XSD, csv_rows, file
from services.review.tests.conftest import Review, review_platform

BLOCKS = [
    CompetenceBlock(code="BC01", title="Concevoir", competences=["Analyser un besoin"], assessment_methods=["Étude de cas"]),
    CompetenceBlock(code="BC02", title="Développer", competences=["Coder"], assessment_methods=["Projet encadré", "Soutenance"]),
    CompetenceBlock(code="BC03", title="Déployer", competences=["Mettre en production"], assessment_methods=["Mise en situation"]),
]


@pytest.fixture(params=["embedded", "infra"])
async def registry(request: pytest.FixtureRequest, tmp_path: Path):
    overrides: dict[str, Any] = {}
    if request.param == "infra":
        overrides = {
            "database_url": request.getfixturevalue("postgres").database_url_template(),
            "amqp_url": request.getfixturevalue("amqp_url"),
            "bus_namespace": unique_namespace(),
        }
    async with review_platform(tmp_path, **overrides) as harness:
        yield harness


def fiche_of(content: bytes, number: str) -> etree._Element:
    for _, element in etree.iterparse(io.BytesIO(content), events=("end",)):
        if element.tag == "FICHE" and element.findtext("NUMERO_FICHE") == number:
            return element
    raise AssertionError(f"{number} not exported")


async def test_the_fiche_is_published_exported_and_filtered(registry: Review) -> None:
    filer_siret, partner_siret, unknown_siret = random_siret(), random_siret(), random_siret()
    partner_entity = uuid.uuid4()
    await registry.verify_entity("Institut du numérique", filer_siret)
    await registry.verify_entity("Université de Lorraine", partner_siret, entity_id=partner_entity)
    raw = rncp_fiche(filer_siret, partner_siret)
    raw["certifiers"] = [*raw["certifiers"], {"siret": unknown_siret, "name": "Lycée\x85 Jean Moulin"}]
    raw["former_numbers"] = ["RNCP31114"]
    number = await file(
        registry, repertoire="rncp", title="Concepteur développeur d'applications", competence_blocks=BLOCKS, fiche=Fiche(**raw)
    )

    # The record page: the co-certifier known to review under its registered name, the
    # unknown one under the name typed; codes with their labels.
    record = (await registry.client.get(f"/api/review/registry/{number}")).json()
    fiche = record["fiche"]
    assert [(c["siret"], c["name"], c["known"]) for c in fiche["certifiers"]] == [
        (filer_siret, "Institut du numérique", True),
        (partner_siret, "Université de Lorraine", True),
        (unknown_siret, "Lycée\x85 Jean Moulin", False),
    ]
    assert fiche["nsf"][0] == {"code": "326", "label": "Informatique, traitement de l'information, réseau de transmission des données"}
    assert [r["code"] for r in fiche["rome"]] == ["M1805", "M1810"] and fiche["rome"][0]["label"].startswith("Développeur")
    assert [b["assessment_methods"] for b in record["frameworks"]["competence_blocks"]][1] == ["Projet encadré", "Soutenance"]

    # export.xml: valid against the v4.1 XSD, and read back as a reuser reads it.
    content = (await registry.client.get("/api/review/registry/export.xml")).content
    assert not CONTROL.search(content)
    assert XSD.validate(etree.fromstring(content)), XSD.error_log
    element = fiche_of(content, number)
    assert [
        (c.findtext("SIRET_CERTIFICATEUR"), c.findtext("NOM_CERTIFICATEUR")) for c in element.iterfind("CERTIFICATEURS/CERTIFICATEUR")
    ] == [
        (filer_siret, "Institut du numérique"),
        (partner_siret, "Université de Lorraine"),
        (unknown_siret, "Lycée Jean Moulin"),
    ]
    assert [n.findtext("CODE") for n in element.iterfind("CODES_NSF/NSF")] == ["326", "326t"]
    assert [n.findtext("CODE") for n in element.iterfind("CODES_ROME/ROME")] == ["M1805", "M1810"]
    assert element.findtext("CODES_ROME/ROME/LIBELLE") == "Développeur / Développeuse informatique"
    juries = {
        tag: (element.findtext(f"{tag}/ACTIF"), element.findtext(f"{tag}/COMPOSITION"))
        for tag in ("SI_JURY_FC", "SI_JURY_VAE", "SI_JURY_FI")
    }
    assert juries == {
        "SI_JURY_FC": ("Oui", "Trois professionnels du secteur et un formateur"),
        "SI_JURY_VAE": ("Oui", "Deux professionnels du secteur et un représentant du certificateur"),
        "SI_JURY_FI": ("Non", None),
    }
    assert [(b.findtext("CODE"), b.findtext("MODALITES_EVALUATION")) for b in element.iterfind("BLOCS_COMPETENCES/BLOC_COMPETENCES")] == [
        (f"{number}BC01", "Étude de cas"),
        (f"{number}BC02", "Projet encadré\nSoutenance"),
        (f"{number}BC03", "Mise en situation"),
    ]
    assert [
        (s.findtext("ANNEE"), s.findtext("TAUX_INSERTION_GLOBAL_6MOIS"))
        for s in element.iterfind("STATISTIQUES_PROMOTIONS/STATISTIQUES_PROMOTION")
    ] == [
        ("2024", "81"),
        ("2025", "85"),
    ]
    assert element.findtext("ANCIENNES_CERTIFICATIONS/ANCIENNE_CERTIFICATION/ID_FICHE_ANCIENNE_CERTIFICATION") == "RNCP31114"
    assert element.findtext("SECTEURS_ACTIVITE") == "Édition de logiciels"
    assert element.findtext("REGLEMENTATIONS_ACTIVITES") == "Aucune réglementation de l'activité."
    tags = [child.tag for child in element]
    order = ["CAPACITES_ATTESTEES", "SECTEURS_ACTIVITE", "TYPE_EMPLOI_ACCESSIBLES", "CODES_ROME", "REGLEMENTATIONS_ACTIVITES", "SI_JURY_FI"]
    assert [tags.index(tag) for tag in order] == sorted(tags.index(tag) for tag in order)
    assert "CORRESPONDANCES" not in tags, "an equivalence names no block: no CORRESPONDANCE (docs/API-NOTES.md)"
    assert element.findtext("PREREQUIS_ENTREE_FORMATION") == "Niveau 4 ou expérience équivalente."
    assert element.findtext("TYPE_ENREGISTREMENT") == "Enregistrement sur demande" and element.find("DATE_EFFET") is None

    # The CSV carries the same fiche.
    [row] = [r for r in csv_rows((await registry.client.get("/api/review/registry/export.csv")).content) if r["numero_fiche"] == number]
    assert row["codes_nsf"] == "326\n326t" and row["codes_rome"] == "M1805\nM1810"
    assert row["certificateurs"].splitlines()[1] == f"{partner_siret} Université de Lorraine"
    assert row["voies_acces"].splitlines()[0] == "Formation continue : Trois professionnels du secteur et un formateur"

    # The registry's filters find it by its codes.
    for params in ({"nsf": "326t"}, {"rome": "M1810"}):
        found = (await registry.client.get("/api/review/registry", params=params)).json()
        assert number in [item["number"] for item in found["items"]], params
    other = (await registry.client.get("/api/review/registry", params={"rome": "A1101"})).json()
    assert number not in [item["number"] for item in other["items"]]


async def test_a_registration_by_right_says_so(registry: Review) -> None:
    await registry.verify_entity("Ministère du Travail", random_siret())
    fiche = Fiche(registration_type="by_right", by_right_basis="L6113-6", rome_codes=["H1208"])
    number = await file(registry, repertoire="rs", title="Habilitation électrique", fiche=fiche)
    content = (await registry.client.get("/api/review/registry/export.xml")).content
    assert XSD.validate(etree.fromstring(content)), XSD.error_log
    element = fiche_of(content, number)
    assert element.findtext("TYPE_ENREGISTREMENT") == "Enregistrement de droit"
    assert element.findtext("DATE_EFFET") is not None
