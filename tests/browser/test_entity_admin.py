"""The SI administrator's page of an entity (issue 12, point 2): reached from the account
requests, the entity's details corrected with a reason (kept in its history), a member made
one more manager, confirmed in a modal and audited."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect

from .cases import shots
from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, check_accessibility
from .helpers import PASSWORD, api_token, approved_certifier, login, unique_email

pytestmark = pytest.mark.browser


def colleague(platform, manager: dict[str, str], siret: str) -> tuple[str, str]:
    """Someone who joins the manager's entity (by its SIRET), approved by the manager; (e-mail, account id)."""
    base = platform.base_url
    email = unique_email("collegue")
    person = {
        "email": email,
        "password": PASSWORD,
        "first_name": "Bastien",
        "last_name": "Collègue",
        "phone": "0123456789",
        "job_title": "Formateur",
    }
    created = httpx.post(f"{base}/api/identity/accounts", json=person)
    assert created.status_code == 201, created.text
    onboarding = {"Authorization": f"Bearer {created.json()['onboarding_token']}"}
    body = {"kind": "other", "legal_form": "company", "has_siret": True, "siret": siret, "named_on_legal_proof": True}
    app = httpx.post(f"{base}/api/entities/applications", headers=onboarding, json=body)
    assert app.status_code == 201, app.text
    assert httpx.post(f"{base}/api/entities/applications/{app.json()['application_id']}/submit", headers=onboarding).status_code == 202
    token = platform.wait_for_link(email, "/activation?token=").split("token=", 1)[1]
    assert httpx.post(f"{base}/api/identity/activation", json={"token": token, "password": PASSWORD}).status_code == 200
    account_id = created.json()["account_id"]
    for _ in range(80):
        if httpx.post(f"{base}/api/identity/account-requests/{account_id}/approve", headers=manager, json={}).status_code == 200:
            return email, account_id
        time.sleep(0.25)
    raise AssertionError("the colleague was never approved")


def test_the_si_admin_corrects_an_entity_and_hands_its_management_over(page, platform):
    admin = api_token(platform, ADMIN_EMAIL, ADMIN_PASSWORD)
    manager_email = approved_certifier(platform, admin, "Organisme à corriger")
    manager = api_token(platform, manager_email)
    entity_id = httpx.get(f"{platform.base_url}/api/identity/me", headers=manager).json()["entity_id"]
    siret = httpx.get(f"{platform.base_url}/api/entities/entities/{entity_id}", headers=manager).json()["siret"]
    other_email, other_id = colleague(platform, manager, siret)

    login(page, ADMIN_EMAIL, ADMIN_PASSWORD, back_office=True)
    page.goto("/back-office/demandes-de-compte")
    page.locator(f"[data-decided='{manager_email}'] a[data-entity-link]").click()
    expect(page).to_have_url(f"/back-office/organismes/{entity_id}")
    expect(page.locator("#denomination")).to_have_text("Organisme à corriger")

    # the details: a reason is required, then the correction is kept in the history
    page.fill("#entity-denomination", "Organisme corrigé")
    page.fill("#entity-city", "Lyon")
    page.click("#correction-submit")
    expect(page.locator("#entity-reason-erreur")).to_contain_text("motif de la correction")
    page.fill("#entity-reason", "Changement de dénomination (Kbis du 3 novembre 2026).")
    page.click("#correction-submit")
    expect(page.locator(".fr-alert--success")).to_contain_text("corrigées")
    expect(page.locator("#denomination")).to_have_text("Organisme corrigé")
    expect(page.locator("#changes")).to_contain_text("Dénomination : Organisme à corriger → Organisme corrigé")
    expect(page.locator("#changes")).to_contain_text("Kbis du 3 novembre 2026")

    # one more manager (the transfer is the same form with transfer: true; identity's tests)
    row = page.locator(f"[data-member='{other_email}']")
    row.locator("[data-add-manager]").click()
    modal = page.locator("dialog[data-confirmation][data-ready]")
    expect(modal).to_contain_text("Ajouter Bastien Collègue comme gestionnaire ?")
    check_accessibility(page)
    modal.get_by_role("button", name="Ajouter comme gestionnaire").click()
    expect(page.locator(f"[data-member='{other_email}'] [data-roles]")).to_contain_text("Gestionnaire entité")
    members = httpx.get(f"{platform.base_url}/api/identity/entities/{entity_id}/members", headers=admin).json()["items"]
    roles = {m["email"]: sorted(m["roles"]) for m in members}
    assert roles[other_email] == roles[manager_email] == ["depositor", "entity_manager"]
    shots(page, "bo-organisme")

    audit = httpx.get(f"{platform.base_url}/api/identity/accounts/{other_id}/audit", headers=admin).json()["items"]
    assert audit[0]["action"] == "manager_appointed"
