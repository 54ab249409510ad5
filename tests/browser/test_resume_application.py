"""A person who lost their onboarding token before declaring their entity: the login
sends them back to the sign-up page, at the entity step, to finish."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from certreg_testing.samples import random_siret

from .conftest import check_accessibility, screenshot
from .helpers import PASSWORD, pdf_file, unique_email

pytestmark = pytest.mark.browser


def test_login_without_an_entity_application_resumes_it_at_the_entity_step(page, platform, tmp_path):
    email = unique_email("reprise")
    created = httpx.post(
        f"{platform.base_url}/api/identity/accounts",
        json={
            "email": email,
            "password": PASSWORD,
            "first_name": "Dominique",
            "last_name": "Reprise",
            "phone": "01 23 45 67 89",
            "job_title": "Directrice",
        },
    )
    assert created.status_code == 201, created.text
    # The onboarding token of the creation is lost (the browser was closed).

    page.goto("/connexion")
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/comptes/creer")
    expect(page.locator("#resume-notice")).to_be_visible()
    expect(page.locator("#resume-notice")).to_contain_text("n’a pas été envoyée")
    expect(page.locator("h1")).to_have_text("Déclarer votre organisme")
    # The personal details are not asked again.
    expect(page.locator("#person")).to_be_hidden()
    check_accessibility(page)

    expect(page.locator("#step-state")).to_have_text("Étape 1 sur 2")
    page.select_option("#legal_form", "company")
    page.fill("#siret", random_siret())
    page.fill("#denomination", "Organisme repris")
    page.click("#step-submit")
    page.set_input_files("#legal_existence", str(pdf_file(tmp_path)))
    page.click("label[for=named_on_legal_proof]")
    expect(page.locator("#step-submit")).to_have_text("Envoyer la déclaration")
    page.click("#step-submit")
    done = page.locator("#resume-done")
    expect(done).to_be_visible(timeout=20_000)
    expect(done).to_be_focused()
    screenshot(page, "compte-creer-reprise")
    check_accessibility(page)
    assert page.js_errors == []

    # Once identity has the application (an event), the login says the account awaits activation.
    codes = []
    for _ in range(40):
        answer = httpx.post(f"{platform.base_url}/api/identity/token", data={"username": email, "password": PASSWORD})
        codes.append(answer.json().get("code"))
        if codes[-1] != "application_missing":
            break
        page.wait_for_timeout(250)
    assert codes[-1] == "not_activated", codes
