"""The Journal officiel in the back office (issue 12, point 5): the registrations awaiting
publication listed with a tick each, one form (JO date, NOR or text reference, effective
date) recording the publication of the ticked ones at once, and their CSV export."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .cases import World, shots
from .conftest import check_accessibility
from .helpers import PASSWORD, login

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")


def test_the_director_records_one_publication_for_the_ticked_decisions(page, platform, request):
    w = World(platform, "Organisme du Journal officiel")
    day = w.on_a_sitting_day(request)
    titles = ["Monteur en installations thermiques", "Technicien de maintenance des ascenseurs", "Poseur de menuiseries"]
    fids = [w.new_filing(t) for t in titles]
    session = w.session(day.isoformat())
    for fid in fids:
        w.to_ready(fid)
        w.review(f"/sessions/{session['id']}/agenda", {"filing_id": fid}, "commission", 201)
        w.review(f"/sessions/{session['id']}/opinions", {"filing_id": fid, "opinion": "favourable"}, "commission", 201)
        w.review(f"/cases/{fid}/decision", {"register": True, "motivation": "Les critères sont remplis."}, "director")
    published, kept = fids[:2], fids[2]

    login(page, w.emails["director"], PASSWORD, back_office=True)
    page.goto("/back-office/")
    page.get_by_role("link", name="Journal officiel").first.click()
    expect(page).to_have_url("/back-office/journal-officiel")
    for fid in fids:
        expect(page.locator(f"tr[data-filing='{fid}']")).to_be_visible()
        # The dossier's number under its title, never its UUID (issue 13, point 14).
        expect(page.locator(f"tr[data-filing='{fid}'] [data-reference]")).to_have_text(f"Dossier n° {w.case(fid, 'director')['reference']}")
    with page.expect_download() as got:
        page.click("#csv")
    text = got.value.path().read_text(encoding="utf-8-sig")
    for fid in fids:
        assert w.case(fid)["registration_number"] in text

    # nothing ticked, nothing typed: told what is missing, nothing sent
    page.click("#publish-submit")
    expect(page.locator("#pending .fr-alert--error")).to_contain_text("Cochez au moins une décision publiée")
    expect(page.locator("#jo-reference-erreur")).to_contain_text("référence de publication")
    for fid in published:
        page.click(f"label[for='tick-{fid}']")  # DSFR: the label is what one clicks
    page.fill("#jo-date", day.isoformat())
    page.fill("#jo-reference", "NOR : MTRD2612345S")
    page.fill("#effective-date", day.isoformat())
    check_accessibility(page)
    shots(page, "bo-journal-officiel")
    page.click("#publish-submit")
    modal = page.locator("dialog[data-confirmation][data-ready]")
    expect(modal).to_contain_text("Enregistrer la publication de 2 décisions ?")
    modal.get_by_role("button", name="Enregistrer la publication").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("2 décisions publiées")
    for fid in published:
        w.wait_status(fid, "registered")
        assert w.case(fid)["decision"]["jo_reference"] == "NOR : MTRD2612345S"
        expect(page.locator(f"tr[data-filing='{fid}']")).to_have_count(0)
    expect(page.locator(f"tr[data-filing='{kept}']")).to_be_visible()
    assert w.case(kept)["status"] == "awaiting_publication"
