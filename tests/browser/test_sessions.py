"""Sessions and offboarding as people meet them (issue 13, points 2 and 11; issue 11,
point 8), in Chromium:

- the SI administrator deactivates an agent, reactivates them, changes their roles
  (« Agents »); an entity manager removes a member (« Mon organisme ») and finds the
  request in the archive of processed requests; another hands the management over;
- on a platform whose access token lives 30 s: the token is renewed while the person is
  active, « Votre session va expirer » warns them when idle and « Rester connecté »
  renews it, a new tab opens signed in, and when the session cannot be renewed the
  password is asked again on the page, with what was typed kept.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningPlatform, check_accessibility, run_platform, screenshot
from .helpers import PASSWORD, api_token, approved_certifier, login, staff_member, unique_email

pytestmark = pytest.mark.browser

TTL = 30  # seconds: the short platform's access token lifetime
SERVICE_NAME = "Certifications professionnelles de l’essai"  # the short platform's CERTREG_SERVICE_NAME


def _token(page: Page) -> str:
    token: str = page.evaluate("sessionStorage.getItem('certreg.token') || ''")
    return token


def _confirm(page: Page, label: str) -> None:
    modal = page.locator("dialog[data-confirmation][data-ready]")
    modal.get_by_role("button", name=label).click()
    # Gone, not fading out: axe measures a half-transparent modal's contrast as too low.
    expect(page.locator("dialog[data-confirmation]")).to_have_count(0)


def _colleague(platform: RunningPlatform, manager_email: str, first_name: str = "Martin", last_name: str = "Partant") -> str:
    """A second member of the manager's entity, approved by the manager; its e-mail."""
    base = platform.base_url
    manager = api_token(platform, manager_email)
    entity_id = httpx.get(f"{base}/api/identity/me", headers=manager).json()["entity_id"]
    siret = httpx.get(f"{base}/api/entities/entities/{entity_id}", headers=manager).json()["siret"]
    email = unique_email("membre")
    person = {"email": email, "password": PASSWORD, "first_name": first_name, "last_name": last_name, "job_title": "Chargé de mission"}
    created = httpx.post(f"{base}/api/identity/accounts", json=person)
    assert created.status_code == 201, created.text
    onboarding = {"Authorization": f"Bearer {created.json()['onboarding_token']}"}
    app = httpx.post(f"{base}/api/entities/applications", headers=onboarding, json={"has_siret": True, "siret": siret})
    assert app.status_code == 201, app.text
    assert httpx.post(f"{base}/api/entities/applications/{app.json()['application_id']}/submit", headers=onboarding).status_code == 202
    link = platform.wait_for_link(email, "/activation?token=")
    assert (
        httpx.post(f"{base}/api/identity/activation", json={"token": link.split("token=", 1)[1], "password": PASSWORD}).status_code == 200
    )
    account_id = created.json()["account_id"]
    for _ in range(80):
        approved = httpx.post(f"{base}/api/identity/account-requests/{account_id}/approve", headers=manager, json={})
        if approved.status_code == 200:
            return email
        time.sleep(0.25)  # identity learns of the submitted application through an event
    raise AssertionError(f"{email} never approved: {approved.text}")


