"""A certifier's whole journey clicking through both interfaces, from account creation
to a registered certification in the public registry.

Portal: account and entity with its piece, activation from the e-mail, login, filing
with every piece, submission with the sworn statement. Back office: the SI
administrator approves the account and creates the staff (their set-password links come
from the mail outbox); the reviewer checks completeness and admissibility and assigns
the instructor; the instructor marks the case ready; the commission creates a session,
puts the case on its agenda and gives a favourable opinion; the director registers it.
Then the portal shows the registration number and the decision letter, and the public
registry the record. axe-core runs on every page visited."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from certreg_testing.samples import random_siret

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, check_accessibility, screenshot
from .helpers import PASSWORD, error_of, letter_text, login, pdf_file, reload_until, tick, unique_email

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Technicien de maintenance des éoliennes"
SERVICE = "Enregistrement des certifications professionnelles"
STAFF = {  # role → (first name, last name)
    "reviewer": ("Rémi", "Contrôle"),
    "instructor": ("Inès", "Instruction"),
    "commission": ("Colette", "Commission"),
    "director": ("Denis", "Direction"),
}


def session_day(today: date) -> date:
    """Today, unless the commission does not sit this month (August): 1 September."""
    return date(today.year, 9, 1) if today.month == 8 else today


def visit(page: Page, name: str) -> None:
    """Every page visited: no serious accessibility violation, and a screenshot."""
    page.wait_for_load_state("networkidle")
    check_accessibility(page)
    screenshot(page, name)


def create_account(page: Page, platform, tmp_path, email: str) -> None:
    page.goto("/comptes/creer")
    # Three steps: the person, the organisation, its pieces.
    page.fill("#first_name", "Camille")
    page.fill("#last_name", "Martin")
    page.fill("#job_title", "Directrice")
    page.fill("#phone", "01 23 45 67 89")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#step-submit")
    page.select_option("#legal_form", "company")
    page.fill("#siret", random_siret())
    page.fill("#denomination", "Organisme de formation Exemple")
    page.click("#step-submit")
    page.set_input_files("#legal_existence", str(pdf_file(tmp_path, "kbis.pdf")))
    page.click("label[for=named_on_legal_proof]")
    page.click("#step-submit")
    expect(page.locator("h1")).to_have_text("Vérifiez votre messagerie")
    visit(page, "compte-verifiez-apres-creation")

    link = platform.wait_for_link(email, "/activation?token=")
    page.goto(link[link.index("/activation") :])
    page.fill("#password", PASSWORD)  # the password chosen at sign-up (issue 11, point 3)
    page.click("button[type=submit]")
    expect(page.locator(".fr-alert--success")).to_be_visible()
    assert "token" not in page.url
    visit(page, "activation")


def approve_account_and_create_staff(page: Page, platform, email: str) -> dict[str, str]:
    """As the SI administrator; returns the staff e-mails by role."""
    login(page, ADMIN_EMAIL, ADMIN_PASSWORD, back_office=True)
    # The service's French name (CERTREG_SERVICE_NAME's default), never "certreg" (point 14).
    expect(page.locator(".fr-header__service-title")).to_have_text(f"{SERVICE} — espace agents")
    visit(page, "bo-accueil-admin")
    page.click("#navigation >> text=Demandes de compte")
    card = page.locator(f"article[data-account='{email}']")
    expect(card).to_contain_text("Organisme de formation Exemple")
    visit(page, "bo-demandes")
    card.get_by_role("button", name="Valider").click()
    # A validation is confirmed first (issue 13, point 11).
    page.locator("dialog[data-confirmation][data-ready]").get_by_role("button", name="Valider la demande").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("validée")

    page.click("#navigation >> text=Agents")
    emails = {}
    for role, (first, last) in STAFF.items():
        emails[role] = unique_email(role).replace("organisme.example", "francecompetences.example")
        page.fill("#first_name", first)
        page.fill("#last_name", last)
        page.fill("#email", emails[role])
        page.click(f"label[for=role-{role}]")
        page.click("#staff-form button[type=submit]")
        expect(page.locator("#staff-form .fr-alert--success")).to_contain_text(emails[role])
    visit(page, "bo-agents")
    # The invitation sent again (point 11): confirmed, a new link mailed, the old one dead.
    first_link = platform.wait_for_link(emails["director"], "/mot-de-passe/definir?token=")
    page.locator(f"tr[data-agent='{emails['director']}']").get_by_role("button", name="Renvoyer l’invitation").click()
    modal = page.locator("dialog[data-confirmation][data-ready]")
    expect(modal).to_contain_text("Renvoyer l’invitation à Denis Direction ?")
    modal.get_by_role("button", name="Renvoyer l’invitation").click()
    expect(page.locator("#agents .fr-alert--success")).to_contain_text(
        f"Une nouvelle invitation est envoyée à {emails['director']} ; le lien précédent ne fonctionne plus."
    )
    expect(page.locator("dialog[data-confirmation]")).to_have_count(0)
    for _ in range(100):
        if len(platform.mails(emails["director"])) == 2:
            break
        page.wait_for_timeout(200)
    assert len(platform.mails(emails["director"])) == 2
    second_link = platform.wait_for_link(emails["director"], "/mot-de-passe/definir?token=")
    assert second_link != first_link
    stale = httpx.post(
        f"{platform.base_url}/api/identity/password/reset",
        json={"token": first_link.split("token=", 1)[1], "new_password": PASSWORD},
    )
    assert stale.status_code == 400, stale.text
    visit(page, "bo-agents-invitation-renvoyee")

    page.click("#navigation >> text=Courriels envoyés")
    expect(page.locator("#outbox")).to_contain_text(emails["director"])
    visit(page, "bo-courriels")
    return emails


def set_staff_passwords(page: Page, platform, emails: dict[str, str]) -> None:
    for role, address in emails.items():
        link = platform.wait_for_link(address, "/mot-de-passe/definir?token=")
        page.goto(link[link.index("/mot-de-passe") :])
        page.fill("#new_password", PASSWORD)
        page.fill("#confirm", PASSWORD)
        page.click("#reset-form button[type=submit]")
        expect(page.locator(".fr-alert--success")).to_contain_text("Mot de passe enregistré")
        if role == "reviewer":
            visit(page, "mdp-definir-fait")


def file_and_submit(page: Page, tmp_path) -> str:
    """As the certifier: a filing with its description and every piece, submitted."""
    page.click("text=Nouvelle demande d’enregistrement")
    page.fill("#title", TITLE)
    page.click("#filing-form button[type=submit]")
    assert "niveau de qualification" in error_of(page, "qualification_level")
    visit(page, "dossier-nouveau-erreur")
    page.select_option("#qualification_level", "5")
    page.click("#filing-form button[type=submit]")
    expect(page.locator("h1")).to_have_text(TITLE)
    filing_id = page.url.rstrip("/").split("/")[-1]

    # The description.
    page.fill("#f-summary", "Le technicien assure la maintenance préventive et corrective des éoliennes.")
    page.fill("#f-activities", "Maintenance préventive\nDiagnostic des pannes")
    page.fill("#f-competences", "Réaliser une intervention en hauteur\nDiagnostiquer une panne électrique")
    page.fill("#f-assessment_methods", "Mise en situation professionnelle\nEntretien avec le jury")
    page.fill("#block-1-code", "BC01")
    page.fill("#block-1-title", "Maintenir une éolienne")
    page.fill("#block-1-competences", "Réaliser une intervention en hauteur")
    page.fill("#block-1-assessment_methods", "Mise en situation sur une nacelle")
    page.click("#description-form button[type=submit]")
    expect(page.locator("#description-form .fr-alert--success")).to_be_visible()

    # One piece, then a dated piece without its date: the error is next to the date.
    def send(doc_type: str, document_date: str | None = None) -> None:
        page.set_input_files(f"#file-{doc_type}", str(pdf_file(tmp_path, f"{doc_type}.pdf")))
        if document_date:
            page.fill(f"#date-{doc_type}", document_date)
        page.locator(f"#piece-{doc_type} button[type=submit]").click()
        if document_date is not None or doc_type != "criminal_record":
            expect(page.locator(f"#piece-{doc_type}")).to_contain_text(f"{doc_type}.pdf")
            expect(page.locator(f"#piece-{doc_type}")).to_contain_text("Fournie")

    page.get_by_role("tab", name="Pièces").click()  # the dossier's tabs (issue 13, point 5)
    send("legal_existence")
    page.set_input_files("#file-criminal_record", str(pdf_file(tmp_path, "b3.pdf")))
    page.locator("#piece-criminal_record button[type=submit]").click()
    assert "date" in error_of(page, "date-criminal_record")

    # Submitting now: each missing piece is named next to its line of the checklist.
    page.click("label[for=sworn_statement]")
    page.click("#submit-form button[type=submit]")
    expect(page.locator("#submit-problems")).to_be_visible()
    expect(page.locator("#submit-problems")).to_be_focused()
    assert "Pièce manquante" in error_of(page, "file-activity_framework")
    assert "Pièce manquante" in error_of(page, "file-criminal_record")
    assert error_of(page, "file-legal_existence") == ""
    visit(page, "dossier-depot-incomplet")

    today = datetime.now(PARIS).date()
    for doc_type in ("activity_framework", "competence_framework", "assessment_framework"):
        send(doc_type)
    send("criminal_record", today.isoformat())
    expect(page.locator("#pieces")).not_to_contain_text("Manquante")

    page.click("label[for=sworn_statement]")
    page.click("#submit-form button[type=submit]")
    expect(page.locator(".fr-alert--success")).to_contain_text("déposée")
    page.get_by_role("tab", name="Courriers").click()
    expect(page.get_by_role("button", name=re.compile("Accusé de dépôt n°1"))).to_be_visible()
    visit(page, "dossier-depose")
    return filing_id


def open_case(page: Page, queue: str, filing_id: str) -> None:
    """From the back office's work queue to the case page."""
    page.goto("/back-office/dossiers")
    page.click(f"#queues >> text={queue}")
    row = page.locator(f"tr[data-filing='{filing_id}']")
    expect(row).to_be_visible()
    row.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(TITLE)


