"""Renewals on review's side (issue 14), in both modes: the certifier is reminded 9 and 7
months before a registration ends (once each; not while a renewal is under way; a late sweep
sends only the nearest); a renewal filed 8 months before the end shows the differences from
the registered fiche (the same co-certifiers, one published under the name the entities
service knows, are no change) and the recommendations made at its registration; its decision
gives a new number linked to the former both ways (registry, feed, export.xml), the former
readable."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from certreg_contracts import legal_dates
from certreg_contracts.calendar import add_months
from certreg_contracts.events.filings import CoCertifier, CompetenceBlock, Fiche
from services.review.tests.conftest import Review

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "data" / "fiches-v4.1.xsd")))

BLOCKS = [
    CompetenceBlock(code="BC01", title="Concevoir", competences=["Analyser un besoin"], assessment_methods=["Étude de cas"]),
    CompetenceBlock(code="BC02", title="Développer", competences=["Coder"], assessment_methods=["Projet encadré"]),
]


# Co-certified: the filer, and a co-certifier review knows (verified below), named as typed.
CERTIFIERS = [
    CoCertifier(siret="73282932000074", name="Nous", filer=True),
    CoCertifier(siret="13002526500013", name="Université (nom saisi)"),
]


async def submit(review: Review, *, renews: str | None = None, nsf: tuple[str, ...] = ("326",), **fields: Any) -> uuid.UUID:
    fiche = Fiche(nsf_codes=list(nsf), former_numbers=[renews] if renews else [], certifiers=CERTIFIERS)
    return await review.submit(competences=["Analyser un besoin"], renews=renews, fiche=fiche, **fields)


async def register(review: Review, filing_id: uuid.UUID, *, reasons: list[dict[str, str]] | None = None) -> str:
    """Admissible with recommendations, a favourable opinion with its reasons, registered."""
    return await review.to_registered(filing_id, recommendations="Préciser les jurys de la VAE.", reasons=reasons)


def days_to(review: Review, day: date) -> int:
    return (day - review.today()).days


async def record(review: Review, number: str) -> dict[str, Any]:
    response = await review.client.get(f"/api/review/registry/{number}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_a_renewal_is_reminded_shows_its_diff_and_gets_a_new_linked_number(review_both: Review):
    review = review_both
    await review.verify_entity("Institut des métiers du numérique", "73282932000074")
    await review.verify_entity("Université de technologie", "13002526500013", uuid.uuid4())
    first = await submit(review, title="Concepteur d'applications", competence_blocks=BLOCKS, activities=["Concevoir", "Déployer"])
    reasons = [{"criterion": "controle_evaluation", "text": "Renforcer le contrôle des épreuves du bloc BC02."}]
    number = await register(review, first, reasons=reasons)
    end = date.fromisoformat((await record(review, number))["registration_end"])
    nine, seven = (d.day for d in legal_dates.renewal_reminders(end))
    assert (await review.sweep()).renewal_reminders == []

    # 9 months before the end: one reminder, once.
    review.p.advance_clock(days=days_to(review, nine) - 1)
    assert (await review.sweep()).renewal_reminders == []
    review.p.advance_clock(days=1)
    assert (await review.sweep()).renewal_reminders == [(number, 9)]
    assert (await review.sweep()).renewal_reminders == []
    [reminder] = review.events("review.registration.renewal_reminder_due")
    assert (reminder["registration_number"], reminder["months_before"], reminder["filing_id"]) == (number, 9, str(first))
    assert reminder["registration_end"] == end.isoformat()
    assert reminder["renewal_opens_on"] == add_months(end, -12).isoformat()

    # 8 months before the end, the renewal: a new request naming the registration.
    review.p.advance_clock(days=days_to(review, add_months(end, -8)))
    changed = [BLOCKS[0], CompetenceBlock(code="BC02", title="Développer", competences=["Coder", "Tester"], assessment_methods=["Projet"])]
    changed.append(CompetenceBlock(code="BC03", title="Déployer", competences=["Mettre en production"], assessment_methods=["Oral"]))
    renewal = await submit(
        review,
        title="Concepteur développeur d'applications",
        competence_blocks=changed,
        activities=["Concevoir", "Maintenir"],
        renews=number,
        nsf=("326", "326t"),
        recommendations_follow_up="Les jurys de la VAE sont précisés ; le bloc BC02 a une épreuve de plus.",
    )
    case = await review.case(renewal)
    shown = case["renewal"]
    assert shown["renews"] == number and shown["former"]["number"] == number and shown["former"]["status"] == "active"
    changes = {(c["field"], c["code"]): c for c in shown["changes"]}
    # The same co-certifiers as registered (there named as the entities service knows them): no change.
    assert set(changes) == {
        ("title", None),
        ("activities", None),
        ("competence_blocks", "BC02"),
        ("competence_blocks", "BC03"),
        ("nsf_codes", None),
    }
    assert changes[("nsf_codes", None)]["added"] == ["326t"]
    assert (changes[("title", None)]["before"], changes[("title", None)]["after"]) == (
        "Concepteur d'applications",
        "Concepteur développeur d'applications",
    )
    assert (changes[("activities", None)]["added"], changes[("activities", None)]["removed"]) == (["Maintenir"], ["Déployer"])
    assert changes[("competence_blocks", "BC02")]["change"] == "changed"
    assert changes[("competence_blocks", "BC03")]["change"] == "added"
    assert [(r["source"], r["text"]) for r in shown["recommendations"]] == [
        ("admissibility", "Préciser les jurys de la VAE."),
        ("opinion", "Renforcer le contrôle des épreuves du bloc BC02."),
        ("decision", "Oui."),
    ]
    assert "contrôle" in shown["recommendations"][1]["label"].lower()
    # Beside them, how the certifier says it followed them.
    assert shown["recommendations_follow_up"] == "Les jurys de la VAE sont précisés ; le bloc BC02 a une épreuve de plus."
    # The certifier's side sees it too.
    assert (await review.case(renewal, review.depositor))["renewal"]["renews"] == number

    # 7 months before: no reminder, a renewal is under way.
    review.p.advance_clock(days=days_to(review, seven))
    assert (await review.sweep()).renewal_reminders == []
    assert len(review.events("review.registration.renewal_reminder_due")) == 1

    # Its decision: a new number, linked both ways; the former stays readable.
    new_number = await register(review, renewal)
    assert new_number != number
    new, former = await record(review, new_number), await record(review, number)
    assert (new["renews"], new["renewed_by"]) == (number, None)
    assert [c["name"] for c in new["fiche"]["certifiers"]] == ["Institut des métiers du numérique", "Université de technologie"]
    assert (former["renews"], former["renewed_by"], former["status"]) == (None, new_number, "active")
    changes_feed = (await review.client.get("/api/review/registry/changes", params={"limit": 500})).json()["items"]
    assert [(c["number"], c["kind"]) for c in changes_feed if c["number"] in (number, new_number)][-2:] == [
        (new_number, "renewed"),
        (number, "updated"),
    ]
    document = etree.parse(io.BytesIO((await review.client.get("/api/review/registry/export.xml")).content))
    XSD.assertValid(document)
    fiches = {f.findtext("NUMERO_FICHE"): f for f in document.getroot().iterfind("FICHE")}
    assert fiches[new_number].findtext("ANCIENNES_CERTIFICATIONS/ANCIENNE_CERTIFICATION/ID_FICHE_ANCIENNE_CERTIFICATION") == number
    assert fiches[number].findtext("NOUVELLES_CERTIFICATIONS/NOUVELLE_CERTIFICATION/ID_FICHE_NOUVELLE_CERTIFICATION") == new_number
    assert fiches[new_number].find("NOUVELLES_CERTIFICATIONS") is None
    # Renewed, the former gets no more reminder; past its end it expires, still readable.
    review.p.advance_clock_to(end + timedelta(days=1))
    report = await review.sweep()
    assert number in report.expired and not [r for r in report.renewal_reminders if r[0] == number]
    assert (await record(review, number))["status"] == "expired"


async def test_a_late_sweep_sends_only_the_nearest_reminder(review_both: Review):
    review = review_both
    await review.verify_entity("Institut des métiers du numérique", "73282932000074")
    number = await register(review, await submit(review, title="Technicien réseaux", competence_blocks=BLOCKS, activities=["Installer"]))
    end = date.fromisoformat((await record(review, number))["registration_end"])
    # The sweeper did not run between 9 and 7 months before the end: one reminder, the 7 months'.
    review.p.advance_clock(days=days_to(review, add_months(end, -7)) + 10)
    assert (await review.sweep()).renewal_reminders == [(number, 7)]
    assert (await review.sweep()).renewal_reminders == []
    assert [
        e["months_before"] for e in review.events("review.registration.renewal_reminder_due") if e["registration_number"] == number
    ] == [7]
    # Past the end: none ever again.
    review.p.advance_clock(days=days_to(review, end + timedelta(days=2)))
    assert (await review.sweep()).renewal_reminders == []
