"""Small helpers shared by the browser tests."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from playwright.sync_api import Error, Locator, Page, expect

from certreg_testing.samples import random_siret

# A minimal valid PDF (the services sniff the content, not the name).
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PASSWORD = "Certif-Portail-2024!"


def unique_email(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}@organisme.example"


def pdf_file(tmp_path: Path, name: str = "piece.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(PDF)
    return path


def error_of(page: Page, field_id: str) -> str:
    """The error text linked to a field by aria-describedby (empty when none)."""
    text: str = page.evaluate(
        """(id) => {
            const el = document.getElementById(id);
            const owner = el.type === 'radio' ? el.closest('fieldset') : el;
            const ids = (owner.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
            return ids.map((i) => document.getElementById(i))
                .filter((e) => e && e.classList.contains('fr-error-text'))
                .map((e) => e.textContent).join(' ');
        }""",
        field_id,
    )
    return text


def tick(page: Page, label: Locator) -> None:
    """Ticks the DSFR checkbox (or radio button) of ``label`` (the input is drawn by its label) and checks it is
    ticked. In CI runs a click on such a label was sometimes followed by an unticked box (the
    form drawn again, cause not found), the form then sent without it: clicked again then."""
    box = page.locator(f"#{label.get_attribute('for')}")
    for _ in range(5):
        if box.is_checked():
            break
        label.click()
        page.wait_for_timeout(300)
    expect(box).to_be_checked()


def login(page: Page, email: str, password: str, *, back_office: bool = False) -> None:
    """Sign out whoever is signed in, then sign in through the login form."""
    from playwright.sync_api import expect

    page.goto("/back-office/connexion" if back_office else "/connexion")
    page.evaluate("sessionStorage.clear()")
    page.fill("#username", email)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Tableau de bord" if back_office else "Mes dossiers")


def reload_until(page: Page, url: str, selector: str, text: str | None = None, *, tries: int = 40) -> None:
    """Open ``url`` again until ``selector`` (containing ``text``) is on the page: what
    another service does after an event arrives a moment later."""
    from playwright.sync_api import expect

    for _ in range(tries):
        page.goto(url)
        locator = page.locator(selector)
        try:
            if text is None:
                expect(locator.first).to_be_visible(timeout=500)
            else:
                expect(locator.first).to_contain_text(text, timeout=500)
            return
        except AssertionError:
            continue
    raise AssertionError(f"{selector} {text or ''} never appeared on {url}")


def letter_text(page: Page, kind: str) -> str:
    """The text of the ``kind`` letter (registration, refusal…) downloaded from the dossier's
    « Courriers » tab, as a person gets it; its whitespace runs made single spaces."""
    import re
    from io import BytesIO

    from pypdf import PdfReader

    page.get_by_role("tab", name="Courriers").click()
    # DSFR discloses the panel on a later frame: click the letter once it is shown.
    expect(page.locator("#panel-courriers")).to_have_class(re.compile("fr-tabs__panel--selected"))
    button = page.locator(f"#panel-courriers li[data-letter={kind}] button")
    expect(button).to_be_visible()
    # Once in CI a click gave no download within 30 s and no error on the page. A second
    # click is what a person would do; what the page showed is kept to explain it.
    for attempt in (1, 2):
        try:
            with page.expect_download(timeout=15_000) as got:
                button.click()
            break
        except Error:
            shown = page.locator("#panel-courriers").inner_text()
            if attempt == 2:
                raise AssertionError(f"no download of the {kind} letter; the panel showed: {shown}") from None
            print(f"letter_text: no download of the {kind} letter after a click; the panel showed: {shown}")
    reader = PdfReader(BytesIO(Path(got.value.path()).read_bytes()))
    assert got.value.suggested_filename.endswith(".pdf"), got.value.suggested_filename
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in reader.pages))


# --------------------------------------------------------------------------- set-ups through the API
# What a browser test does not need to click through again (test_journey clicks it all).


def api_token(platform, email: str, password: str = PASSWORD) -> dict[str, str]:
    import httpx

    answer = httpx.post(f"{platform.base_url}/api/identity/token", data={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def approved_certifier(platform, admin: dict[str, str], denomination: str = "Organisme de formation Exemple") -> str:
    """A new entity's first account, activated and approved by the SI administrator
    (``admin``: their authorization header); its e-mail."""
    import httpx

    base = platform.base_url
    email = unique_email("certificateur")
    created = httpx.post(
        f"{base}/api/identity/accounts",
        json={
            "email": email,
            "password": PASSWORD,
            "first_name": "Camille",
            "last_name": "Martin",
            "phone": "0123456789",
            "job_title": "Directrice",
        },
    )
    assert created.status_code == 201, created.text
    onboarding = {"Authorization": f"Bearer {created.json()['onboarding_token']}"}
    application = httpx.post(
        f"{base}/api/entities/applications",
        headers=onboarding,
        json={
            "kind": "other",
            "legal_form": "company",
            "has_siret": True,
            "siret": random_siret(),
            "denomination": denomination,
            "named_on_legal_proof": True,
        },
    )
    assert application.status_code == 201, application.text
    app_id = application.json()["application_id"]
    piece = httpx.put(
        f"{base}/api/entities/applications/{app_id}/documents/legal_existence",
        headers=onboarding,
        files={"file": ("kbis.pdf", PDF, "application/pdf")},
    )
    assert piece.status_code == 201, piece.text
    assert httpx.post(f"{base}/api/entities/applications/{app_id}/submit", headers=onboarding).status_code == 202
    link = platform.wait_for_link(email, "/activation?token=")
    token = link.split("token=", 1)[1]
    assert httpx.post(f"{base}/api/identity/activation", json={"token": token, "password": PASSWORD}).status_code == 200
    account_id = created.json()["account_id"]
    for _ in range(80):
        approved = httpx.post(f"{base}/api/identity/account-requests/{account_id}/approve", headers=admin, json={})
        if approved.status_code == 200:
            return email
        time.sleep(0.25)  # identity learns of the submitted application through an event
    raise AssertionError(f"account {email} never approved: {approved.status_code} {approved.text}")


def staff_member(platform, admin: dict[str, str], role: str, first_name: str, last_name: str) -> tuple[str, str]:
    """A back-office account with ``role``, its password set from its mail; (e-mail, account id)."""
    import httpx

    email = unique_email(role).replace("organisme.example", "francecompetences.example")
    created = httpx.post(
        f"{platform.base_url}/api/identity/staff",
        headers=admin,
        json={"email": email, "first_name": first_name, "last_name": last_name, "roles": [role]},
    )
    assert created.status_code == 201, created.text
    link = platform.wait_for_link(email, "/mot-de-passe/definir?token=")
    token = link.split("token=", 1)[1]
    assert (
        httpx.post(f"{platform.base_url}/api/identity/password/reset", json={"token": token, "new_password": PASSWORD}).status_code == 204
    )
    return email, str(created.json()["account_id"])
