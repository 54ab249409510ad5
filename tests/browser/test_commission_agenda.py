"""The adjourned dossier improved the same day (issue 13, point 1): the session that adjourned
it is no longer offered, the case goes to another session, moves to a third one, and the
commission corrects its opinion before the decision — each step clicked in the back office; before
that, the depositor's view of the adjourned dossier (point 6): the commission's reasons in the
banner, the adjournment letter, « Déposer le dossier amélioré » clicked through."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from .cases import World, at_ten, shots, sitting_day
from .conftest import check_accessibility
from .helpers import PASSWORD, letter_text, login, reload_until, tick

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Monteur de réseaux de chaleur"


def fr(day: date) -> str:
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]
    return f"{'1er' if day.day == 1 else day.day} {months[day.month - 1]} {day.year}"


def test_the_adjourned_dossier_improved_the_same_day_goes_to_another_session(page, platform, request):
    w = World(platform, "Organisme des réseaux de chaleur")
    held_day = w.on_a_sitting_day(request)
    held = w.session(held_day.isoformat())
    fid = w.new_filing(TITLE)
    w.to_ready(fid)
    w.review(f"/sessions/{held['id']}/agenda", {"filing_id": fid}, "commission", 201)
    w.review(
        f"/sessions/{held['id']}/opinions",
        {
            "filing_id": fid,
            "opinion": "adjourned",
            "resubmission_due": (held_day + timedelta(days=30)).isoformat(),
            "reasons": [{"criterion": "impact_emploi", "text": "Données d'insertion insuffisantes."}],
        },
        "commission",
        201,
    )
    # The depositor's view (issue 13, point 6): the banner names the adjournment, the
    # commission's reasons and the deadline; the adjournment letter is in « Courriers »; the
    # improved dossier is deposited with « Déposer le dossier amélioré », the same day.
    due = date.fromisoformat(w.case(fid)["opinion"]["resubmission_due"])
    for _ in range(100):  # the notifier makes the letter after the opinion's event
        letters = httpx.get(f"{w.base}/api/notifier/letters", params={"filing_id": fid}, headers=w.dep).json()["items"]
        if letters:
            break
        time.sleep(0.1)
    assert [item["kind"] for item in letters] == ["adjournment"]
    login(page, w.certifier, PASSWORD)
    reload_until(page, f"/dossiers/{fid}", "#submit-form button", "Déposer le dossier amélioré")
    banner = page.locator("#banner[data-adjourned]")
    expect(banner.locator("h2")).to_contain_text("La commission a ajourné l’examen de votre demande")
    expect(banner.locator("#adjournment-reasons li")).to_have_text([re.compile(r"^2° .*emploi.* : Données d'insertion insuffisantes\.$")])
    expect(banner).to_contain_text(f"Dossier amélioré à déposer avant le {fr(due)}")
    page.get_by_role("tab", name="Courriers").click()
    expect(page.locator("#panel-courriers [data-letter=adjournment]")).to_contain_text("Avis d'ajournement de la commission")
    check_accessibility(page)
    shots(page, "portail-dossier-ajourne")
    banner.get_by_role("link", name="Déposer le dossier amélioré").click()
    page.check("#sworn_statement", force=True)
    page.locator("#submit-form button[type=submit]").filter(has_text="Déposer le dossier amélioré").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Votre dossier amélioré est déposé")
    w.wait_status(fid, "ready_for_commission")
    first_day = sitting_day(held_day + timedelta(days=7))
    second_day = sitting_day(first_day + timedelta(days=7))
    first, second = w.session(first_day.isoformat()), w.session(second_day.isoformat())

    login(page, w.emails["commission"], "Certif-Portail-2024!", back_office=True)
    # Found by its organisation's name (point 4).
    page.goto("/back-office/dossiers")
    page.fill("#q", "organisme des réseaux de CHALEUR")
    page.locator("#filters button[type=submit]").click()
    expect(page.locator(f"a[href='/back-office/dossiers/{fid}']")).to_have_count(1)
    # The commission page: the session that adjourned it does not offer it; the next one does.
    page.goto("/back-office/commission")
    held_form = page.locator(f"[data-agenda='{held['id']}'] select")
    expect(page.locator(f"[data-agenda='{first['id']}'] select option[value='{fid}']")).to_have_count(1)
    expect(held_form.locator(f"option[value='{fid}']")).to_have_count(0)
    check_accessibility(page)

    # The case page offers the other sessions only.
    page.goto(f"/back-office/dossiers/{fid}")
    form = page.locator("[data-action=schedule]")
    expect(form.locator("select option")).not_to_have_count(0)
    expect(form.locator(f"option[value='{held['id']}']")).to_have_count(0)
    page.select_option("#schedule-session", first["id"])
    form.locator("button[type=submit]").click()
    expect(page.locator("#status")).to_have_text("Inscrite en commission")
    expect(page.locator("#facts")).to_contain_text(f"Séance du {fr(first_day)}")

    # Moved to the later session: it leaves the first one's agenda.
    move = page.locator("[data-action=reschedule]")
    expect(move).to_contain_text(f"inscrit à la séance du {fr(first_day)}")
    expect(move.locator(f"option[value='{first['id']}']")).to_have_count(0)
    check_accessibility(page)
    shots(page, "bo-dossier-deplacer-seance")
    page.select_option("#reschedule-session", second["id"])
    move.locator("button[type=submit]").click()
    expect(page.locator("#facts")).to_contain_text(f"Séance du {fr(second_day)}")
    expect(page.locator("#status")).to_have_text("Inscrite en commission")
    page.get_by_role("tab", name="Historique").click()  # the timeline's tab (issue 13, point 5)
    expect(page.get_by_text("Déplacement vers une autre séance")).to_be_visible()
    agenda = w.review(f"/sessions/{first['id']}/agenda", None, "commission", method="GET")
    assert fid not in [i["filing_id"] for i in agenda["items"]]

    # The second session is held: a favourable opinion, then corrected before the decision.
    request.addfinalizer(lambda: platform.clock_file.write_text("0"))
    platform.move_clock_to(at_ten(second_day))
    w.refresh()
    w.review(f"/sessions/{second['id']}/opinions", {"filing_id": fid, "opinion": "favourable"}, "commission", 201)
    login(page, w.emails["commission"], "Certif-Portail-2024!", back_office=True)
    page.goto(f"/back-office/dossiers/{fid}")
    fix = page.locator("[data-action=correct_opinion]")
    expect(fix).to_contain_text(f"Corriger l’avis de la séance du {fr(second_day)}")
    expect(fix.locator("input[type=radio]:checked")).to_have_count(0)
    tick(page, fix.locator("label", has_text="Défavorable"))
    fix.locator("select").first.select_option("impact_emploi")
    fix.locator("textarea").first.fill("Insertion des titulaires non démontrée.")
    fix.locator("button[type=submit]").click()
    expect(fix.locator(".fr-error-text")).to_contain_text("motif de la correction")
    fix.locator("textarea[name=correction_reason]").fill("Erreur de saisie : la commission a voté un avis défavorable.")
    check_accessibility(page)
    shots(page, "bo-dossier-corriger-avis")
    fix.locator("button[type=submit]").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("corrigé")
    expect(page.locator("#status")).to_have_text("Avis défavorable")
    page.get_by_role("tab", name="Historique").click()
    expect(page.get_by_text("Correction de l’avis de la commission")).to_be_visible()
    expect(page.get_by_text(re.compile("Erreur de saisie"))).to_be_visible()
    assert w.case(fid)["opinion"]["opinion"] == "unfavourable"

    # Refused: the letter the certifier downloads names the criterion, never its key (point 14).
    w.review(f"/cases/{fid}/decision", {"register": False, "motivation": "Avis défavorable de la commission."}, "director")
    login(page, w.certifier, PASSWORD)
    reload_until(page, f"/dossiers/{fid}", "li[data-letter=refusal]", "Décision de refus")
    letter = letter_text(page, "refusal")
    # the item of R. 6113-9 in force, as the commission's list names it
    assert "2° L'impact du projet de certification professionnelle en matière d'accès ou de retour à l'emploi" in letter, letter
    assert "Insertion des titulaires non démontrée." in letter, letter
    assert "impact_emploi" not in letter, letter
    assert page.js_errors == []
