"""The certification's title, level, CQP and standards flag are correctable after the
draft's creation, and after submission when the reviewer declares them missing (issue 13,
point 3)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from .cases import World, shots
from .conftest import check_accessibility
from .helpers import PASSWORD, login

pytestmark = pytest.mark.browser


def test_title_level_cqp_and_standards_flag_are_corrected_while_editable(page, platform):
    w = World(platform, "Organisme des intitulés corrigés", roles=("reviewer",))
    fid = w.new_filing("Agent de maintenance des batiments")  # typo, wrong level
    login(page, w.certifier, PASSWORD)
    page.goto(f"/dossiers/{fid}")
    page.fill("#f-title", "Agent de maintenance des bâtiments")
    page.select_option("#f-qualification_level", "3")
    page.click("label[for=f-is_cqp]")
    page.click("#description-form button[type=submit]")
    expect(page.locator("#f-cqp_filed_by .fr-error-text")).to_contain_text("qui dépose le CQP")
    page.click("label[for=f-cqp-cpne]")
    page.click("#description-form button[type=submit]")
    expect(page.locator("#description-form .fr-alert--success")).to_contain_text("enregistrée")
    expect(page.locator("h1")).to_have_text("Agent de maintenance des bâtiments")
    expect(page.locator("#status").locator("..")).to_contain_text("niveau 3 — CQP")
    check_accessibility(page)
    shots(page, "dossier-description-brouillon")

    # Submitted, then declared incomplete for its level: the level alone is correctable.
    w.upload_required(fid)  # the CPNE's deliberation, now asked for
    w.submit(fid)
    w.wait_status(fid, "received")
    w.review(
        f"/cases/{fid}/completeness", {"complete": False, "missing": ["qualification_level"], "message": "Le niveau visé ?"}, "reviewer"
    )
    for _ in range(40):
        page.goto(f"/dossiers/{fid}")
        if page.locator("#f-qualification_level:enabled").count():
            break
        page.wait_for_timeout(250)
    expect(page.locator("#f-title")).to_be_disabled()
    expect(page.locator("#f-is_cqp")).to_be_disabled()
    page.select_option("#f-qualification_level", "4")
    page.click("#description-form button[type=submit]")
    expect(page.locator("#description-form .fr-alert--success")).to_contain_text("enregistrée")
    expect(page.locator("#status").locator("..")).to_contain_text("niveau 4 — CQP")
    check_accessibility(page)
    shots(page, "dossier-description-niveau-a-corriger")
    filing = httpx.get(f"{w.base}/api/filings/{fid}", headers=w.dep).json()
    assert (filing["title"], filing["qualification_level"], filing["is_cqp"], filing["cqp_filed_by"]) == (
        "Agent de maintenance des bâtiments",
        4,
        True,
        "cpne",
    )

    # An RS request: the standards flag, wrong at creation, corrected on the dossier page.
    created = httpx.post(
        f"{w.base}/api/filings",
        headers=w.dep,
        json={"repertoire": "rs", "title": "Habilitation aux normes corrigées", "is_cqp": False, "rests_on_standards": False},
    )
    assert created.status_code == 201, created.text
    rs = created.json()["filing_id"]
    page.goto(f"/dossiers/{rs}")
    flag = page.locator("#f-rests_on_standards")
    expect(flag).not_to_be_checked()
    expect(flag).to_be_enabled()
    label = "La certification repose sur des normes réglementaires ou de marché"
    expect(page.locator("label[for=f-rests_on_standards]")).to_have_text(label)
    page.click("label[for=f-rests_on_standards]")
    page.click("#description-form button[type=submit]")
    expect(page.locator("#description-form .fr-alert--success")).to_contain_text("enregistrée")
    page.reload()
    expect(page.locator("#f-rests_on_standards")).to_be_checked()
    check_accessibility(page)
    assert httpx.get(f"{w.base}/api/filings/{rs}", headers=w.dep).json()["rests_on_standards"] is True
    assert page.js_errors == []
