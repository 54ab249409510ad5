"""Issue 12, point 1, in the browser: a bulletin n°3 valid when the dossier was filed
ages past three months during instruction; the depositor still answers the instructor's
request from the portal. When the instructor asks for a fresh bulletin, the portal says
so, gives the dates in words, and accepts a recent one.

The accounts, the filing and the staff's actions go through the API (test_journey clicks
them all); the depositor's part is clicked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from certreg_contracts.legal_dates import dated_piece_expiry, french_date

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, check_accessibility, screenshot
from .helpers import PASSWORD, PDF, api_token, approved_certifier, error_of, login, pdf_file, reload_until, staff_member, tick

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Conducteur de travaux en hauteur"


def test_a_bulletin_valid_at_filing_does_not_block_the_answer(page, platform, tmp_path, request):
    base = platform.base_url
    admin = api_token(platform, ADMIN_EMAIL, ADMIN_PASSWORD)
    certifier = approved_certifier(platform, admin, "Organisme des pièces datées")
    reviewer, _ = staff_member(platform, admin, "reviewer", "Rémi", "Contrôle")
    instructor, instructor_id = staff_member(platform, admin, "instructor", "Inès", "Instruction")
    dep, rev, ins = api_token(platform, certifier), api_token(platform, reviewer), api_token(platform, instructor)

    # Filed today with a bulletin dated 80 days ago: valid, not for long.
    today = datetime.now(PARIS).date()
    bulletin = today - timedelta(days=80)
    filing = httpx.post(
        f"{base}/api/filings",
        headers=dep,
        json={
            "repertoire": "rncp", "title": TITLE, "qualification_level": 4, "is_cqp": False, "rests_on_standards": False,
            "activities": ["Conduire un chantier"], "competences": ["Organiser un chantier"],
            "competence_blocks": [
                {"code": "BC01", "title": "Organiser", "competences": ["Organiser un chantier"],
                 "assessment_methods": ["Mise en situation professionnelle"]}
            ],
            "assessment_methods": ["Mise en situation"],
        },
    ).json()  # fmt: skip
    fid = filing["filing_id"]
    for line in filing["requirements"]:
        if line["required"]:
            params = {"document_date": bulletin.isoformat()} if line["dated"] else {}
            up = httpx.post(
                f"{base}/api/filings/{fid}/documents/{line['doc_type']}",
                headers=dep,
                params=params,
                files={"file": ("p.pdf", PDF, "application/pdf")},
            )
            assert up.status_code == 201, up.text
    assert httpx.post(f"{base}/api/filings/{fid}/submit", headers=dep, json={"sworn_statement": True}).status_code == 202

    def review(path: str, body: dict[str, Any], headers: dict[str, str], status: int = 200) -> None:
        for _ in range(80):  # review opens the case when the submission's event arrives
            answer = httpx.post(f"{base}/api/review/cases/{fid}{path}", headers=headers, json=body)
            if answer.status_code != 404:
                break
            page.wait_for_timeout(250)
        assert answer.status_code == status, answer.text

    review("/completeness", {"complete": True, "missing": [], "message": ""}, rev)
    review("/admissibility", {"admissible": True}, rev)
    review("/assignment", {"instructor_id": instructor_id}, rev)
    due = (today + timedelta(days=40)).isoformat()
    review(
        "/requests",
        {"items": [{"question": "Précisez l'encadrement des stagiaires."}], "message": "Une précision.", "due_date": due},
        ins,
        201,
    )

    # Twenty days later the bulletin is over three months old.
    request.addfinalizer(lambda: platform.clock_file.write_text("0"))
    platform.move_clock_to(datetime.now(UTC) + timedelta(days=20))
    expiry = dated_piece_expiry(bulletin).day
    assert today + timedelta(days=20) > expiry

    login(page, certifier, PASSWORD)
    reload_until(page, f"/dossiers/{fid}", "#banner", "encadrement des stagiaires")
    line = page.locator("#piece-criminal_record")
    expect(line).to_contain_text("Fournie")
    expect(line).to_contain_text("Appréciée à la date de son dépôt")
    expect(line.locator("[data-dated]")).to_contain_text(french_date(today))
    expect(line.locator("[data-dated]")).to_contain_text(french_date(expiry))
    expect(line.locator("input[type=file]")).to_have_count(0)  # nobody asked for it: not replaceable
    check_accessibility(page)
    screenshot(page, "dossier-piece-datee-appreciee-au-depot")
    page.fill("#answer-0", "Un tuteur pour trois stagiaires.")  # one answer per question (issue 13, point 6)
    tick(page, page.locator("label[for=answer-sworn]"))
    page.get_by_role("button", name="Envoyer ma réponse").click()
    page.get_by_role("tab", name="Courriers").click()
    expect(page.get_by_role("button", name=re.compile("Accusé de dépôt n°2"))).to_be_visible()

    # The instructor explicitly asks for a fresh bulletin: that piece alone is judged anew.
    for _ in range(80):
        if httpx.get(f"{base}/api/review/cases/{fid}", headers=ins).json()["status"] == "under_instruction":
            break
        page.wait_for_timeout(250)
    review(
        "/requests",
        {"items": [{"doc_type": "criminal_record"}], "message": "Un bulletin récent, s'il vous plaît.", "due_date": due},
        ins,
        201,
    )
    reload_until(page, f"/dossiers/{fid}", "#banner", "Un bulletin récent")
    line = page.locator("#piece-criminal_record")
    expect(line.locator("[data-asked-anew]")).to_contain_text("version récente")
    moved_today = today + timedelta(days=20)
    expect(line.locator(".fr-error-text").first).to_contain_text(
        f"au {french_date(moved_today)} : daté du {french_date(bulletin)}, il ne l'était plus après le {french_date(expiry)}"
    )
    expect(line).to_contain_text("À remplacer")
    tick(page, page.locator("label[for=answer-sworn]"))
    page.get_by_role("button", name="Envoyer ma réponse").click()
    assert "nouvelle version" in error_of(page, "file-criminal_record")  # asked for: a new version first
    check_accessibility(page)
    screenshot(page, "dossier-piece-datee-redemandee")

    # A recent bulletin (dated today: within three months of the new round's day).
    page.set_input_files("#file-criminal_record", str(pdf_file(tmp_path, "b3-recent.pdf")))
    page.fill("#date-criminal_record", platform.today().isoformat())
    page.locator("#piece-criminal_record button[type=submit]").click()
    expect(page.locator("#piece-criminal_record")).to_contain_text("version 2")
    expect(page.locator("#piece-criminal_record")).to_contain_text("Remplacée")
    tick(page, page.locator("label[for=answer-sworn]"))
    page.get_by_role("button", name="Envoyer ma réponse").click()
    page.get_by_role("tab", name="Courriers").click()
    expect(page.get_by_role("button", name=re.compile("Accusé de dépôt n°3"))).to_be_visible()
    assert page.js_errors == []


def test_a_form_s_today_is_the_paris_day_whatever_the_browser_s_zone(browser, platform):
    """A date a form checks against "today" (a piece's date, the JO's, a mandate's) is the
    Paris day, as the server's: a browser in Tahiti or Kiritimati is on another day for
    half of every day, and used to call Paris's today "à venir" or accept tomorrow."""
    admin = api_token(platform, ADMIN_EMAIL, ADMIN_PASSWORD)
    certifier = approved_certifier(platform, admin, "Organisme des fuseaux horaires")
    filing = httpx.post(
        f"{platform.base_url}/api/filings",
        headers=api_token(platform, certifier),
        json={"repertoire": "rncp", "title": TITLE, "qualification_level": 4, "is_cqp": False, "rests_on_standards": False},
    )
    assert filing.status_code == 201, filing.text
    now = datetime.now(UTC)
    paris = now.astimezone(PARIS).date()
    # One of the two is on another calendar day than Paris at any hour (UTC-11, UTC+14).
    zone = next(z for z in ("Pacific/Pago_Pago", "Pacific/Kiritimati") if now.astimezone(ZoneInfo(z)).date() != paris)
    context = browser.new_context(base_url=platform.base_url, locale="fr-FR", timezone_id=zone)
    try:
        page = context.new_page()
        login(page, certifier, PASSWORD)
        page.goto(f"/dossiers/{filing.json()['filing_id']}")
        page.get_by_role("tab", name="Pièces").click()
        expect(page.locator("#date-criminal_record")).to_have_attribute("max", paris.isoformat())  # the browser's clock, in Paris
    finally:
        context.close()
