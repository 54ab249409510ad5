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
