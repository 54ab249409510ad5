"""Irreversible actions are guarded (issue 13, point 7): nothing preselected, a DSFR
confirmation modal (never the browser's confirm()), a reason for the withdrawal, the
destructive actions secondary and after the ones that move the case on."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .cases import World, shots
from .conftest import check_accessibility
from .helpers import PASSWORD, login, reload_until

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")


def test_decision_and_withdrawal_are_confirmed_in_a_modal(page, platform, request):
    w = World(platform, "Organisme des actions gardées")
    day = w.on_a_sitting_day(request)
    decided, withdrawn = w.new_filing("Soudeur de tuyauteries industrielles"), w.new_filing("Chaudronnier d'atelier")
    w.to_ready(decided)
    session = w.session(day.isoformat())
    w.review(f"/sessions/{session['id']}/agenda", {"filing_id": decided}, "commission", 201)
    w.review(f"/sessions/{session['id']}/opinions", {"filing_id": decided, "opinion": "favourable"}, "commission", 201)
    w.submit(withdrawn)
    page.on("dialog", lambda d: pytest.fail(f"the browser's own dialog was used: {d.message}"))

    login(page, w.emails["director"], PASSWORD, back_office=True)
    page.goto(f"/back-office/dossiers/{decided}")
    decision = page.locator("form[data-action=decision]")
    expect(decision).to_contain_text("Avis de la commission")
    expect(decision.locator("input[type=radio]:checked")).to_have_count(0)
    order = page.locator("#h-actions ~ [data-action]").evaluate_all("(forms) => forms.map((f) => f.dataset.action)")
    assert order.index("decision") < order.index("withdraw_admissibility"), order
    expect(page.locator("form[data-action=withdraw_admissibility] button[type=submit]")).to_have_class("fr-btn fr-btn--secondary")
    page.fill("#motivation", "Avis favorable ; les critères d'enregistrement sont remplis.")
    decision.get_by_role("button", name="Signer la décision").click()
    expect(page.locator("#fs-register .fr-error-text")).to_contain_text("Choisissez la décision")
    page.click("label[for=register-true]")
    decision.get_by_role("button", name="Signer la décision").click()
    modal = page.locator("dialog[data-confirmation][data-ready]")
    expect(modal).to_be_visible()
    expect(modal).to_contain_text("Signer l’enregistrement de la certification ?")
    check_accessibility(page)
    shots(page, "bo-dossier-confirmer-decision")
    modal.get_by_role("button", name="Annuler").click()
    expect(modal).to_have_count(0)
    expect(page.locator("#status")).to_have_text("Avis favorable")  # nothing signed
    decision.get_by_role("button", name="Signer la décision").click()
    modal.get_by_role("button", name="Signer la décision").click()
    expect(page.locator("#status")).to_have_text("En attente de publication au JO")

    # The depositor's withdrawal: a modal asking the reason, which reaches review.
    login(page, w.certifier, PASSWORD)
    reload_until(page, f"/dossiers/{withdrawn}", "button:has-text('Retirer ma demande')")
    page.get_by_role("button", name="Retirer ma demande").click()
    modal = page.locator("dialog[data-confirmation][data-ready]")
    modal.get_by_role("button", name="Retirer ma demande").click()
    expect(modal.locator(".fr-error-text")).to_contain_text("motif du retrait")
    modal.locator("textarea").fill("Le référentiel est refondu ; nous déposerons une nouvelle demande.")
    check_accessibility(page)
    shots(page, "dossier-confirmer-retrait")
    modal.get_by_role("button", name="Retirer ma demande").click()
    expect(modal).to_have_count(0)
    w.wait_status(withdrawn, "withdrawn")
    assert "référentiel est refondu" in (w.case(withdrawn)["timeline"][-1]["reason"] or "")

    # "Mes dossiers" (point 14): the registration number, and badges coloured by state —
    # once the Journal officiel has published the registration (issue 12, point 5).
    jo = {"jo_date": day.isoformat(), "jo_reference": "JORF n°0280 texte n° 42", "effective_date": day.isoformat()}
    w.review(f"/cases/{decided}/publication", jo, "director", 200)
    w.wait_status(decided, "registered")
    number = w.case(decided)["registration_number"]
    reload_until(page, "/dossiers", f"[data-registration='{decided}']", number)
    row = page.locator("tr", has=page.locator(f"a[href='/dossiers/{decided}']"))
    expect(row.locator(".fr-badge")).to_have_class("fr-badge fr-badge--sm fr-badge--success fr-badge--no-icon")
    gone = page.locator("tr", has=page.locator(f"a[href='/dossiers/{withdrawn}']"))
    expect(gone.locator(".fr-badge")).to_have_class("fr-badge fr-badge--sm fr-badge--error fr-badge--no-icon")
    check_accessibility(page)
    shots(page, "mes-dossiers")
    assert page.js_errors == []
