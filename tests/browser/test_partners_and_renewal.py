"""A registered certification's certifier, in the browser (issue 14): declares a partner
organisation on the dossier page (a wrong SIRET refused before sending), sees it in the public
registry, removes it; eight months before the end, starts the renewal, which opens as a new
draft naming the registration and pre-filled from it; a partner declared late is listed to
staff on the back office's « Partenaires déclarés en retard »; the renewal renames the
certification, changes a block and says how the former registration's recommendations were
followed, which staff read beside them with the diff from the registered fiche (field by field,
block by block); its decision gives a new number, which the registry links to the former one
both ways (the former stays readable)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from certreg_contracts.calendar import add_months
from certreg_testing.samples import random_siret

from .cases import World, at_ten, shots, sitting_day
from .conftest import check_accessibility
from .helpers import PASSWORD, PDF, login, reload_until

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")


def test_the_certifier_declares_a_partner_and_starts_the_renewal(page, platform, request):
    w = World(platform, "Organisme des partenaires habilités")
    request.addfinalizer(lambda: platform.clock_file.write_text("0"))  # the clock moves to the renewal window below
    day = w.on_a_sitting_day(request)
    title = "Technicien de maintenance des ascenseurs"
    fid = w.new_filing(title)
    w.to_ready(fid)
    session = w.session(day.isoformat())
    w.review(f"/sessions/{session['id']}/agenda", {"filing_id": fid}, "commission", 201)
    w.review(f"/sessions/{session['id']}/opinions", {"filing_id": fid, "opinion": "favourable"}, "commission", 201)
    number = w.review(f"/cases/{fid}/decision", {"register": True, "motivation": "Conforme."}, "director")["registration_number"]
    jo = {"jo_date": day.isoformat(), "jo_reference": "JORF n°0280 texte n° 42", "effective_date": day.isoformat()}
    w.review(f"/cases/{fid}/publication", jo, "director")

    login(page, w.certifier, PASSWORD)
    reload_until(page, f"/dossiers/{fid}#enregistrement", "#partenaires form#partner-form")
    expect(page.locator("#renouvellement")).to_contain_text(number)
    expect(page.locator("#renewal-opens")).to_contain_text("à partir du")  # five years ahead: not yet
    expect(page.locator("#no-partners")).to_be_visible()

    # A SIRET whose key is wrong is refused on the page.
    siret = random_siret()
    page.fill("#p-siret", siret[:-1] + str((int(siret[-1]) + 1) % 10))
    page.fill("#p-name", "Centre de formation des ascensoristes")
    page.select_option("#p-scope", "both")
    page.get_by_role("button", name="Déclarer l’organisme").click()
    expect(page.locator("#partner-form .fr-error-text")).to_be_visible()
    page.fill("#p-siret", f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}")  # spaces are stripped
    page.get_by_role("button", name="Déclarer l’organisme").click()
    row = page.locator(f"#partners-table tr[data-siret='{siret}']")
    expect(row).to_have_attribute("data-state", "active")
    expect(row).to_contain_text("Préparation et organisation des épreuves")
    expect(page.locator("#partner-notice")).to_contain_text("est déclaré")
    check_accessibility(page)
    shots(page, "dossier-partenaires")

    # The public registry shows it.
    page.goto(f"/registre/{number}")
    expect(page.locator(f"#partners li[data-siret='{siret}']")).to_contain_text("Centre de formation des ascensoristes")

    # Removed: still listed, as removed.
    page.goto(f"/dossiers/{fid}#enregistrement")
    page.locator(f"button[data-remove='{siret}']").click()
    modal = page.locator("dialog[data-confirmation][data-ready]")
    modal.get_by_role("button", name="Retirer l’organisme").click()
    expect(page.locator(f"#partners-table tr[data-siret='{siret}']")).to_have_attribute("data-state", "removed")

    # Eight months before the end, the renewal opens: a new draft naming the registration.
    end = date.fromisoformat(httpx.get(f"{platform.base_url}/api/review/registry/{number}").json()["registration_end"])
    platform.move_clock_to(at_ten(add_months(end, -8)))
    w.refresh()
    login(page, w.certifier, PASSWORD)
    page.goto(f"/dossiers/{fid}#enregistrement")
    page.locator("#start-renewal").click()
    modal = page.locator("dialog[data-confirmation][data-ready]")
    expect(modal).to_contain_text(number)
    modal.get_by_role("button", name="Créer la demande de renouvellement").click()
    expect(page.locator("#renews")).to_contain_text(number)
    expect(page.locator("#f-title")).to_have_value(title)
    renewal_id = page.url.rstrip("/").split("/")[-1]
    assert renewal_id != fid
    # The renewal renames the certification and says how the former registration's
    # recommendations were followed.
    follow = "Les jurys de la VAE sont désormais précisés dans le référentiel."
    new_title = "Technicien de maintenance des ascenseurs et monte-charges"
    page.fill("#f-title", new_title)
    page.fill("#f-recommendations_follow_up", follow)
    page.get_by_role("button", name="Enregistrer la description").click()
    expect(page.locator("#description-form .fr-alert--success")).to_be_visible()
    check_accessibility(page)
    shots(page, "dossier-renouvellement")
    renewal = httpx.get(f"{w.base}/api/filings/{renewal_id}", headers=w.dep).json()
    assert renewal["recommendations_follow_up"] == follow and renewal["title"] == new_title
    # …and a block's assessment methods change.
    methods = ["Mise en situation professionnelle", "Entretien avec le jury"]
    blocks = [{**b, "assessment_methods": methods} for b in renewal["competence_blocks"]]
    patched = httpx.patch(f"{w.base}/api/filings/{renewal_id}", headers=w.dep, json={"competence_blocks": blocks})
    assert patched.status_code == 200, patched.text
    for line in renewal["requirements"]:  # its pieces, dated on the platform's day
        if line["required"] and not line.get("provided"):
            params = {"document_date": add_months(end, -8).isoformat()} if line["dated"] else {}
            files = {"file": ("p.pdf", PDF, "application/pdf")}
            up = httpx.post(f"{w.base}/api/filings/{renewal_id}/documents/{line['doc_type']}", headers=w.dep, params=params, files=files)
            assert up.status_code == 201, up.text
    w.submit(renewal_id)
    w.wait_status(renewal_id, "received")
    page.goto(f"/dossiers/{fid}#enregistrement")
    expect(page.locator("#renewal-link")).to_be_visible()

    # A partner authorised since the registration began, declared only now: staff see it late.
    late = random_siret()
    body = {"siret": late, "name": "Organisme déclaré tardivement", "scope": "preparation", "since": day.isoformat()}
    added = httpx.post(f"{platform.base_url}/api/review/registry/{number}/partners", headers=w.dep, json=body)
    assert added.status_code == 201 and added.json()["late"], added.text
    login(page, w.emails["reviewer"], PASSWORD, back_office=True)
    page.goto("/back-office/")
    page.get_by_role("link", name="Partenaires déclarés en retard").first.click()
    expect(page).to_have_url("/back-office/partenaires-en-retard")
    row = page.locator(f"#late-table tr[data-number='{number}'][data-siret='{late}']")
    expect(row).to_contain_text("Organisme déclaré tardivement")
    expect(row.locator("[data-change='added']")).to_contain_text(f"{added.json()['days_late']} jours de retard")
    expect(row.get_by_role("link", name=title)).to_have_attribute("href", f"/back-office/dossiers/{fid}")
    check_accessibility(page)
    shots(page, "bo-partenaires-retard")

    # Staff read the renewal: the recommendations made at the registration, and beside them its follow-up.
    page.goto(f"/back-office/dossiers/{renewal_id}#demande")
    expect(page.locator("#renewal")).to_contain_text(number)
    expect(page.locator("#recommendations li[data-source='decision']")).to_contain_text("Conforme.")
    expect(page.locator("#follow-up")).to_have_text(follow)
    # …and the diff with the registered fiche, field by field and block by block.
    changed = page.locator("#renewal-changes tr[data-field='title']")
    expect(changed.locator("[data-side='before']")).to_have_text(title)
    expect(changed.locator("[data-side='after']")).to_have_text(new_title)
    block = page.locator("#renewal-changes tr[data-field='competence_blocks'][data-code='BC01']")
    expect(block).to_have_attribute("data-change", "changed")
    expect(block.locator("[data-side='before'] [data-part='assessment_methods']")).not_to_contain_text("Entretien avec le jury")
    expect(block.locator("[data-side='after'] [data-part='assessment_methods']")).to_contain_text("Entretien avec le jury")
    expect(page.locator("#renewal-changes tbody tr")).to_have_count(2)
    check_accessibility(page)
    shots(page, "bo-renouvellement-modifications")

    # Its decision: a new number, linked to the former one, which stays readable and says so.
    rday = sitting_day(add_months(end, -8))
    if rday != add_months(end, -8):
        platform.move_clock_to(at_ten(rday))
        w.refresh()
    w.to_ready(renewal_id, submit=False)
    rsession = w.session(rday.isoformat())
    w.review(f"/sessions/{rsession['id']}/agenda", {"filing_id": renewal_id}, "commission", 201)
    w.review(f"/sessions/{rsession['id']}/opinions", {"filing_id": renewal_id, "opinion": "favourable"}, "commission", 201)
    decision = {"register": True, "motivation": "Renouvellement conforme."}
    new_number = w.review(f"/cases/{renewal_id}/decision", decision, "director")["registration_number"]
    assert new_number != number
    rjo = {"jo_date": rday.isoformat(), "jo_reference": "JORF n°0100 texte n° 7", "effective_date": rday.isoformat()}
    w.review(f"/cases/{renewal_id}/publication", rjo, "director")
    page.goto(f"/registre/{new_number}")
    expect(page.locator("h1")).to_contain_text(new_title)
    expect(page.locator("#renews")).to_contain_text(f"Renouvelle la certification {number}")
    page.locator("#renews").get_by_role("link", name=number).click()
    expect(page).to_have_url(f"/registre/{number}")
    expect(page.locator("h1")).to_contain_text(title)
    expect(page.locator("#renewed-by")).to_contain_text(f"Renouvelée par la certification {new_number}")
    expect(page.locator("#renewed-by").get_by_role("link", name=new_number)).to_have_attribute("href", f"/registre/{new_number}")
    check_accessibility(page)
    assert not page.js_errors, page.js_errors