def act(page: Page, action: str, button: str) -> None:
    page.locator(f"form[data-action={action}]").get_by_role("button", name=button).click()
    expect(page.locator("#page > .fr-alert--success")).to_be_visible()


def test_certifier_from_account_creation_to_a_registered_certification(page, platform, tmp_path, request):
    certifier = unique_email("certificateur")
    create_account(page, platform, tmp_path, certifier)
    staff = approve_account_and_create_staff(page, platform, certifier)
    set_staff_passwords(page, platform, staff)

    # The certifier files.
    login(page, certifier, PASSWORD)
    expect(page.locator(".fr-header__service-title")).to_have_text(SERVICE)
    visit(page, "dossiers")
    filing_id = file_and_submit(page, tmp_path)

    # The reviewer: completeness, admissibility, assignment to the instructor.
    login(page, staff["instructor"], PASSWORD, back_office=True)
    instructor_id = page.locator("#account-id").inner_text().strip()
    login(page, staff["reviewer"], PASSWORD, back_office=True)
    reload_until(page, "/back-office/dossiers?status=received", f"tr[data-filing='{filing_id}']")
    visit(page, "bo-file-controle")
    open_case(page, "À contrôler", filing_id)
    expect(page.locator("#facts")).to_contain_text("Organisme de formation Exemple")
    expect(page.locator("form[data-action=completeness]")).to_be_visible()
    expect(page.locator("form[data-action=ready]")).to_have_count(0)
    # "Incomplete" with nothing named: each error next to its field.
    page.click("label[for=complete-false]")
    page.click("form[data-action=completeness] button[type=submit]")
    assert "au moins un élément" in error_of(page, "fs-missing")
    assert "obligatoire" in error_of(page, "completeness-message")
    visit(page, "bo-dossier-recu")
    page.click("label[for=complete-true]")
    act(page, "completeness", "Enregistrer le contrôle")
    expect(page.locator("#status")).to_have_text("Complète")
    page.click("label[for=admissible-true]")  # nothing is preselected
    act(page, "admissibility", "Enregistrer la recevabilité")
    expect(page.locator("#status")).to_have_text("Recevable")
    # The instructor is chosen by name in a list; choosing nobody is an error next to the field.
    page.click("form[data-action=assign] button[type=submit]")
    assert "Choisissez l’instructeur" in error_of(page, "instructor_id")
    # Named with their e-mail, so two homonyms (other tests share this platform) stay apart.
    expect(page.locator(f"#instructor_id option[value='{instructor_id}']")).to_contain_text(f"Inès Instruction — {staff['instructor']}")
    page.select_option("#instructor_id", instructor_id)
    act(page, "assign", "Affecter")
    expect(page.locator("#status")).to_have_text("En instruction")
    expect(page.locator("#facts")).to_contain_text("Inès Instruction")
    expect(page.locator("#instructor_id")).to_have_value(instructor_id)
    expect(page.locator("#timeline")).to_contain_text("Affectation à un instructeur")

    # The instructor asks for a complement; the certifier answers on the portal.
    login(page, staff["instructor"], PASSWORD, back_office=True)
    open_case(page, "Mes dossiers en instruction", filing_id)
    due = datetime.now(PARIS).date() + timedelta(days=14)
    page.click("label[for=items-assessment_framework]")
    page.fill("#request-questions", "Précisez la composition du jury.")
    page.fill("#request-message", "Merci de compléter le référentiel d’évaluation.")
    page.fill("#request-due", due.isoformat())
    visit(page, "bo-dossier-instruction")
    act(page, "request", "Envoyer la demande")
    expect(page.locator("#status")).to_have_text("En attente de compléments")
    expect(page.locator("[data-request]")).to_contain_text("Précisez la composition du jury.")

    login(page, certifier, PASSWORD)
    reload_until(page, f"/dossiers/{filing_id}", "#banner", "Précisez la composition du jury.")
    expect(page.locator("#banner")).to_contain_text("jours restants")
    visit(page, "dossier-demande-de-complements")
    page.set_input_files("#file-assessment_framework", str(pdf_file(tmp_path, "evaluation-v2.pdf")))
    page.locator("#piece-assessment_framework button[type=submit]").click()
    expect(page.locator("#piece-assessment_framework")).to_contain_text("version 2")
    # One answer per question and one button for the answers and the piece (issue 13, point 6).
    page.fill("#answer-0", "Le jury réunit deux professionnels du secteur et un formateur.")
    page.click("label[for=answer-sworn]")
    page.get_by_role("button", name="Envoyer ma réponse").click()
    page.get_by_role("tab", name="Échanges").click()
    expect(page.locator("#dialogue .cr-thread")).to_contain_text("deux professionnels")
    page.get_by_role("tab", name="Courriers").click()
    expect(page.get_by_role("button", name=re.compile("Accusé de dépôt n°2"))).to_be_visible()

    # The instructor: the answer arrived; ready for the commission.
    login(page, staff["instructor"], PASSWORD, back_office=True)
    reload_until(page, f"/back-office/dossiers/{filing_id}", "#status", "En instruction")
    expect(page.locator("#dialogue")).to_contain_text("deux professionnels")
    expect(page.locator("#timeline")).to_contain_text("Compléments déposés")
    act(page, "ready", "Déclarer le dossier prêt pour la commission")
    expect(page.locator("#status")).to_have_text("Prête pour la commission")

    # The commission: a session, the case on its agenda, a favourable opinion.
    now = datetime.now(PARIS)
    day = session_day(now.date())
    login(page, staff["commission"], PASSWORD, back_office=True)
    page.click("#navigation >> text=Commission")
    page.fill("#session-date", day.isoformat())
    page.click("#session-form button[type=submit]")
    session = page.locator(f"section[data-session='{day.isoformat()}']")
    expect(session).to_be_visible()
    session.locator("select[name=filing_id]").select_option(filing_id)
    session.get_by_role("button", name="Inscrire à l’ordre du jour").click()
    expect(session.locator(f"li[data-filing='{filing_id}']")).to_contain_text("Inscrite en commission")
    expect(session.locator(f"li[data-filing='{filing_id}'] [data-reference]")).to_contain_text(re.compile(r"N° \d{4}-\d{6}"))
    if day > now.date():  # the opinion is given on the day of the session or later
        platform.move_clock_to(datetime.combine(day, time(10), PARIS))
        request.addfinalizer(lambda: platform.clock_file.write_text("0"))
    opinion = page.locator(f"form[data-opinion='{filing_id}']")
    tick(page, opinion.locator("label[for$='-favourable']"))
    opinion.locator("select").first.select_option("qualite_referentiels")
    opinion.locator("textarea").first.fill("Référentiels complets et cohérents avec le métier visé.")
    visit(page, "bo-commission")
    opinion.get_by_role("button", name="Enregistrer l’avis").click()
    expect(session.locator(f"li[data-filing='{filing_id}']")).to_contain_text("Avis : Favorable")

    # The director registers the certification.
    login(page, staff["director"], PASSWORD, back_office=True)
    open_case(page, "À décider", filing_id)
    # the criterion as the commission's list names it: the item of R. 6113-9 in force (3° from 1 October 2025)
    expect(page.locator("#opinion")).to_contain_text("3° Qualité des référentiels d'activités, de compétences et d'évaluation")
    page.fill("#motivation", "Avis favorable de la commission ; les critères d’enregistrement sont remplis.")
    page.click("label[for=register-true]")  # nothing is preselected
    visit(page, "bo-dossier-decision")
    page.locator("form[data-action=decision]").get_by_role("button", name="Signer la décision").click()
    modal = page.locator("dialog[data-confirmation][data-ready]")  # an irreversible action: confirmed in a modal
    expect(modal).to_contain_text("Signer l’enregistrement de la certification ?")
    visit(page, "bo-dossier-decision-confirmation")
    modal.get_by_role("button", name="Signer la décision").click()
    expect(page.locator("#page > .fr-alert--success")).to_be_visible()
    number = page.locator("#registration-number").inner_text().strip()
    assert re.fullmatch(r"RNCP[1-9][0-9]*", number), number
    expect(page.locator("#status")).to_have_text("En attente de publication au JO")
    # The decision is published in the Journal officiel: staff record it (issue 12, point 5).
    today = page.evaluate("new Date().toLocaleDateString('en-CA', { timeZone: 'Europe/Paris' })")
    page.fill("#jo-date", today)
    page.fill("#jo-reference", "JORF n°0280 du 1er décembre 2026, texte n° 42")
    page.fill("#effective-date", today)
    page.locator("form[data-action=publish]").get_by_role("button", name="Enregistrer la publication").click()
    page.locator("dialog[data-confirmation]").get_by_role("button", name="Enregistrer la publication").click()
    expect(page.locator("#status")).to_have_text("Enregistrée")
    expect(page.locator("#jo-reference")).to_contain_text("JORF n°0280")
    visit(page, "bo-dossier-enregistre")

    # The certifier sees the number and the decision letter.
    login(page, certifier, PASSWORD)
    reload_until(page, f"/dossiers/{filing_id}", "li[data-letter=registration]", "Décision d'enregistrement")
    expect(page.locator("#registration-number")).to_have_text(number)
    expect(page.locator("#timeline")).to_contain_text("Décision : enregistrement")
    page.get_by_role("button", name="Accuser réception de la décision").click()
    expect(page.locator("#decision")).to_contain_text("Réception accusée le")
    visit(page, "dossier-enregistre")
    # The letter names the level and the certifier (point 14), as downloaded from « Courriers ».
    letter = letter_text(page, "registration")
    assert "Niveau de qualification niveau 5 du cadre national des certifications professionnelles" in letter, letter
    assert f"« {TITLE} », de niveau 5, de Organisme de formation Exemple" in letter, letter
    assert "Organisme certificateur Organisme de formation Exemple (SIRET" in letter, letter

    # The public registry, signed out (the session's mark too: else the page asks the
    # session cookie for a token, as a new tab does).
    page.evaluate("sessionStorage.clear(); localStorage.clear()")
    page.goto("/registre")
    page.fill("#q", number)
    page.click("#search-form button[type=submit]")
    expect(page.locator("#results")).to_contain_text(f"{number} — {TITLE}")
    visit(page, "registre-recherche")
    page.get_by_role("link", name=re.compile(number)).click()
    expect(page.locator("h1")).to_have_text(f"{number} — {TITLE}")
    expect(page.locator("#record")).to_contain_text("Maintenir une éolienne")
    visit(page, "registre-fiche")
    assert page.js_errors == []
