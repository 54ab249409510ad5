"""The fiche through the API, embedded (SQLite) and on PostgreSQL: stored and shown as
sent, each bad value a 422 naming its field, a block without its assessment methods
stopping the submission, and the whole fiche carried by the submission event."""

from __future__ import annotations

import uuid
from typing import Any

from certreg_contracts.events.review import CaseRegistered, CaseStatusChanged
from certreg_testing.samples import RNCP_FILING, random_siret, rncp_fiche

BLOCKS = [
    {"code": "BC01", "title": "Concevoir", "competences": ["Analyser un besoin"], "assessment_methods": ["Étude de cas"]},
    {"code": "BC02", "title": "Développer", "competences": ["Coder"], "assessment_methods": ["Projet encadré", "Soutenance"]},
    {"code": "BC03", "title": "Déployer", "competences": ["Mettre en production"], "assessment_methods": ["Mise en situation"]},
]


def locs(response) -> dict[tuple[Any, ...], str]:
    return {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}


async def test_the_fiche_is_stored_checked_and_sent_with_the_submission(both_modes) -> None:
    h = both_modes
    dep = h.depositor()
    filer, partner = random_siret(), random_siret()
    fiche = rncp_fiche(filer, partner)
    filing = await h.create(dep, competence_blocks=BLOCKS, fiche=fiche)
    fid = filing["filing_id"]
    shown = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    assert shown["fiche"]["certifiers"] == fiche["certifiers"]
    assert shown["fiche"]["nsf_codes"] == ["326", "326t"] and shown["fiche"]["rome_codes"] == ["M1805", "M1810"]
    assert [r["route"] for r in shown["fiche"]["access_routes"]] == ["continuing_training", "vae"]
    assert shown["fiche"]["statistics"][0]["employed_6_months_rate"] == 81
    assert [b["assessment_methods"] for b in shown["competence_blocks"]][1] == ["Projet encadré", "Soutenance"]
    assert "fiche" in shown["editable_items"]
    assert shown["code_labels"]["rome"]["M1805"] == "Développeur / Développeuse informatique"

    # Bad values: a 422 naming each, and nothing stored.
    bad = {**fiche, "nsf_codes": ["326", "999"], "rome_codes": ["M1805", "Z9999"]}
    bad["certifiers"] = [fiche["certifiers"][0], {"siret": "12345678901234", "name": "Inconnu"}]
    response = await h.client.patch(f"/api/filings/{fid}", json={"fiche": bad}, headers=dep)
    assert response.status_code == 422, response.text
    assert {
        ("body", "fiche", "nsf_codes", 1),
        ("body", "fiche", "rome_codes", 1),
        ("body", "fiche", "certifiers", 1, "siret"),
    } <= set(locs(response))
    response = await h.client.patch(
        f"/api/filings/{fid}", json={"fiche": {**fiche, "registration_type": "by_right", "by_right_basis": "L6113-6"}}, headers=dep
    )
    assert response.status_code == 422 and ("body", "fiche", "by_right_basis") in locs(response), response.text
    response = await h.client.patch(f"/api/filings/{fid}", json={"fiche": None}, headers=dep)
    assert response.status_code == 422 and ("body", "fiche") in locs(response)
    assert (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()["fiche"] == shown["fiche"]

    # A block without its assessment methods stops the submission, named.
    blocks = [*BLOCKS[:2], {**BLOCKS[2], "assessment_methods": []}]
    assert (await h.client.patch(f"/api/filings/{fid}", json={"competence_blocks": blocks}, headers=dep)).status_code == 200
    await h.complete(dep, shown)
    response = await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers=dep)
    assert response.status_code == 422, response.text
    problems = locs(response)
    assert list(problems) == [("filing", "competence_blocks", 2, "assessment_methods")]
    assert "BC03" in problems[("filing", "competence_blocks", 2, "assessment_methods")]

    assert (await h.client.patch(f"/api/filings/{fid}", json={"competence_blocks": BLOCKS}, headers=dep)).status_code == 200
    response = await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers=dep)
    assert response.status_code == 202, response.text
    [event] = h.outbox("filings.filing.submitted")
    assert event["fiche"]["certifiers"] == fiche["certifiers"]
    assert event["fiche"]["nsf_codes"] == ["326", "326t"] and event["fiche"]["rome_codes"] == ["M1805", "M1810"]
    assert [r["route"] for r in event["fiche"]["access_routes"]] == ["continuing_training", "vae"]
    assert [len(b["assessment_methods"]) for b in event["competence_blocks"]] == [1, 2, 1]
    # Submitted: the fiche is locked like the rest.
    response = await h.client.patch(f"/api/filings/{fid}", json={"fiche": fiche}, headers=dep)
    assert response.status_code == 409, response.text


async def test_rs_fiche_by_right_for_a_state_habilitation(h) -> None:
    dep = h.depositor()
    fiche = {"registration_type": "by_right", "by_right_basis": "L6113-6", "rome_codes": ["H1208"]}
    filing = await h.create(dep, repertoire="rs", qualification_level=None, competence_blocks=[], fiche=fiche)
    assert filing["fiche"]["registration_type"] == "by_right" and filing["fiche"]["by_right_basis"] == "L6113-6"
    # An RNCP filing cannot rest on L.6113-6.
    response = await h.client.post(
        "/api/filings", json={"repertoire": "rncp", "title": "T", "qualification_level": 5, "fiche": fiche}, headers=dep
    )
    assert response.status_code == 422 and ("body", "fiche", "by_right_basis") in locs(response), response.text


