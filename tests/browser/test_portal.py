"""The public portal and the back office in Chromium: every page accessible (axe-core),
forms showing each error next to its field, screenshots for review."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from certreg_testing.samples import random_siret

from .conftest import check_accessibility, screenshot
from .helpers import PASSWORD, error_of, pdf_file, unique_email

pytestmark = pytest.mark.browser

PUBLIC_PAGES = [
    ("/", "accueil"),
    ("/comptes/creer", "compte-creer"),
    ("/comptes/verifiez-votre-messagerie", "compte-verifiez"),
    ("/connexion", "connexion"),
    ("/mot-de-passe/oublie", "mdp-oublie"),
    ("/mot-de-passe/reinitialiser?token=x", "mdp-reinitialiser"),
    ("/mot-de-passe/definir?token=x", "mdp-definir"),
    ("/activation", "activation"),
    ("/connexion/deblocage", "connexion-deblocage"),
    ("/registre", "registre"),
    ("/accessibilite", "accessibilite"),
    ("/mentions-legales", "mentions-legales"),
    ("/donnees-personnelles", "donnees-personnelles"),
    ("/back-office/connexion", "bo-connexion"),
]


@pytest.mark.parametrize(("path", "name"), PUBLIC_PAGES)
def test_public_page_is_accessible(page, path, name):
    page.goto(path)
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_count(1)
    assert page.title().strip()
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.locator(".fr-skiplinks a[href='#contenu']")).to_have_count(1)
    screenshot(page, name)
    check_accessibility(page)
    assert page.js_errors == []


def test_the_registry_page_keeps_its_filters_and_names_an_unknown_code_next_to_its_field(page):
    page.goto("/registre?state=expired&level=6&nsf=999&access_route=vae")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#state")).to_have_value("expired")
    expect(page.locator("#access_route")).to_have_value("vae")
    expect(page.locator("#level")).to_have_value("6")
    expect(page.locator("#search-form .fr-error-text")).to_contain_text("999 n'est pas un code NSF connu.")
    assert "999 n'est pas un code NSF connu." in error_of(page, "nsf")
    page.fill("#nsf", "326")
    page.fill("#certifier", "Organisme sans certification")
    page.select_option("#access_route", label="Par candidature individuelle")
    page.click("button[type=submit]")
    expect(page.locator("#results")).to_contain_text("Aucune certification ne correspond à votre recherche.")
    assert "certifier=Organisme" in page.url and "nsf=326" in page.url and "access_route=individual_application" in page.url
    check_accessibility(page)
    assert page.js_errors == []


def test_account_creation_shows_each_error_next_to_its_field(page, tmp_path):
    page.goto("/comptes/creer")
    # Step 1, the person: nothing typed, every error listed at the top and next to its field.
    page.click("#step-submit")
    summary = page.locator("#error-summary .fr-alert--error")
    expect(summary).to_contain_text("Saisissez votre prénom")
    expect(page.locator("#error-summary")).to_be_focused()
    assert "prénom" in error_of(page, "first_name")
    page.fill("#first_name", "Camille")
    page.fill("#last_name", "Martin")
    page.fill("#job_title", "Directrice")
    page.fill("#phone", "01 23 45 67 89")
    page.fill("#email", "pas-une-adresse")
    page.fill("#password", "court")
    page.click("#step-submit")
    assert "adresse électronique valide" in error_of(page, "email")
    expect(summary).to_have_count(1)
    expect(summary.get_by_role("link")).to_have_count(1)
    page.fill("#email", unique_email("faible"))
    page.click("#step-submit")
    expect(page.locator("#step-state")).to_have_text("Étape 2 sur 3")

    # Step 2: the SIRET and the denomination, caught by the client.
    page.select_option("#legal_form", "company")
    page.fill("#siret", "732 829 320 00075")  # spaces stripped, then a bad checksum
    expect(page.locator("#siret-hint")).to_contain_text("clé de contrôle")
    page.click("#step-submit")
    assert "clé de contrôle" in error_of(page, "siret")
    assert page.input_value("#siret") == "73282932000075"
    # A new entity needs its denomination, SIRET or not (entities answers 422 otherwise).
    assert "obligatoire pour un organisme qui n’est pas encore inscrit" in error_of(page, "denomination")
    expect(page.locator("#denomination-hint")).to_contain_text("Obligatoire")
    expect(page.locator(".fr-input-group--error #siret")).to_have_count(1)
    summary.get_by_role("link", name=re.compile("clé de contrôle")).click()
    expect(page.locator("#siret")).to_be_focused()
    check_accessibility(page)
    screenshot(page, "compte-creer-erreurs")

    # Step 3, then identity refuses the weak password: back to step 1, next to its field.
    page.fill("#siret", random_siret())
    page.fill("#denomination", "Organisme Exemple")
    page.click("#step-submit")
    page.set_input_files("#legal_existence", str(pdf_file(tmp_path)))
    page.click("label[for=named_on_legal_proof]")
    page.click("#step-submit")
    expect(page.locator("#password-erreur")).to_contain_text("12 caractères")
    expect(page.locator("#step-state")).to_have_text("Étape 1 sur 3")
    expect(summary).to_contain_text("12 caractères")
    assert page.get_attribute("#password", "aria-invalid") == "true"
    # Nothing stays of the progress line once it stopped.
    expect(page.locator("#submit-progress")).to_be_hidden()


def test_account_creation_without_siret_needs_the_address(page, tmp_path):
    page.goto("/comptes/creer")
    page.fill("#first_name", "Camille")
    page.fill("#last_name", "Martin")
    page.fill("#job_title", "Directrice")
    page.fill("#phone", "01 23 45 67 89")
    page.fill("#email", unique_email("sans-siret"))
    page.fill("#password", PASSWORD)
    page.click("#step-submit")
    page.click("label[for=has-siret-no]")
    page.click("#step-submit")
    assert "dénomination" in error_of(page, "denomination")
    assert "adresse" in error_of(page, "address-street")
    page.select_option("#legal_form", "association")
    page.fill("#denomination", "Association sans SIRET")
    page.fill("#address-street", "1 rue de la Paix")
    page.fill("#address-postal_code", "75002")
    page.fill("#address-city", "Paris")
    page.click("#step-submit")
    page.click("#step-submit")
    assert "justificatif" in error_of(page, "legal_existence")
    assert "délégation" in error_of(page, "mandate_delegation")


def test_login_errors(page):
    page.goto("/connexion")
    page.click("button[type=submit]")
    assert "adresse électronique" in error_of(page, "username")
    assert "mot de passe" in error_of(page, "password")
    page.fill("#username", unique_email("inconnu"))
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".fr-alert--error")).to_contain_text("incorrect")
    # The alert's title follows the page's outline: an h2 under the h1 (it was an h3: axe's heading-order).
    expect(page.locator(".fr-alert--error h2.fr-alert__title")).to_have_text("Votre demande n’a pas abouti")
    check_accessibility(page)


def test_contacts_notices_and_legal_pages(page):
    """The support addresses and the two notices (the seed's defaults) on the
    activation-waiting page, the login page and the footer; the legal pages from the footer."""
    for path in ("/comptes/verifiez-votre-messagerie", "/connexion"):
        page.goto(path)
        box = page.locator("#help-box")
        expect(box).to_contain_text("support.certificationprofessionnelle@francecompetences.fr")
        expect(box).to_contain_text("certificationprofessionnelle@francecompetences.fr")
        expect(box.get_by_role("link", name="Notice d'aide à la demande d'enregistrement au RNCP")).to_have_attribute("target", "_blank")
        expect(box.get_by_role("link", name="Notice d'aide à la demande d'enregistrement au Répertoire spécifique")).to_be_visible()
    footer = page.locator("#footer")
    expect(footer.locator("#footer-contacts")).to_contain_text("support.certificationprofessionnelle@francecompetences.fr")
    expect(footer.get_by_role("link", name="Notice RNCP")).to_be_visible()
    expect(footer.get_by_role("link", name="Notice RS")).to_be_visible()

    footer.get_by_role("link", name="Mentions légales").click()
    expect(page.locator("h1")).to_have_text("Mentions légales")
    expect(page.locator("#publisher")).to_contain_text("France compétences")
    page.locator("#footer").get_by_role("link", name="Données personnelles").click()
    expect(page.locator("h1")).to_have_text("Données personnelles")
    expect(page.locator("#data-categories")).to_contain_text("bulletin n° 3 du casier judiciaire")
    expect(page.locator("#retention")).to_contain_text("deux heures")
    expect(page.locator("#dpo")).to_have_attribute("href", "mailto:dpo@francecompetences.fr")
    page.locator("#footer").get_by_role("link", name="Accessibilité : non conforme").click()
    expect(page.locator("#conformity")).to_contain_text("non conforme")
    expect(page.locator("main")).not_to_contain_text("partiellement conforme")
    check_accessibility(page)
    assert page.js_errors == []
