"""What the platform writes out, and what it lets in to write.

- Issue 11, point 10: ``cases.csv`` opened with the French ``;`` delimiter (or ``,``,
  tab, ``|``) has no cell a spreadsheet would run as a formula.
- Issue 11, point 11: control characters in free text are refused at input (a 422
  naming the field, on SQLite and PostgreSQL), and ``export.xml`` is well-formed
  whatever an older row holds.
- Issue 11, point 12: no answer the depositor's side reads carries the account id of a
  France compétences agent (``timeline[assign].details.instructor_id``,
  ``requests[].opened_by``)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import sqlalchemy as sa

from .catalogue import MEMBERS, POLICIES, SERVICES, operations, request_for
from .world import RNCP_FIELDS, World, expect

FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CONTROLS = ["\x00", "\x07", "\x0b", "\x1b[31m", "\x7f", "\x85", "\x9b", "\ufffe"]


# ---------------------------------------------------------------------------- point 10


async def test_cases_csv_has_no_formula_whatever_the_delimiter(world: World) -> None:
    await world.refresh()
    titles = ["Habilitation;=1+1", '=HYPERLINK("http://evil.example")', "Titre,+cmd|' /C calc'!A0", "Niveau\t-2+3", "Contact; @SUM(1)"]
    for title in titles:
        filing = expect(
            await world.client.post(
                "/api/filings",
                headers=world.a.manager,
                json={"repertoire": "rncp", "title": title, "is_cqp": False, "rests_on_standards": False, **RNCP_FIELDS},
            ),
            201,
        )
        assert filing["title"] == title.replace("\t", " ")
    # The titles reach review's case list through a submission.
    await world.filing(world.a, titles[0], submit=True)
    exported = await world.client.get("/api/review/cases.csv", headers=world.staff["reviewer"])
    assert exported.status_code == 200
    text = exported.text
    assert "Habilitation;'=1+1" in text
    cells = 0
    for delimiter in (";", ",", "\t", "|"):
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            for cell in row:
                cells += 1
                assert not cell.strip(' "').startswith(FORMULA_START), (delimiter, cell)
    # And read back as the comma-separated file it is, the title is whole.
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert any(r["Intitulé"] == "Habilitation;'=1+1" for r in rows)
    print(f"\ncases.csv: {cells} cells read with four delimiters, none a formula")


# ---------------------------------------------------------------------------- point 11


async def test_control_characters_are_refused_in_free_text(any_world: World) -> None:
    world = any_world
    await world.refresh()
    refused = 0
    targets: list[tuple[str, str, dict[str, str], dict[str, Any], str]] = [
        ("POST", "/api/filings", world.a.manager, {"repertoire": "rncp", "is_cqp": False, **RNCP_FIELDS}, "title"),
        ("PATCH", f"/api/filings/{world.a.draft_id}", world.a.manager, {}, "title"),
        ("PATCH", f"/api/filings/{world.a.draft_id}", world.a.manager, {}, "summary"),
        ("POST", f"/api/review/cases/{world.a.filing_id}/messages", world.a.manager, {}, "body"),
        ("POST", f"/api/review/cases/{world.a.filing_id}/messages", world.staff["instructor"], {"body": "x"}, "subject"),
    ]
    for method, path, headers, base, name in targets:
        for control in CONTROLS:
            response = await world.client.request(method, path, headers=headers, json={**base, name: f"Titre{control}suite"})
            assert response.status_code == 422, (path, name, repr(control), response.status_code, response.text)
            error = response.json()["detail"][0]
            assert error["loc"][-1] == name, error
            refused += 1
        # A list item too.
        response = await world.client.request(
            "PATCH", f"/api/filings/{world.a.draft_id}", headers=world.a.manager, json={"activities": ["Concevoir\x00"]}
        )
        assert response.status_code == 422
    # Tabs and line breaks pasted into a title become spaces; a message keeps its lines.
    patched = expect(
        await world.client.patch(f"/api/filings/{world.a.draft_id}", headers=world.a.manager, json={"title": "Titre\tsur\r\ndeux lignes"}),
        200,
    )
    assert patched["title"] == "Titre sur deux lignes"
    message = expect(
        await world.client.post(
            f"/api/review/cases/{world.a.filing_id}/messages", headers=world.a.manager, json={"body": "Ligne 1\r\nLigne 2\tfin"}
        ),
        201,
    )
    assert message["body"] == "Ligne 1\nLigne 2\tfin"
    # Query parameters of free text, too (PostgreSQL refuses a NUL in a query).
    for path, headers in (("/api/review/registry", {}), ("/api/review/cases", world.staff["reviewer"]), ("/api/filings", world.a.manager)):
        response = await world.client.get(path, params={"q": "abc\x00"}, headers=headers)
        assert response.status_code == 422, (path, response.text)
    response = await world.client.get("/api/review/registry/RNCP1%00")
    assert response.status_code == 422
    print(f"\ncontrol characters: {refused} free-text inputs refused with a 422 naming the field")


async def test_export_xml_is_well_formed_whatever_a_row_holds(any_world: World) -> None:
    world = any_world
    await world.refresh()
    # An older row, written before input was checked (PostgreSQL cannot hold NUL itself).
    runner = world.p.platform.runners["review"]
    records = runner.ctx.metadata.tables["registry_records"]
    dirty = "Certification\x0b avec\x1f des\x08 caractères\ufffe de contrôle"
    with runner.ctx.engine.begin() as conn:
        conn.execute(sa.update(records).where(records.c.number == world.b.registration_number).values(title=dirty))
    response = await world.client.get("/api/review/registry/export.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # raises on a document that is not well-formed
    titles = [f.findtext("INTITULE") for f in root.iter("FICHE")]
    assert "Certification avec des caractères de contrôle" in titles
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", response.content.decode())


# ---------------------------------------------------------------------------- point 12


async def test_no_agent_account_id_reaches_the_depositor(world: World) -> None:
    await world.refresh()
    # The case of A is assigned (timeline "assign"), and its instructor opens a request.
    await world.post_review(
        f"/cases/{world.a.filing_id}/requests",
        {"items": [{"question": "Précisez le public visé."}], "message": "Merci de préciser.", "due_date": _in_days(world, 40)},
        "instructor",
        201,
    )
    staff_ids = set(world.staff_ids.values())
    # Every read the depositor's side may make of entity A's objects.
    documents = {s: (await world.client.get(f"/api/{s}/openapi.json")).json() for s in SERVICES}
    reads = 0
    for method, path, _ in operations(documents):
        policy = POLICIES[(method, path)]
        if method != "GET" or not (policy.allowed & MEMBERS):
            continue
        for headers in (world.a.manager, world.a.depositor):
            request = request_for(world, method, path, world.a)
            response = await world.client.get(request.path, params=request.params, headers=headers)
            if response.status_code != 200 or "json" not in response.headers.get("content-type", ""):
                continue
            reads += 1
            leaked = [i for i in staff_ids if i in response.text]
            assert not leaked, f"{path} shows the depositor the agents' ids {leaked}: {response.text[:500]}"
    case = expect(await world.client.get(f"/api/review/cases/{world.a.filing_id}", headers=world.a.depositor), 200)
    assign = next(e for e in case["timeline"] if e["action"] == "assign")
    assert "instructor_id" not in assign["details"]
    assert case["requests"] and all("opened_by" not in r for r in case["requests"])
    # The staff still see them.
    staff_view = expect(await world.client.get(f"/api/review/cases/{world.a.filing_id}", headers=world.staff["reviewer"]), 200)
    assert next(e for e in staff_view["timeline"] if e["action"] == "assign")["details"]["instructor_id"] == world.staff_ids["instructor"]
    assert staff_view["requests"][0]["opened_by"] == world.staff_ids["instructor"]
    print(f"\nagents' ids: {reads} JSON answers read by entity A's members, none carries one")


def _in_days(world: World, days: int) -> str:
    from datetime import timedelta

    return (world.today() + timedelta(days=days)).isoformat()
