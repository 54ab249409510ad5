"""A certifier's journey clicking through both interfaces: account creation, activation
from the e-mail, validation by the SI administrator in the back office, login, then a
filing (with the RNCP level error shown next to its field) and its pieces."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, check_accessibility, screenshot
from .helpers import PASSWORD, error_of, pdf_file, random_siret, unique_email

pytestmark = pytest.mark.browser


def test_certifier_from_account_creation_to_a_draft_filing(page, platform, tmp_path):
    email = unique_email("certificateur")
    # 1. Account creation, one guided form.
    page.goto("/comptes/creer")
    page.select_option("#legal_form", "company")
    page.fill("#siret", random_siret())
    page.fill("#denomination", "Organisme de formation Exemple")
    page.set_input_files("#legal_existence", str(pdf_file(tmp_path, "kbis.pdf")))
    page.click("label[for=named_on_legal_proof]")
    page.fill("#first_name", "Camille")
    page.fill("#last_name", "Martin")
    page.fill("#job_title", "Directrice")
    page.fill("#phone", "01 23 45 67 89")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Vérifiez votre messagerie")
    screenshot(page, "compte-verifiez-apres-creation")

    # 2. Activation from the e-mail's link.
    link = platform.wait_for_link(email, "/activation?token=")
    page.goto(link[link.index("/activation"):])
    expect(page.locator(".fr-alert--success")).to_be_visible()
    assert "token" not in page.url
    screenshot(page, "activation")

    # 3. The SI administrator validates the new entity in the back office.
    page.goto("/back-office/connexion")
    page.fill("#username", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Tableau de bord")
    page.goto("/back-office/demandes-de-compte")
    card = page.locator(f"article[data-account='{email}']")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Organisme de formation Exemple")
    screenshot(page, "bo-demandes")
    check_accessibility(page)
    card.get_by_role("button", name="Valider").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("validée")
    page.goto("/back-office/courriels")
    expect(page.locator("#outbox")).to_contain_text(email)
    screenshot(page, "bo-courriels")
    check_accessibility(page)
    page.evaluate("sessionStorage.clear()")

    # 4. Login on the portal, then a filing: RNCP without a level is refused next to the field.
    page.goto("/connexion")
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Mes dossiers")
    check_accessibility(page)
    page.click("text=Nouvelle demande d’enregistrement")
    page.fill("#title", "Technicien de maintenance des éoliennes")
    page.click("button[type=submit]")
    assert "niveau de qualification" in error_of(page, "qualification_level")
    expect(page.locator(".fr-select-group--error #qualification_level")).to_have_count(1)
    check_accessibility(page)
    screenshot(page, "dossier-nouveau-erreur")
    page.select_option("#qualification_level", "5")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Technicien de maintenance des éoliennes")
    expect(page.locator("#pieces")).to_contain_text("Manquante")

    # 5. A piece uploaded with its progress bar; the checklist marks it provided.
    page.set_input_files("#file-competence_framework", str(pdf_file(tmp_path, "referentiel.pdf")))
    page.locator("#piece-competence_framework button[type=submit]").click()
    expect(page.locator("#piece-competence_framework")).to_contain_text("referentiel.pdf")
    expect(page.locator("#piece-competence_framework")).to_contain_text("Fournie")
    # A dated piece without its date: the error is next to the date field.
    page.set_input_files("#file-criminal_record", str(pdf_file(tmp_path, "b3.pdf")))
    page.locator("#piece-criminal_record button[type=submit]").click()
    assert "date" in error_of(page, "date-criminal_record")
    # Submitting too early lists what is missing.
    page.click("label[for=sworn_statement]")
    page.click("text=Déposer la demande")
    expect(page.locator(".fr-alert--error, .fr-error-text").first).to_be_visible()
    screenshot(page, "dossier")
    check_accessibility(page)
    assert page.js_errors == []
