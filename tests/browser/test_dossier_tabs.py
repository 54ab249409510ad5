"""The dossier's page on both sides (issue 13, points 5, 6, 8, 9 and the drafts of point 2):
DSFR tabs reachable with the keyboard and by #hash, the procedure's stepper and a summary
at the top; a request answered in one place (the piece asked for "À remplacer" with its
upload, one answer per question, one "Envoyer ma réponse"); typed text surviving an upload
and a reload (drafts on the device, a warning before leaving); the staff's private
annotations, instruction report and external opinion (with the expert's report, kept and
downloadable), which the depositor never sees;
each piece's versions; pieces attached to messages both ways; the depositor's contact."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from .cases import World
from .conftest import check_accessibility, screenshot
from .helpers import PASSWORD, login, pdf_file, tick

pytestmark = pytest.mark.browser

QUESTIONS = ["Qui compose le jury ?", "Combien de sessions d’examen par an ?"]
SECRET = "Annotation privée : vérifier le financement de l’organisme."


def shots(page: Page, name: str) -> None:
    """Desktop (1280) and mobile (375) widths, under test-artifacts/screenshots/."""
    screenshot(page, f"{name}-bureau")
    page.set_viewport_size({"width": 375, "height": 812})
    screenshot(page, f"{name}-mobile")
    page.set_viewport_size({"width": 1280, "height": 900})


def drafts(page: Page) -> list[str]:
    return list(page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('certreg:draft:'))"))


def would_warn_before_leaving(page: Page) -> bool:
    return bool(
        page.evaluate(
            "() => { const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return e.defaultPrevented; }"
        )
    )


def messages(w: World, fid: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = httpx.get(f"{w.base}/api/review/cases/{fid}/messages", headers=w.h["instructor"]).json()["items"]
    return listed


def under_instruction_with_a_request(w: World, fid: str) -> None:
    w.submit(fid)
    w.wait_status(fid, "received")
    w.review(f"/cases/{fid}/completeness", {"complete": True, "missing": [], "message": ""}, "reviewer")
    w.review(f"/cases/{fid}/admissibility", {"admissible": True}, "reviewer")
    w.review(f"/cases/{fid}/assignment", {"instructor_id": w.ids["instructor"]}, "reviewer")
    items = [{"doc_type": "competence_framework"}, *({"question": q} for q in QUESTIONS)]
    due = (w.platform.today() + timedelta(days=20)).isoformat()
    w.review(f"/cases/{fid}/requests", {"items": items, "message": "Merci de compléter votre dossier.", "due_date": due}, "instructor", 201)


def test_both_sides_of_a_dossier_tabs_request_answer_drafts_and_private_notes(page, browser, platform, tmp_path):
    w = World(platform, "Organisme des onglets", roles=("reviewer", "instructor"))
    fid = w.new_filing("Technicien en onglets et stepper")
    under_instruction_with_a_request(w, fid)

    # ---------------------------------------------------------------- the certifier
    login(page, w.certifier, PASSWORD)
    for _ in range(40):
        page.goto(f"/dossiers/{fid}")
        page.wait_for_selector("#page h1:not(:text('Dossier'))")
        if page.locator("#reponse").count():
            break
        page.wait_for_timeout(250)
    stepper = page.locator("#procedure-stepper")
    expect(stepper).to_contain_text("Instruction")
    expect(stepper).to_contain_text("Étape 3 sur 5")
    expect(stepper.locator(".fr-stepper__steps")).to_have_attribute("data-fr-current-step", "3")
    expect(page.locator("#summary")).to_contain_text("Pièces obligatoires")
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_text(["Dossier", "Pièces", "Échanges", "Courriers", "Historique"])
    # The banner names what is asked and links to it.
    banner = page.locator("#banner")
    expect(banner.locator("a[href='#piece-competence_framework']")).to_be_visible()
    expect(banner.locator("a[href='#answer-1']")).to_have_text(QUESTIONS[1])

    # Keyboard: DSFR's tabs move with the arrows; the tab shown is in the URL.
    page.get_by_role("tab", name="Dossier").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Pièces")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-pieces")).to_be_visible()
    expect(page.locator("#panel-dossier")).to_be_hidden()
    page.wait_for_function("() => location.hash === '#pieces'")
    # The piece asked for: "À remplacer" in the list, with a link to where it is replaced.
    listed = page.locator("#liste-piece-competence_framework")
    expect(listed.locator("[data-state=to-replace]")).to_have_text("À remplacer")
    check_accessibility(page)
    shots(page, "dossier-onglets-pieces")

    # One answer per question, typed before the upload: an upload does not wipe it.
    page.fill("#answer-0", "Deux professionnels du secteur et un formateur.")
    listed.get_by_role("link", name="Remplacer cette pièce dans votre réponse").click()
    row = page.locator("#reponse #piece-competence_framework")
    expect(row.locator("[data-state=to-replace]")).to_be_visible()
    page.set_input_files("#file-competence_framework", str(pdf_file(tmp_path, "competences-v2.pdf")))
    row.locator("button[type=submit]").click()
    expect(row.locator("[data-state=replaced]")).to_be_visible()
    expect(page.locator("#answer-0")).to_have_value("Deux professionnels du secteur et un formateur.")
    # ...nor does a reload: the draft comes back, and leaving was warned about.
    assert would_warn_before_leaving(page)
    page.fill("#answer-1", "Deux sessions par an.")
    page.once("dialog", lambda d: d.accept())
    page.reload()
    expect(page.locator("#answer-0")).to_have_value("Deux professionnels du secteur et un formateur.")
    expect(page.locator("#answer-1")).to_have_value("Deux sessions par an.")
    expect(page.locator("#answer-form .cr-draft-restored")).to_contain_text("restaurés")
    assert page.evaluate("location.hash") == "#piece-competence_framework"  # the link followed
    # The piece's versions: both, with who, size and fingerprint.
    page.get_by_role("tab", name="Pièces").click()
    history = page.locator("#liste-piece-competence_framework details[data-history=competence_framework]")
    history.locator("summary").click()
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history.locator("tr[data-version='1']")).to_contain_text("remplacée le")
    expect(history.locator("tr[data-version='2']")).to_contain_text("pas encore déposée")
    expect(history).to_contain_text("…")  # the SHA-256's start
    check_accessibility(page)

    # One button sends the answers and the piece together.
    page.click("label[for=answer-sworn]")
    page.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page.locator("#page > .fr-alert--success")).to_contain_text("Votre réponse est envoyée")
    w.wait_status(fid, "under_instruction")
    answer = messages(w, fid)[-1]
    assert answer["author_side"] == "depositor"
    assert f"Question 1 : {QUESTIONS[0]}\nRéponse : Deux professionnels du secteur et un formateur." in answer["body"]
    assert "Réponse : Deux sessions par an." in answer["body"]
    assert drafts(page) == []  # sent: the drafts are gone
    assert not would_warn_before_leaving(page)
    assert page.js_errors == []

    # ---------------------------------------------------------------- the instructor
    staff_context = browser.new_context(
        base_url=platform.base_url, locale="fr-FR", bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    staff = staff_context.new_page()
    staff_errors: list[str] = []
    staff.on("pageerror", lambda exc: staff_errors.append(str(exc)))
    login(staff, w.emails["instructor"], PASSWORD, back_office=True)
    staff.goto(f"/back-office/dossiers/{fid}#annotations")
    expect(staff.get_by_role("tab")).to_have_text(["Demande", "Pièces", "Messagerie", "Annotations privées", "Avis", "Historique"])
    expect(staff.get_by_role("tab", name="Annotations privées")).to_have_attribute("aria-selected", "true")  # deep link
    expect(staff.locator("#procedure-stepper")).to_contain_text("Étape 3 sur 5")
    facts = staff.locator("#facts")
    expect(facts).to_contain_text("Contact du déposant")
    expect(facts.locator(f"a[href='mailto:{w.certifier}']")).to_be_visible()

    staff.fill("#annotation", SECRET)
    staff.get_by_role("button", name="Ajouter l’annotation").click()
    expect(staff.locator("#annotation-list")).to_contain_text(SECRET)
    expect(staff.get_by_role("tab", name="Annotations privées")).to_have_attribute("aria-selected", "true")

    staff.get_by_role("tab", name="Avis").click()
    staff.fill("#report-body", "Rapport : référentiels cohérents, jury conforme.")
    staff.get_by_role("button", name="Enregistrer le rapport").click()
    expect(staff.locator("#report")).to_contain_text("référentiels cohérents")
    staff.fill("#external-expert", "M. Leroy, rapporteur")
    staff.fill("#external-question", "Le bloc BC01 est-il évaluable en situation ?")
    staff.get_by_role("button", name="Enregistrer la demande d’avis").click()
    opinion = staff.locator("[data-external]")
    expect(opinion).to_contain_text("En attente")
    opinion.locator("textarea").fill("Oui, par une mise en situation de deux heures.")
    # The expert's report goes with the answer: a file that is not a document is refused next
    # to its field (nothing recorded), the PDF is kept and offered for download.
    fake = tmp_path / "rapport.pdf"
    fake.write_bytes(b"<html>pas un document</html>")
    opinion.get_by_label("Rapport de l’expert (facultatif)").set_input_files(str(fake))
    opinion.get_by_role("button", name="Enregistrer l’avis reçu").click()
    expect(opinion.locator(".fr-error-text")).to_contain_text("Type de fichier non accepté")
    expect(opinion).to_contain_text("En attente")
    check_accessibility(staff)  # the answer's form with its file field, in error
    report = pdf_file(tmp_path, "rapport-leroy.pdf")
    opinion.get_by_label("Rapport de l’expert (facultatif)").set_input_files(str(report))
    opinion.get_by_role("button", name="Enregistrer l’avis reçu").click()
    expect(staff.locator("[data-external]")).to_contain_text("mise en situation de deux heures")
    expect(staff.locator("[data-external]")).to_contain_text("rapport-leroy.pdf")
    with staff.expect_download() as got:
        staff.get_by_role("button", name="Télécharger le rapport de l’expert rapport-leroy.pdf").click()
    assert got.value.suggested_filename == "rapport-leroy.pdf" and got.value.path().read_bytes() == report.read_bytes()

    # A message with a piece of the filing attached, after the answer's submission reached review.
    staff.get_by_role("tab", name="Messagerie").click()
    for _ in range(40):
        if staff.locator("#fs-attachments input").count() >= 2:
            break
        staff.reload()
        staff.get_by_role("tab", name="Messagerie").click()
    expect(staff.locator("#dialogue .cr-thread")).to_contain_text("Deux sessions par an.")
    staff.fill("#message-body", "Voici le référentiel que nous avons annoté.")
    tick(staff, staff.locator("#fs-attachments label", has_text="competences-v2.pdf"))
    staff.get_by_role("button", name="Envoyer le message").click()
    sent = staff.locator("#dialogue .cr-thread > li", has_text="que nous avons annoté")
    expect(sent.locator("[data-attachments] button")).to_contain_text("competences-v2.pdf", timeout=15_000)
    staff.get_by_role("tab", name="Pièces").click()
    expect(staff.locator("details[data-history=competence_framework] tbody tr")).to_have_count(2)
    check_accessibility(staff)
    shots(staff, "bo-dossier-onglets")
    staff.get_by_role("tab", name="Avis").click()
    check_accessibility(staff)
    shots(staff, "bo-dossier-avis")
    assert staff_errors == []
    staff_context.close()

    # ---------------------------------------------------------------- the certifier again
    page.goto(f"/dossiers/{fid}#echanges")  # the same page: only the hash changes
    expect(page.get_by_role("tab", name="Échanges")).to_have_attribute("aria-selected", "true")
    page.reload()  # the staff's message, and the tab named by the hash again
    expect(page.get_by_role("tab", name="Échanges")).to_have_attribute("aria-selected", "true")
    staff_message = page.locator("#dialogue .cr-thread > li", has_text="que nous avons annoté")
    expect(staff_message.locator("[data-attachments] button")).to_contain_text("competences-v2.pdf")
    # The depositor answers with a piece attached too.
    page.fill("#message-body", "Merci, voici notre version commentée.")
    tick(page, page.locator("#fs-attachments label", has_text="competences-v2.pdf"))
    page.get_by_role("button", name="Envoyer le message").click()
    answer = page.locator("#dialogue .cr-thread > li", has_text="notre version commentée")
    expect(answer.locator("[data-attachments] button")).to_contain_text("competences-v2.pdf", timeout=15_000)
    assert [m["document_ids"] != [] for m in messages(w, fid)][-2:] == [True, True]
    # Nothing of the staff's own writing reaches this side.
    for text in (SECRET, "référentiels cohérents", "M. Leroy", "deux heures", "rapport-leroy"):
        assert text not in page.content()
    # Nor the expert's report, asked for by hand with the depositor's own token.
    [opinion_id] = [
        o["id"] for o in httpx.get(f"{w.base}/api/review/cases/{fid}/external-opinions", headers=w.h["instructor"]).json()["items"]
    ]
    token = page.evaluate("() => sessionStorage.getItem('certreg.token')")
    refused = httpx.get(
        f"{w.base}/api/review/cases/{fid}/external-opinions/{opinion_id}/document", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 403
    for tab, panel in (("Historique", "historique"), ("Courriers", "courriers"), ("Dossier", "dossier")):
        page.get_by_role("tab", name=tab).click()
        expect(page.locator(f"#panel-{panel}")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Compléments déposés")
    page.get_by_role("tab", name="Historique").click()
    page.wait_for_function("() => location.hash === '#historique'")
    check_accessibility(page)
    shots(page, "dossier-onglets-historique")
    assert page.js_errors == []


def test_a_description_draft_survives_an_upload_and_a_reload(page, platform, tmp_path):
    w = World(platform, "Organisme des brouillons", roles=())
    created = httpx.post(
        f"{w.base}/api/filings",
        headers=w.dep,
        json={"repertoire": "rs", "title": "Habilitation aux brouillons", "is_cqp": False, "rests_on_standards": False},
    )
    assert created.status_code == 201, created.text
    fid = created.json()["filing_id"]
    login(page, w.certifier, PASSWORD)
    page.goto(f"/dossiers/{fid}")
    expect(page.locator("#procedure-stepper")).to_contain_text("Constitution du dossier")
    page.fill("#f-summary", "Un résumé tapé mais pas encore enregistré.")
    page.fill("#f-activities", "Activité une\nActivité deux")
    # An upload re-draws the page: the typed text stays.
    page.get_by_role("tab", name="Pièces").click()
    required = page.locator("#pieces input[type=file]").first
    key = (required.get_attribute("id") or "").removeprefix("file-")
    required.set_input_files(str(pdf_file(tmp_path, "piece.pdf")))
    date_input = page.locator(f"#date-{key}")
    if date_input.count():
        date_input.fill(platform.today().isoformat())
    page.locator(f"#piece-{key} button[type=submit]").click()
    expect(page.locator(f"#piece-{key}")).to_contain_text("piece.pdf")
    page.get_by_role("tab", name="Dossier").click()
    expect(page.locator("#f-summary")).to_have_value("Un résumé tapé mais pas encore enregistré.")
    # A reload: the drafts come back, with a notice; leaving warned first.
    assert would_warn_before_leaving(page)
    page.once("dialog", lambda d: d.accept())
    page.reload()
    expect(page.locator("#f-summary")).to_have_value("Un résumé tapé mais pas encore enregistré.")
    expect(page.locator("#f-activities")).to_have_value("Activité une\nActivité deux")
    expect(page.locator("#description-form .cr-draft-restored")).to_be_visible()
    # Saved: the drafts are forgotten, nothing is left to warn about.
    page.click("#description-form button[type=submit]")
    expect(page.locator("#description-form .fr-alert--success")).to_contain_text("enregistrée")
    assert drafts(page) == []
    assert not would_warn_before_leaving(page)
    saved = httpx.get(f"{w.base}/api/filings/{fid}", headers=w.dep).json()
    assert saved["summary"] == "Un résumé tapé mais pas encore enregistré."
    assert re.sub(r"\s+", " ", " ".join(saved["activities"])) == "Activité une Activité deux"
    assert page.js_errors == []