async def test_numbers_named_by_the_fiche_must_exist_in_the_registry(both_modes) -> None:
    """A former certification or an equivalence named by an RNCP/RS number: a number this
    registry gave (review.case.registered), else a 422 naming the field."""
    h = both_modes
    dep = h.depositor()
    fiche = {"former_numbers": ["RNCP99001"], "equivalences": [{"label": "Sans numéro"}, {"number": "RS99002", "label": "Habilitation"}]}
    response = await h.client.post("/api/filings", json={**RNCP_FILING, "fiche": fiche}, headers=dep)
    assert response.status_code == 422, response.text
    assert set(locs(response)) == {("body", "fiche", "former_numbers", 0), ("body", "fiche", "equivalences", 1, "number")}
    assert "RS99002 n'existe pas au registre" in locs(response)[("body", "fiche", "equivalences", 1, "number")]

    for number, repertoire in (("RNCP99001", "rncp"), ("RS99002", "rs")):
        today = h.today()
        await h.publish(
            CaseRegistered(
                filing_id=uuid.uuid4(),
                entity_id=uuid.uuid4(),
                repertoire=repertoire,
                title="Certification enregistrée",
                registration_number=number,
                decision_date=today,
                registration_start=today,
                registration_end=today.replace(year=today.year + 5),
                motivation="Oui.",
                decided_by=uuid.uuid4(),
            )
        )
    created = await h.create(dep, fiche=fiche)
    assert created["fiche"]["former_numbers"] == ["RNCP99001"]
    # A PATCH is checked the same way.
    response = await h.client.patch(
        f"/api/filings/{created['filing_id']}", json={"fiche": {"equivalences": [{"number": "RNCP99003"}]}}, headers=dep
    )
    assert response.status_code == 422 and ("body", "fiche", "equivalences", 0, "number") in locs(response), response.text


async def test_each_round_shows_what_changed_since_the_previous_one(both_modes) -> None:
    """Field by field, block by block: the depositor before resubmitting (?current=true), and
    the depositor and staff on the round submitted (?round=)."""
    h = both_modes
    dep = h.depositor()
    fiche = rncp_fiche(random_siret(), random_siret())
    filing = await h.create(dep, competence_blocks=BLOCKS, fiche=fiche)
    fid = filing["filing_id"]
    await h.complete(dep, filing)
    assert (await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers=dep)).status_code == 202
    first = (await h.client.get(f"/api/filings/{fid}/changes", headers=dep)).json()
    assert first == {"from_round": None, "to_round": 1, "comparable": True, "changes": []}

    # Review reopens the blocks and the fiche; the depositor changes one block and the codes.
    common = {"filing_id": fid, "entity_id": str(h.entity_id), "repertoire": "rncp", "title": filing["title"]}
    await h.publish(
        CaseStatusChanged(**common, status="incomplete", editable_items=["competence_blocks", "fiche"], banner="Précisez", sequence=2)
    )
    blocks = [BLOCKS[0], {**BLOCKS[1], "assessment_methods": ["Projet encadré"]}, BLOCKS[2]]
    new_fiche = {
        **fiche,
        "rome_codes": ["M1805"],
        "access_routes": [*fiche["access_routes"], {"route": "apprenticeship", "jury": "Jury mixte"}],
    }
    patched = await h.client.patch(f"/api/filings/{fid}", json={"competence_blocks": blocks, "fiche": new_fiche}, headers=dep)
    assert patched.status_code == 200, patched.text
    pending = (await h.client.get(f"/api/filings/{fid}/changes", params={"current": "true"}, headers=dep)).json()
    expected = [
        (["competence_blocks", "BC02", "assessment_methods"], "changed", ["Projet encadré", "Soutenance"], ["Projet encadré"]),
        (["fiche", "rome_codes"], "changed", ["M1805", "M1810"], ["M1805"]),
        (["fiche", "access_routes", "apprenticeship"], "added", None, {"route": "apprenticeship", "jury": "Jury mixte"}),
    ]
    assert pending["from_round"] == 1 and pending["to_round"] is None
    assert [(c["path"], c["kind"], c["before"], c["after"]) for c in pending["changes"]] == expected
    assert pending["changes"][0]["label"] == "Blocs de compétences — BC02"

    assert (await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers=dep)).status_code == 202
    for who in (dep, h.staff()):
        second = (await h.client.get(f"/api/filings/{fid}/changes", headers=who)).json()
        assert second["from_round"] == 1 and second["to_round"] == 2
        assert [(c["path"], c["kind"], c["before"], c["after"]) for c in second["changes"]] == expected
    assert (await h.client.get(f"/api/filings/{fid}/changes", params={"round": 3}, headers=dep)).status_code == 404
    assert (await h.client.get(f"/api/filings/{fid}/changes", headers=h.depositor(uuid.uuid4()))).status_code == 404
