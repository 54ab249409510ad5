"""The fiche in the depositor's dossier page (issue 14): the API's rules checked in the form
before sending (SIRET key, a jury per open route), an unknown code refused by the API next to
its field, and the preview of the public fiche as the registry will show it."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from certreg_testing.samples import random_siret

from .cases import World, shots
from .conftest import check_accessibility
from .helpers import PASSWORD, login

pytestmark = pytest.mark.browser


def test_the_fiche_is_filled_checked_and_previewed(page, platform):
    w = World(platform, "Organisme de la fiche", roles=())
    fid = w.new_filing("Développeur d'applications web")
    filer, partner = random_siret(), random_siret()
    login(page, w.certifier, PASSWORD)
    page.goto(f"/dossiers/{fid}")
    form = page.locator("#fiche-form")
    form.get_by_role("button", name="Ajouter un certificateur").click()
    form.get_by_role("button", name="Ajouter un certificateur").click()
    page.fill("[name='fiche.certifiers.0.siret']", filer)
    page.fill("[name='fiche.certifiers.0.name']", "Organisme de la fiche")
    page.fill("[name='fiche.certifiers.1.siret']", partner[:-1] + str((int(partner[-1]) + 1) % 10))  # wrong key
    page.fill("[name='fiche.certifiers.1.name']", "Université partenaire")
    page.fill("[name='fiche.nsf_codes']", "326\n326t")
    page.fill("[name='fiche.rome_codes']", "M1805\nM9999")  # well formed, but no such ROME code
    page.click("label[for=f-route-continuing_training]")
    page.fill("[name='fiche.access_routes.continuing_training.jury']", "Trois professionnels et un formateur")
    page.click("label[for=f-route-vae]")  # open, no jury yet
    form.locator("button[type=submit]").click()
    # Checked in the page, as the API would: the SIRET's key, the jury of an open route.
    expect(form.locator("#f-fiche-certifiers-1-siret-erreur")).to_contain_text("clé de contrôle")
    expect(form.locator("#f-fiche-access_routes-vae-jury-erreur")).to_contain_text("composition du jury")
    page.fill("[name='fiche.certifiers.1.siret']", partner)
    page.fill("[name='fiche.access_routes.vae.jury']", "Deux professionnels et un représentant du certificateur")
    form.locator("button[type=submit]").click()
    # The unknown code: refused by the API (the nomenclature shipped), shown at its field.
    expect(form.locator("#f-fiche-rome_codes-erreur")).to_contain_text("« M9999 » n'existe pas dans la nomenclature ROME")
    page.fill("[name='fiche.rome_codes']", "M1805\nM1810")
    form.locator("button[type=submit]").click()
    expect(page.locator("#fiche-form .fr-alert--success")).to_contain_text("enregistrée")

    preview = page.locator("#fiche-preview")
    expect(preview).to_contain_text("Aperçu — non publié")
    expect(preview).to_contain_text("M1805 — Développeur / Développeuse informatique")
    expect(preview).to_contain_text("Université partenaire — SIRET " + partner)
    expect(preview.locator("tr", has_text="Par expérience (VAE)")).to_contain_text("Deux professionnels")
    expect(preview.locator("tr", has_text="En contrat d’apprentissage")).to_contain_text("Non")
    expect(preview.locator("[data-block=BC01]")).to_contain_text("Mise en situation professionnelle")
    check_accessibility(page)
    shots(page, "dossier-fiche")

    filing = httpx.get(f"{w.base}/api/filings/{fid}", headers=w.dep).json()
    assert [(c["siret"], c["filer"]) for c in filing["fiche"]["certifiers"]] == [(filer, True), (partner, False)]
    assert filing["fiche"]["rome_codes"] == ["M1805", "M1810"]
    assert [r["route"] for r in filing["fiche"]["access_routes"]] == ["continuing_training", "vae"]
    assert page.js_errors == []


def test_a_state_diploma_by_right_is_registered_without_the_commission(page, platform):
    """Issue 14: a diploma of the State (L.6113-5 I) is registered by right: once complete it
    goes to the director's decision; the back office shows the shortened path and no
    admissibility, instruction or commission action."""
    w = World(platform, "Ministère chargé de l'éducation nationale", roles=("reviewer", "director"))
    fid = w.new_filing("BTS Maintenance des systèmes", fiche={"registration_type": "by_right", "by_right_basis": "L6113-5"})
    w.submit(fid)
    w.wait_status(fid, "received")
    w.review(f"/cases/{fid}/completeness", {"complete": True, "missing": [], "message": ""}, "reviewer")

    login(page, w.emails["director"], PASSWORD, back_office=True)
    page.goto("/back-office/dossiers?status=completeness_ok&registration_type=by_right")
    expect(page.locator("#queues a[aria-current=page]")).to_contain_text("Décisions d’enregistrement de droit")
    expect(page.locator(f"tr[data-filing='{fid}'] [data-by-right]")).to_have_text("Enregistrement de droit")
    page.goto(f"/back-office/dossiers/{fid}")
    expect(page.locator("#by-right")).to_have_text("Enregistrement de droit")
    expect(page.locator("#procedure-stepper .fr-stepper__state")).to_have_text("Étape 2 sur 3 — Complète")
    expect(page.locator("#procedure-stepper")).to_contain_text("Étape suivante : Décision d’enregistrement")
    expect(page.locator("#facts")).to_contain_text(
        "Enregistrement de droit — Diplôme ou titre à finalité professionnelle de l’État (article L.6113-5 I)"
    )
    decision = page.locator("form[data-action=decision]")
    expect(decision).to_contain_text("sans avis de la commission")
    expect(decision.locator("input[name=register]")).to_have_count(1)  # no refusal against the criteria
    for other in ("admissibility", "assign", "schedule", "refuse"):
        expect(page.locator(f"[data-action={other}]")).to_have_count(0)
    check_accessibility(page)
    shots(page, "bo-dossier-enregistrement-de-droit")
    page.fill("#motivation", "Diplôme de l'État créé par décret : enregistrement de droit.")
    page.click("label[for=register-true]")
    decision.get_by_role("button", name="Signer la décision").click()
    page.locator("dialog[data-confirmation][data-ready]").get_by_role("button", name="Signer la décision").click()
    expect(page.locator("#status")).to_have_text("En attente de publication au JO")
    expect(page.locator("#procedure-stepper .fr-stepper__state")).to_have_text("Étape 3 sur 3 — En attente de publication au JO")

    today = platform.today().isoformat()
    jo = {"jo_date": today, "jo_reference": "JORF n°0280 du 1er décembre 2026, texte n° 7", "effective_date": today}
    w.review(f"/cases/{fid}/publication", jo, "director")
    case = w.case(fid, "director")
    assert case["status"] == "registered" and case["opinion"] is None and case["session"] is None
    assert [e["action"] for e in case["timeline"]] == ["open", "completeness", "register", "publish"]
    assert page.js_errors == []
