"""Visible bugs of issue 13, point 14: the activation link clicked twice, times in Paris
time whatever the browser's zone, French 404s (pages and API), the registry's "not found"
in French."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from certreg_testing.samples import random_siret

from .cases import World, shots
from .conftest import CHROMIUM, check_accessibility
from .helpers import PASSWORD, PDF, unique_email

pytestmark = pytest.mark.browser


def test_an_unknown_address_answers_in_french(page, platform):
    answer = page.goto("/cette-page-n-existe-pas")
    assert answer is not None and answer.status == 404
    expect(page.locator("h1")).to_have_text("Page introuvable")
    check_accessibility(page)
    shots(page, "page-introuvable")
    api = httpx.get(f"{platform.base_url}/api/nulle-part")
    assert api.status_code == 404 and api.json()["detail"] == "Adresse introuvable."
    registry = httpx.get(f"{platform.base_url}/api/review/registry/RNCP99999")
    assert registry.status_code == 404 and registry.json()["detail"] == "Aucune certification n'est enregistrée sous ce numéro."


def test_an_activation_link_clicked_twice_says_the_account_is_already_active(page, platform):
    base = platform.base_url
    email = unique_email("activation")
    created = httpx.post(
        f"{base}/api/identity/accounts",
        json={
            "email": email,
            "password": PASSWORD,
            "first_name": "Aline",
            "last_name": "Durand",
            "phone": "0123456789",
            "job_title": "Gérante",
        },
    )
    assert created.status_code == 201, created.text
    onboarding = {"Authorization": f"Bearer {created.json()['onboarding_token']}"}
    application = httpx.post(
        f"{base}/api/entities/applications",
        headers=onboarding,
        json={
            "kind": "other", "legal_form": "company", "has_siret": True, "siret": random_siret(),
            "denomination": "Atelier Durand", "named_on_legal_proof": True,
        },
    ).json()  # fmt: skip
    app_id = application["application_id"]
    files = {"file": ("kbis.pdf", PDF, "application/pdf")}
    assert (
        httpx.put(f"{base}/api/entities/applications/{app_id}/documents/legal_existence", headers=onboarding, files=files).status_code
        == 201
    )
    assert httpx.post(f"{base}/api/entities/applications/{app_id}/submit", headers=onboarding).status_code == 202
    link = platform.wait_for_link(email, "/activation?token=")
    for attempt in range(2):
        page.goto(link)
        page.fill("#password", PASSWORD)
        page.locator("#activation-form button").click()
        result = page.locator("#activation-result")
        if attempt == 0:
            expect(result.locator(".fr-alert--success")).to_be_visible()
            assert "null" not in result.inner_text()
        else:
            expect(result.locator(".fr-alert")).to_contain_text("Compte déjà activé")
            expect(result.get_by_role("link", name="Se connecter")).to_have_attribute("href", "/connexion")
            check_accessibility(page)
            shots(page, "activation-deja-faite")


def test_message_times_are_shown_in_paris_time_whatever_the_browsers_zone(browser, platform):
    assert CHROMIUM.exists()
    w = World(platform, "Organisme des fuseaux horaires", roles=("reviewer",))
    fid = w.new_filing("Technicien des fuseaux horaires")
    w.submit(fid)
    w.wait_status(fid, "received")
    posted = w.review(f"/cases/{fid}/messages", {"body": "Bonjour, une question sur le bloc 2."}, "reviewer", 201)
    assert posted["posted_at"].endswith(("+00:00", "Z")), posted["posted_at"]  # a moment, with its zone
    paris = datetime.fromisoformat(posted["posted_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/Paris"))
    context = browser.new_context(base_url=platform.base_url, locale="fr-FR", timezone_id="Pacific/Auckland", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto("/connexion")
        page.evaluate("sessionStorage.clear()")
        page.fill("#username", w.certifier)
        page.fill("#password", PASSWORD)
        page.click("#login-form button[type=submit]")
        expect(page.locator("h1")).to_have_text("Mes dossiers")
        page.goto(f"/dossiers/{fid}")
        shown = page.locator(f"time[datetime='{posted['posted_at']}']")
        expect(shown).to_contain_text(f"{paris:%H:%M}")
        day = "1er" if paris.day == 1 else str(paris.day)
        expect(shown).to_contain_text(f"{day} ")
    finally:
        context.close()