def test_an_agent_is_deactivated_and_a_member_removed(page, platform: RunningPlatform) -> None:
    admin = api_token(platform, ADMIN_EMAIL, ADMIN_PASSWORD)
    agent_email, _ = staff_member(platform, admin, "instructor", "Agathe", "Partante")
    login(page, ADMIN_EMAIL, ADMIN_PASSWORD, back_office=True)
    page.click("#navigation >> text=Agents")
    expect(page.locator("h1")).to_have_text("Agents")
    row = page.locator(f"tr[data-agent='{agent_email}']")
    expect(row).to_contain_text("Actif")
    expect(row).to_contain_text("Instruction")
    row.get_by_role("button", name="Désactiver").click()
    expect(page.locator("dialog[data-confirmation][data-ready]")).to_contain_text("Désactiver le compte de Agathe Partante ?")
    _confirm(page, "Désactiver le compte")
    expect(row).to_contain_text("Désactivé")
    refused = httpx.post(f"{platform.base_url}/api/identity/token", data={"username": agent_email, "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["code"] == "disabled"
    check_accessibility(page)
    screenshot(page, "bo-agents-liste")

    row.get_by_role("button", name="Réactiver").click()
    _confirm(page, "Réactiver le compte")
    expect(row).to_contain_text("Actif")
    row.get_by_role("button", name="Modifier les rôles").click()
    roles = page.locator(f"form[data-roles-form='{agent_email}']")
    roles.locator("label", has_text="Contrôle").click()
    roles.locator("label", has_text="Instruction").click()
    roles.get_by_role("button", name="Enregistrer les rôles").click()
    expect(row).to_contain_text("Contrôle (complétude et recevabilité)")
    expect(row).not_to_contain_text("Instruction")
    agent = api_token(platform, agent_email)
    me = httpx.get(f"{platform.base_url}/api/identity/me", headers=agent).json()
    assert me["roles"] == ["reviewer"]

    # The portal: the entity manager removes a member who left.
    manager_email = approved_certifier(platform, admin, "Organisme des départs")
    member_email = _colleague(platform, manager_email)
    login(page, manager_email, PASSWORD)
    page.click("#navigation >> text=Mon organisme")
    expect(page.locator("h1")).to_have_text("Mon organisme")
    member = page.locator(f"tr[data-member='{member_email}']")
    expect(member).to_contain_text("Actif")
    expect(page.locator(f"tr[data-member='{manager_email}']")).to_contain_text("Gestionnaire")
    check_accessibility(page)
    screenshot(page, "entite-membres")
    member.get_by_role("button", name="Retirer de l’organisme").click()
    expect(page.locator("dialog[data-confirmation][data-ready]")).to_contain_text("Retirer Martin Partant de l’organisme ?")
    _confirm(page, "Retirer le membre")
    expect(member).to_contain_text("Retiré")
    refused = httpx.post(f"{platform.base_url}/api/identity/token", data={"username": member_email, "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["code"] == "removed"

    page.goto("/entite/demandes")
    archived = page.locator(f"#decided tr[data-decided='{member_email}']")
    expect(archived).to_contain_text("membre retiré")
    check_accessibility(page)
    screenshot(page, "entite-demandes-traitees")
    assert not page.js_errors, page.js_errors


def test_the_manager_hands_the_management_over(page, platform: RunningPlatform) -> None:
    """« Mon organisme »: « Transmettre la gestion », confirmed, makes the colleague the
    manager and the former manager a depositor, at once (the page is no longer theirs)."""
    admin = api_token(platform, ADMIN_EMAIL, ADMIN_PASSWORD)
    manager_email = approved_certifier(platform, admin, "Organisme de la relève")
    heir_email = _colleague(platform, manager_email, "Hélène", "Relève")
    login(page, manager_email, PASSWORD)
    page.click("#navigation >> text=Mon organisme")
    heir = page.locator(f"tr[data-member='{heir_email}']")
    expect(heir).to_contain_text("Déposant")
    expect(page.locator(f"tr[data-member='{manager_email}']").get_by_role("button")).to_have_count(0)  # not to oneself
    heir.get_by_role("button", name="Transmettre la gestion").click()
    modal = page.locator("dialog[data-confirmation][data-ready]")
    expect(modal).to_contain_text("Transmettre la gestion de l’organisme à Hélène Relève ?")
    expect(modal).to_contain_text("Vous resterez membre, comme déposant")
    check_accessibility(page)
    _confirm(page, "Transmettre la gestion")
    expect(page.locator("#members .fr-alert--success")).to_contain_text("Hélène Relève gère désormais l’organisme.")
    expect(page.locator("#members")).to_contain_text("Seul le gestionnaire de l’organisme en gère les membres.")
    check_accessibility(page)
    heir_token = api_token(platform, heir_email)
    members = httpx.get(f"{platform.base_url}/api/identity/entity-members?limit=200", headers=heir_token).json()["items"]
    roles = {m["email"]: sorted(m["roles"]) for m in members}
    assert roles == {heir_email: ["depositor", "entity_manager"], manager_email: ["depositor"]}
    claims = _token(page).split(".")[1]  # the page's renewed token carries the new roles
    assert json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["roles"] == ["depositor"]
    assert not page.js_errors, page.js_errors


@pytest.fixture(scope="module")
def short_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    """A platform of its own whose access tokens live TTL seconds (the lead before expiry
    is then a third of it: 10 s), and that commits to examining new organisations' account
    requests within 5 working days (a setting with no legal source: docs/API-NOTES.md), under a
    service name of its own."""
    yield from run_platform(
        tmp_path_factory.mktemp("certreg-ui-sessions"),
        CERTREG_ACCESS_TOKEN_TTL_SECONDS=str(TTL),
        CERTREG_ACCOUNT_VALIDATION_DAYS="5",
        CERTREG_SERVICE_NAME=SERVICE_NAME,
    )


def test_the_sign_up_page_states_the_configured_delay_as_the_platforms_own_commitment(browser, short_platform) -> None:
    """Issue 13, point 13: CERTREG_ACCOUNT_VALIDATION_DAYS told as the platform's service
    commitment for a new organisation, never as a legal delay."""
    context = browser.new_context(base_url=short_platform.base_url, locale="fr-FR", bypass_csp=True)
    try:
        page = context.new_page()
        page.goto("/comptes/creer")
        # CERTREG_SERVICE_NAME names the service in the header (issue 13, point 14).
        expect(page.locator(".fr-header__service-title")).to_have_text(SERVICE_NAME)
        expect(page).to_have_title(re.compile(f" — {re.escape(SERVICE_NAME)}$"))
        expect(page.locator("#validation-delay-text")).to_have_text(
            "pour un nouvel organisme, la plateforme s’engage à un examen sous 5 jours ouvrés après l’activation du compte "
            "(engagement de service de la plateforme, et non délai réglementaire)"
        )
        check_accessibility(page)
    finally:
        context.close()


def test_the_session_is_renewed_warned_and_kept(browser, short_platform: RunningPlatform) -> None:
    context = browser.new_context(
        base_url=short_platform.base_url, locale="fr-FR", bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        login(page, ADMIN_EMAIL, ADMIN_PASSWORD, back_office=True)
        page.goto("/back-office/agents")
        expect(page.locator("h1")).to_have_text("Agents")
        warning = page.locator("#session-modal")

        # Active (a key pressed every 2 s): renewed before it expires, without a word.
        first = _token(page)
        deadline = time.monotonic() + TTL + 10
        while _token(page) == first and time.monotonic() < deadline:
            page.keyboard.press("Shift")
            page.wait_for_timeout(2000)
        assert _token(page) != first, "the token was not renewed while the person was active"
        expect(warning).not_to_be_visible()

        # Idle: warned before expiry; « Rester connecté » renews it.
        expect(warning).to_be_visible(timeout=(2 * TTL + 10) * 1000)
        expect(warning).to_contain_text("Votre session va expirer")
        check_accessibility(page)
        screenshot(page, "session-expire-bientot")
        before = _token(page)
        warning.get_by_role("button", name="Rester connecté").click()
        expect(warning).not_to_be_visible()
        assert _token(page) not in ("", before)

        # A new tab (a mail link) opens signed in: its token comes from the session cookie.
        other = context.new_page()
        other.goto("/back-office/agents")
        expect(other.locator("h1")).to_have_text("Agents")
        expect(other.locator("#agents-table")).to_be_visible()
        other.close()

        # The session cannot be renewed any more (the cookie gone): the password is asked
        # on the page, and what was typed is still there afterwards.
        page.fill("#first_name", "Jeanne")
        page.fill("#last_name", "Conservée")
        email = unique_email("conservee").replace("organisme.example", "francecompetences.example")
        page.fill("#email", email)
        page.click("label[for=role-commission]")
        context.clear_cookies()
        expect(warning).to_contain_text("Votre session a expiré", timeout=(TTL + 10) * 1000)
        page.fill("#session-password", ADMIN_PASSWORD)
        warning.get_by_role("button", name="Se reconnecter").click()
        expect(warning).not_to_be_visible()
        assert page.input_value("#first_name") == "Jeanne" and page.input_value("#email") == email
        page.click("#staff-form button[type=submit]")
        expect(page.locator("#staff-form .fr-alert--success")).to_contain_text(email)
        assert not errors, errors
    finally:
        context.close()
