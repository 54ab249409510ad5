"""The public registry's exports as reusers read them: ``export.xml`` in the shape of France
compétences' open-data fiches v4.1 (checked against ``tests/data/fiches-v4.1.xsd``, written from
the published description, see ``review.adapters.exports``), in both modes."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlmodel import col, select

from certreg_contracts.events.filings import AccessRoute, CoCertifier, CompetenceBlock, DocumentRef, Fiche, FilingSubmitted
from certreg_testing.infra import unique_namespace
from review.adapters.registry_feed import ROUTE_BITS, code_row
from review.adapters.tables import RegistryCode, RegistryEntry, RegistryRecord
from review.app import queries
from services.review.tests.conftest import Review, review_platform

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "data" / "fiches-v4.1.xsd")))
SIRET = "73282932000074"
CO_FILER = "13002526500013"
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


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


async def test_incremental_exports_give_what_changed_since_a_day_in_xml_and_csv(registry: Review):
    first = await file(registry, repertoire="rncp", title="Technicien\x01 réseaux", summary="=1+2\x85")
    registry.p.advance_clock(days=3)
    since = registry.today()
    second = await file(registry, repertoire="rs", title="Habilitation électrique")

    async def numbers(path: str, **params: str) -> list[str]:
        response = await registry.client.get(f"/api/review/registry/{path}", params=params)
        assert response.status_code == 200, response.text
        if path.endswith(".xml"):
            assert XSD.validate(etree.fromstring(response.content)), XSD.error_log
            return list(read_fiches(response.content))
        assert response.headers["content-type"].startswith("text/csv")
        assert not CONTROL.search(response.content)
        return [row["numero_fiche"] for row in csv_rows(response.content)]

    for path in ("export.xml", "export.csv"):
        assert await numbers(path) == [first, second]
        assert await numbers(path, since=since.isoformat()) == [second]
        assert await numbers(path, since=since.isoformat(), repertoire="rncp") == []

    # The certifier named later changes the first record: it is in the next incremental export.
    await registry.verify_entity("Lycée des métiers", SIRET)
    assert await numbers("export.csv", since=since.isoformat()) == [first, second]

    rows = {r["numero_fiche"]: r for r in csv_rows((await registry.client.get("/api/review/registry/export.csv")).content)}
    assert rows[first]["intitule"] == "Technicien réseaux"
    assert rows[first]["objectifs_contexte"] == "'=1+2", "a spreadsheet would run it as a formula"
    assert rows[first]["siret_certificateur"] == SIRET and rows[first]["actif"] == "Oui" and rows[first]["duree_enregistrement"] == "5"
    assert rows[second]["repertoire"] == "RS" and rows[second]["niveau"] == ""
    bad = await registry.client.get("/api/review/registry/export.xml", params={"since": "hier"})
    assert bad.status_code == 422


async def register_for(review: Review, years: int = 5, **filing: Any) -> str:
    filing_id = await review.submit(**filing)
    session = await review.to_scheduled(filing_id)
    await review.post(f"/sessions/{session['id']}/opinions", {"filing_id": str(filing_id), "opinion": "favourable"}, review.commission, 201)
    decision = await review.post(f"/cases/{filing_id}/decision", {"register": True, "motivation": "Oui.", "years": years}, review.director)
    number: str = decision["registration_number"]
    await review.publish_jo(filing_id)
    return number


async def feed(review: Review, limit: int = 2) -> list[tuple[str, str, str]]:
    """The whole change feed, followed page by page as a reuser does, from the start."""
    seen: list[tuple[str, str, str]] = []
    cursor = None
    while True:
        params = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        page = (await review.client.get("/api/review/registry/changes", params=params)).json()
        seen += [(c["number"], c["kind"], c["status"]) for c in page["items"]]
        if not page["items"]:
            assert page["next_cursor"] == (cursor or "0"), "an empty page keeps the reader where it is"
            return seen
        cursor = page["next_cursor"]


async def test_a_registration_expires_after_its_end_date_in_the_registry_its_exports_and_its_feed(registry: Review):
    number = await register_for(registry, years=1)
    other = await register_for(registry, years=2)
    record = (await registry.client.get(f"/api/review/registry/{number}")).json()
    end = date.fromisoformat(record["registration_end"])
    assert record["status"] == "active"

    # Its last day: still active.
    registry.p.advance_clock(days=(end - registry.today()).days)
    assert (await registry.client.get(f"/api/review/registry/{number}")).json()["status"] == "active"
    assert (await registry.sweep()).expired == []

    # The next day it has ended: the registry says so at once, the sweeper writes it down once.
    registry.p.advance_clock(days=1)
    assert (await registry.client.get(f"/api/review/registry/{number}")).json()["status"] == "expired"
    listed = {i["number"]: i["status"] for i in (await registry.client.get("/api/review/registry")).json()["items"]}
    assert listed == {number: "expired", other: "active"}
    fiches = read_fiches((await registry.client.get("/api/review/registry/export.xml")).content)
    assert (fiches[number]["actif"], fiches[other]["actif"]) == (False, True)
    assert (await registry.sweep()).expired == [number]
    assert (await registry.sweep()).expired == []
    csv_today = await registry.client.get("/api/review/registry/export.csv", params={"since": registry.today().isoformat()})
    assert [(r["numero_fiche"], r["etat"], r["actif"]) for r in csv_rows(csv_today.content)] == [(number, "expired", "Non")]

    assert await feed(registry) == [(number, "registered", "active"), (other, "registered", "active"), (number, "expired", "expired")]
    await registry.verify_entity("Organisme certificateur", SIRET)
    assert (await feed(registry, limit=500))[3:] == [(number, "updated", "expired"), (other, "updated", "active")]
    named = (await registry.client.get("/api/review/registry", params={"certifier": "organisme CERTIFICATEUR"})).json()
    assert [i["number"] for i in named["items"]] == [other, number], "the search knows the certifier named later"
    bad = await registry.client.get("/api/review/registry/changes", params={"cursor": "-1"})
    assert bad.status_code == 422


async def test_the_registry_searches_by_text_and_filters_by_repertoire_level_state_certifier_and_codes(
    registry: Review, monkeypatch: pytest.MonkeyPatch
):
    await registry.verify_entity("Académie du Numérique", SIRET)
    web = await register_for(registry, title="Développeur web et web mobile")
    rs = await register_for(registry, repertoire="rs", title="Habilitation électrique")
    registry.entity_id = uuid.uuid4()
    await registry.verify_entity("Lycée Jean Moulin", "55208131766522")
    old = await register_for(registry, years=1, title="Technicien réseaux")
    with registry.deps.uow() as uow:  # the filing does not carry its codes yet: as publication will write them
        web_record, old_record = uow.session.get_one(RegistryRecord, web), uow.session.get_one(RegistryRecord, old)
        uow.session.add_all([code_row(web_record, "nsf", "326"), code_row(web_record, "rome", "M1805")])
        uow.session.add(code_row(old_record, "nsf", "326"))
        uow.commit()
    registry.p.advance_clock(days=400)

    async def found(**params: Any) -> list[str]:
        response = await registry.client.get("/api/review/registry", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == len(page["items"])
        return [i["number"] for i in page["items"]]

    assert await found() == [old, web, rs]
    assert await found(q="DÉVELOPPEUR") == await found(q="développeur web") == [web]
    assert await found(repertoire="rs") == [rs]
    assert await found(level=6) == [old, web]
    assert await found(state="expired") == [old]
    assert await found(state="active") == [web, rs]
    assert await found(certifier=SIRET) == [web, rs]
    assert await found(certifier="jean moulin") == await found(certifier="55208131766522") == [old]
    assert await found(nsf="326") == [old, web]
    assert await found(nsf="326", state="active", rome="M1805", level=6, repertoire="rncp", q="web", certifier="numérique") == [web]
    assert await found(nsf="326", repertoire="rs") == []
    page = (await registry.client.get("/api/review/registry", params={"limit": 1, "offset": 1})).json()
    assert ([i["number"] for i in page["items"]], page["total"]) == ([web], 3)
    for field, value in (("nsf", "999"), ("rome", "Z9999")):
        response = await registry.client.get("/api/review/registry", params={field: value})
        error = response.json()
        assert response.status_code == 422 and error["code"] == "unknown_code" and error["detail"][0]["loc"] == ["query", field], error
    assert (await registry.client.get("/api/review/registry", params={"state": "perdu"})).status_code == 422

    # A co-certified fiche is found by any of its certifiers, the filer or a co-certifier,
    # by SIRET or by name (issue 14: "certifier (name or SIRET)").
    registry.entity_id = uuid.uuid4()
    await registry.verify_entity("Chambre de métiers de la Loire", CO_FILER)
    co = await file(
        registry,
        repertoire="rncp",
        title="Chef de chantier",
        fiche=Fiche(
            certifiers=[
                CoCertifier(siret=CO_FILER, name="Chambre de métiers de la Loire", filer=True),
                CoCertifier(siret="55208131766522", name="Lycée   Jean Moulin"),
            ],
            access_routes=[AccessRoute(route="vae", jury="Trois professionnels"), AccessRoute(route="apprenticeship", jury="Jury")],
        ),
    )
    assert await found(certifier="55208131766522") == await found(certifier=" Jean  MOULIN ") == [co, old]
    assert await found(certifier=CO_FILER) == await found(certifier="chambre de métiers") == [co]
    assert await found(certifier="loire\nlycée") == [], "a search never runs from one certifier's name into the next"

    # By an access route the fiche lists (issue 14), alone or with the other filters.
    assert await found(access_route="vae") == await found(access_route="apprenticeship") == [co]
    assert await found(access_route="vae", certifier="55208131766522", level=6) == [co]
    assert await found(access_route="initial_training") == await found(access_route="vae", repertoire="rs") == []
    assert await found(access_route="vae", state="active", q="chantier") == [co]
    with registry.deps.uow() as uow:  # one bit each in the search entry, no code rows to join
        assert uow.session.get_one(RegistryEntry, co).routes == ROUTE_BITS["vae"] | ROUTE_BITS["apprenticeship"]
        assert uow.session.get_one(RegistryEntry, web).routes == 0
        assert not uow.session.exec(select(RegistryCode).where(col(RegistryCode.number) == co, col(RegistryCode.kind) == "route")).all()
    response = await registry.client.get("/api/review/registry", params={"access_route": "par correspondance"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "access_route"], response.text

    # The total is exact up to a cap; past it the answer is "more than the cap" (a broad search
    # counts a bounded number of rows at 100k records), and the cap is never short of the page.
    async def counted(**params: Any) -> tuple[list[str], int, bool]:
        page = (await registry.client.get("/api/review/registry", params=params)).json()
        return [i["number"] for i in page["items"]], page["total"], page["total_is_lower_bound"]

    everything = [co, old, web, rs]
    assert await counted() == (everything, 4, False)
    assert await counted(limit=1, offset=2) == ([web], 4, False)
    assert await counted(offset=9) == ([], 4, False), "past the end: counted, not guessed from the empty page"
    monkeypatch.setattr(queries, "REGISTRY_COUNT_CAP", 2)
    assert await counted(limit=1) == ([co], 2, True)
    assert await counted(limit=3) == (everything[:3], 3, True), "the cap reaches the page's end: a next page is known"
    assert await counted(limit=1, offset=3) == ([rs], 4, False)
    assert await counted(limit=3, offset=2) == ([web, rs], 4, False), "a short page ends the list: its total is exact"
    assert await counted(offset=9) == ([], 4, False)
    assert await counted(level=6) == ([co, old, web], 3, False)
    assert await counted(level=6, limit=2) == ([co, old], 2, True)


async def test_a_cursor_past_every_possible_entry_gives_an_empty_page_not_a_500(review_both: Review):
    """Found by the schema fuzz (issue 11): the feed's cursor takes up to 18 digits, the
    ``seq`` column is a 32-bit integer on PostgreSQL — comparing them failed (500)."""
    for cursor in ("2147483646", "2147483647", "5213687820149", "999999999999999999"):
        response = await review_both.client.get("/api/review/registry/changes", params={"cursor": cursor, "limit": "5"})
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [], "next_cursor": cursor}
