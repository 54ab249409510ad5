"""Account creation as people go through it (issue 13, point 13, and the stale progress line
of point 14): a stepper with the person first so that the mandate template is filled in with
their name, no legal form for a ministry, a known organisation's name read-only when joining
(no piece, no legal form asked), the maximum file size, a password « Afficher » toggle, the
validation delay; nothing stale after an error."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from certreg_testing.samples import random_siret

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, check_accessibility
from .helpers import PASSWORD, api_token, approved_certifier, pdf_file, unique_email

pytestmark = pytest.mark.browser


def person(page: Page, email: str, first: str = "Camille", last: str = "Martin") -> None:
    page.fill("#first_name", first)
    page.fill("#last_name", last)
    page.fill("#job_title", "Directrice")
    page.fill("#phone", "01 23 45 67 89")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)


def test_a_new_organisation_in_three_steps_person_first(page, platform, tmp_path):
    page.goto("/comptes/creer")
    stepper = page.locator("#stepper")
    expect(stepper.locator("#step-state")).to_have_text("Étape 1 sur 3")
    expect(stepper.locator("#step-title")).to_have_text("Vos informations personnelles")
    expect(stepper.locator("#step-next")).to_contain_text("Votre organisme")
    expect(page.locator("#legal_form")).to_be_hidden()  # step 2
    person(page, unique_email("etapes"), "Dominique", "Lefèvre")
    # The password can be shown and hidden again.
    page.click("label[for=password-show]")
    expect(page.locator("#password")).to_have_attribute("type", "text")
    page.click("label[for=password-show]")
    expect(page.locator("#password")).to_have_attribute("type", "password")
    check_accessibility(page)
    page.click("#step-submit")

    expect(stepper.locator("#step-state")).to_have_text("Étape 2 sur 3")
    expect(stepper.locator("#step-bar")).to_have_attribute("data-fr-current-step", "2")
    expect(page.locator("#stepper .fr-stepper__title")).to_be_focused()
    # A ministry has no legal form to choose; another organisation has.
    page.click("label[for=kind-ministry]")
    expect(page.locator("#legal_form")).to_be_hidden()
    page.click("label[for=kind-other]")
    expect(page.locator("#legal_form")).to_be_visible()
    page.select_option("#legal_form", "public_establishment")
    siret = random_siret()
    page.fill("#siret", siret)
    page.fill("#denomination", "Université d’Exemple")
    check_accessibility(page)
    page.click("#step-submit")

    expect(stepper.locator("#step-state")).to_have_text("Étape 3 sur 3")
    expect(page.locator("#step-submit")).to_have_text("Créer mon compte")
    expect(page.locator("#step-back")).to_be_visible()
    # The template is filled in with the person typed at step 1 (and the organisation).
    href = page.locator("#mandate-template").get_attribute("href") or ""
    query = parse_qs(urlsplit(href).query)
    assert query["delegate"] == ["Dominique Lefèvre"] and query["delegate_role"] == ["Directrice"]
    assert query["denomination"] == ["Université d’Exemple"] and query["siret"] == [siret]
    template = httpx.get(f"{platform.base_url}{href}")
    assert template.status_code == 200 and template.headers["content-type"] == "application/pdf"
    # The maximum size of a file, as the service enforces it; the wait for validation.
    limits = httpx.get(f"{platform.base_url}/api/entities/upload-limits").json()
    assert limits["max_bytes"] > 0
    expect(page.locator("#max-size")).to_have_text(f"Taille maximale : {limits['max_bytes'] // (1024 * 1024)} Mo par fichier.")
    expect(page.locator("#validation-delay")).to_contain_text("France compétences (nouvel organisme)")
    expect(page.locator("#validation-delay-text")).to_have_text("aucun délai d’examen n’est garanti")
    # A public establishment always gives the delegation: back to step 2 keeps what was typed.
    expect(page.locator("#mandate_delegation")).to_be_visible()
    page.click("#step-back")
    expect(page.locator("#denomination")).to_have_value("Université d’Exemple")
    page.click("#step-submit")
    page.set_input_files("#legal_existence", str(pdf_file(tmp_path, "statuts.pdf")))
    page.set_input_files("#mandate_delegation", str(pdf_file(tmp_path, "delegation.pdf")))
    page.fill("#mandate_date", "2020-01-15")
    page.click("#step-submit")
    # Too old: said in words, listed at the top with a link to the field.
    expect(page.locator("#error-summary")).to_contain_text("datée du 15 janvier 2020")
    check_accessibility(page)


def test_joining_a_known_organisation_asks_no_piece_and_shows_its_name_read_only(page, platform):
    admin = api_token(platform, ADMIN_EMAIL, ADMIN_PASSWORD)
    name = f"Organisme connu {uuid.uuid4().hex[:6]}"
    manager = api_token(platform, approved_certifier(platform, admin, name))
    entity_id = httpx.get(f"{platform.base_url}/api/identity/me", headers=manager).json()["entity_id"]
    siret = httpx.get(f"{platform.base_url}/api/entities/entities/{entity_id}", headers=manager).json()["siret"]

    page.goto("/comptes/creer")
    email = unique_email("collegue")
    person(page, email)
    page.click("#step-submit")
    page.fill("#siret", siret)
    denomination = page.locator("#denomination")
    expect(denomination).to_have_value(name)
    expect(denomination).to_have_attribute("readonly", "")
    expect(page.locator("#denomination-hint")).to_contain_text("déjà inscrit")
    expect(page.locator("#legal_form")).to_be_hidden()
    check_accessibility(page)
    page.click("#step-submit")
    expect(page.locator("#joining-notice")).to_be_visible()
    expect(page.locator("#legal_existence")).to_be_hidden()
    expect(page.locator("#mandate_delegation")).to_be_hidden()
    check_accessibility(page)
    # Another SIRET typed instead: a new organisation again, its name to type.
    page.click("#step-back")
    page.fill("#siret", random_siret())
    expect(denomination).not_to_have_attribute("readonly", "")
    expect(denomination).to_have_value("")
    page.fill("#siret", siret)
    expect(denomination).to_have_value(name)
    page.click("#step-submit")
    page.click("#step-submit")
    expect(page.locator("h1")).to_have_text("Vérifiez votre messagerie", timeout=20_000)
    link = platform.wait_for_link(email, "/activation?token=")
    assert link


def test_no_stale_progress_line_after_an_address_already_used(page, platform, tmp_path):
    admin = api_token(platform, ADMIN_EMAIL, ADMIN_PASSWORD)
    taken = approved_certifier(platform, admin, "Organisme déjà inscrit")
    page.goto("/comptes/creer")
    person(page, taken)
    page.click("#step-submit")
    page.select_option("#legal_form", "company")
    page.fill("#siret", random_siret())
    page.fill("#denomination", "Organisme nouveau")
    page.click("#step-submit")
    page.set_input_files("#legal_existence", str(pdf_file(tmp_path)))
    page.click("label[for=named_on_legal_proof]")
    page.click("#step-submit")
    expect(page.locator("#account-form .fr-alert--error").first).to_contain_text("Cette adresse est déjà utilisée")
    expect(page.locator("#submit-progress")).to_be_hidden()
    assert "Création du compte" not in page.locator("#account-form").inner_text()
    # The address is on step 1: shown there, and listed at the top.
    expect(page.locator("#step-state")).to_have_text("Étape 1 sur 3")
    expect(page.locator("#error-summary")).to_contain_text("Cette adresse ne peut pas être inscrite.")
    check_accessibility(page)
