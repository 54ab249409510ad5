"""The back office's work queues as an instructor's tool (issue 13, point 10): organisation,
deposit day, days since and instructor's name columns, search by organisation or SIRET,
server-side sorting, counts on the queue tags with the one shown marked, batch actions
(assign, schedule, export the selection in French labels); the dashboard's counts and
deadlines; the agents' bell (issue 13, point 10) and the header's name and unread count on
mobile (point 14)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from certreg_contracts.legal_dates import working_day_from

from .cases import MOBILE, World, shots
from .conftest import check_accessibility
from .helpers import PASSWORD, login

pytestmark = pytest.mark.browser


def organisation_world(platform) -> tuple[World, str]:
    name = f"Organisme Files {uuid.uuid4().hex[:6]}"
    return World(platform, denomination=name), name


def french_date(day: date) -> str:
    from certreg_contracts.legal_dates import french_date as fr

    return fr(day)


def test_an_instructors_queue_with_organisation_days_names_sorts_and_batch_actions(page, platform):
    world, organisation = organisation_world(platform)
    titles = ["Technicien de maintenance", "Agent de propreté", "Boulanger"]
    filings = []
    for title in titles:
        fid = world.new_filing(title)
        world.submit(fid)
        world.wait_status(fid, "received")
        world.review(f"/cases/{fid}/completeness", {"complete": True, "missing": [], "message": ""}, "reviewer")
        world.review(f"/cases/{fid}/admissibility", {"admissible": True}, "reviewer")
        filings.append(fid)
    siret = httpx.get(f"{world.base}/api/review/cases", params={"q": organisation}, headers=world.h["reviewer"]).json()["items"][0]["siret"]
    assert siret and len(siret) == 14

    login(page, world.emails["reviewer"], PASSWORD, back_office=True)
    page.goto("/back-office/dossiers?status=admissible")
    # The queue shown is marked, and every tag carries its count (the API's total).
    current = page.locator("#queues a[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_contain_text("À affecter")
    expect(current).to_have_attribute("data-count", re.compile(r"^\d+$"))
    admissible = httpx.get(
        f"{world.base}/api/review/cases", params={"status": "admissible", "limit": 1}, headers=world.h["reviewer"]
    ).json()
    expect(current).to_have_attribute("data-count", str(admissible["total"]))
    expect(page.locator("#queues a", has_text="Tous les dossiers")).to_have_attribute("data-count", re.compile(r"^\d+$"))

    # Found by the organisation's SIRET as people type it (spaces), then by its name, in every state.
    page.select_option("#status", "")
    page.fill("#q", f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}")
    page.click("#filters button[type=submit]")
    expect(page.locator("#queue tbody tr[data-filing]")).to_have_count(3)
    page.fill("#q", organisation)
    page.click("#filters button[type=submit]")
    expect(page.locator("#queue tbody tr[data-filing]")).to_have_count(3)
    line = page.locator(f"tr[data-filing='{filings[0]}']")
    expect(line.locator("td[data-column-name=organisation]")).to_contain_text(organisation)
    expect(line.locator("td[data-column-name=organisation]")).to_contain_text(f"SIRET {siret}")
    expect(line.locator("td[data-column-name=days]")).to_have_text("aujourd’hui")
    expect(line.locator("td[data-column-name=assignee]")).to_have_text("Non affecté")
    reference = httpx.get(f"{world.base}/api/filings/{filings[0]}", headers=world.dep).json()["reference"]
    expect(line.locator(f"[data-reference='{reference}']")).to_contain_text(f"N° {reference}")
    deposited = date.fromisoformat(
        httpx.get(f"{world.base}/api/review/cases", params={"ids": filings[0]}, headers=world.h["reviewer"]).json()["items"][0][
            "deposited_on"
        ]
    )
    expect(line.locator("td").nth(4)).to_have_text(french_date(deposited))

    # Sorted by the server, both ways, the header saying which.
    header = page.locator("#queue th[data-column='0']")
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#queue tbody tr[data-filing] td:nth-child(2) a")).to_have_text(sorted(titles))
    assert "sort=title" in page.url
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page.locator("#queue tbody tr[data-filing] td:nth-child(2) a")).to_have_text(sorted(titles, reverse=True))
    check_accessibility(page)
    shots(page, "bo-files-de-travail")

    # Batch: two ticked, assigned to the instructor by name.
    for fid in filings[:2]:
        page.click(f"label[for='select-{fid}']")
    expect(page.locator("#batch-count")).to_have_text("2 dossiers sélectionnés.")
    page.select_option("#batch-instructor", world.ids["instructor"])
    page.click("#batch-assign")
    expect(page.locator("#batch-report .fr-alert--success")).to_contain_text("2 dossiers affectés à Inès Instruction")
    for fid in filings[:2]:
        expect(page.locator(f"tr[data-filing='{fid}'] td[data-column-name=assignee]")).to_have_text("Inès Instruction")
    expect(page.locator(f"tr[data-filing='{filings[2]}'] td[data-column-name=assignee]")).to_have_text("Non affecté")
    check_accessibility(page)

    # The selection exported: French labels and names, no code and no id.
    page.click(f"label[for='select-{filings[0]}']")
    with page.expect_download() as download:
        page.click("#batch-export")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["Intitulé"] == titles[0] and row["Organisme"] == organisation and row["Instructeur"] == "Inès Instruction"
    assert row["État"] == "En instruction" and row["Répertoire"] == "RNCP"
    assert filings[0] not in text and world.ids["instructor"] not in text and "under_instruction" not in text


def test_the_commission_puts_a_selection_on_a_session(page, platform):
    world, organisation = organisation_world(platform)
    filings = [world.new_filing(title) for title in ("Menuisier agenceur", "Électricien d’équipement")]
    for fid in filings:
        world.to_ready(fid)
    day = platform.today() + timedelta(days=12)
    while day.month == 8:
        day += timedelta(days=1)
    session = world.session(day.isoformat())

    login(page, world.emails["commission"], PASSWORD, back_office=True)
    page.goto(f"/back-office/dossiers?q={organisation}")
    expect(page.locator("#queue tbody tr[data-filing]")).to_have_count(2)
    page.click("#select-page + label")
    expect(page.locator("#batch-count")).to_have_text("2 dossiers sélectionnés.")
    expect(page.locator(f"#batch-session option[value='{session['id']}']")).to_have_count(1)
    page.select_option("#batch-session", session["id"])
    page.click("#batch-schedule")
    expect(page.locator("#batch-report .fr-alert--success")).to_contain_text("2 dossiers inscrits")
    for fid in filings:
        expect(page.locator(f"tr[data-filing='{fid}']")).to_contain_text("Inscrite en commission")
        assert world.case(fid)["status"] == "scheduled"
    check_accessibility(page)


def test_the_dashboard_counts_each_queue_and_lists_the_nearest_deadlines(page, platform):
    world, organisation = organisation_world(platform)
    fid = world.new_filing("Agent de médiation")
    world.submit(fid)
    world.wait_status(fid, "received")
    due = working_day_from(platform.today() + timedelta(days=9))  # a day off would move it
    world.review(
        f"/cases/{fid}/completeness",
        {"complete": False, "missing": ["competence_framework"], "message": "Il manque le référentiel.", "due_date": due.isoformat()},
        "reviewer",
    )

    login(page, world.emails["reviewer"], PASSWORD, back_office=True)
    counts = page.locator("#queue-counts")
    for name, status in (("À contrôler", "received,completeness_ok"), ("À affecter", "admissible")):
        total = httpx.get(f"{world.base}/api/review/cases", params={"status": status, "limit": 1}, headers=world.h["reviewer"]).json()[
            "total"
        ]
        expect(counts.locator(f"tr[data-queue='{name}'] td")).to_have_text(str(total))
    expect(counts.get_by_role("link", name="À contrôler")).to_have_attribute(
        "href", "/back-office/dossiers?status=received%2Ccompleteness_ok"
    )
    deadline = page.locator(f"#deadlines tr[data-filing='{fid}']")
    # Only the ten nearest deadlines of the platform are listed: this one is among them
    # unless other tests left nearer ones; the page lists them nearest first either way.
    dues = page.locator("#deadlines tbody tr")
    expect(dues.first).to_be_visible()
    if deadline.count():
        expect(deadline).to_contain_text(organisation)
        expect(deadline).to_contain_text(f"{(due - platform.today()).days} jours restants")
        expect(deadline.locator("[data-reference]")).to_have_text(f"N° {world.case(fid)['reference']}")
    check_accessibility(page)
    shots(page, "bo-tableau-de-bord")


def test_the_agents_bell_the_header_name_and_the_unread_count_on_mobile(page, platform):
    world, _ = organisation_world(platform)
    fid = world.new_filing("Conducteur de ligne")
    world.to_ready(fid)  # the assignment tells the instructor (the bell)

    login(page, world.emails["instructor"], PASSWORD, back_office=True)
    bell = page.locator("#tools-links #bell")
    expect(bell).to_have_attribute("href", "/back-office/notifications")
    expect(page.locator("#bell-count")).to_have_text(re.compile(r"^[1-9]\d*$"))
    count = page.locator("#bell-count").inner_text()
    # The name is text, not a button that does nothing.
    user = page.locator("#header-user")
    expect(user).to_have_text("Inès Instruction")
    assert user.evaluate("el => el.tagName") == "P"
    expect(page.locator("#tools-links").get_by_role("button", name="Inès Instruction")).to_have_count(0)
    # On a phone, the menu repeats the bell with its count.
    page.set_viewport_size(MOBILE)
    page.click("#button-menu")
    menu_bell = page.locator(".fr-header__menu-links [data-bell]")
    expect(menu_bell).to_be_visible()
    expect(menu_bell.locator("[data-bell-count]")).to_have_text(count)
    check_accessibility(page)
    menu_bell.click()
    expect(page.locator("h1")).to_have_text("Notifications")
    assert page.url.endswith("/back-office/notifications")
    expect(page.locator("html")).to_have_attribute("data-area", "back")
    expect(page.locator("#notifications")).to_contain_text("Conducteur de ligne")
    check_accessibility(page)


def test_days_left_are_paris_days_as_the_mails_count_them(browser, platform):
    """« dans 10 jours » in the mail, « 10 jours restants » on the page: whole Paris days,
    whatever the browser's zone or the hour."""
    for zone in ("Pacific/Kiritimati", "America/Los_Angeles", "Europe/Paris"):
        context = browser.new_context(base_url=platform.base_url, locale="fr-FR", timezone_id=zone)
        page = context.new_page()
        page.goto("/registre")
        texts = page.evaluate(
            """async () => {
                const { daysLeft, parisToday } = await import("/static/js/api.js");
                const today = parisToday();
                const plus = (n) => {
                    const d = new Date(today + "T12:00:00Z");
                    d.setUTCDate(d.getUTCDate() + n);
                    return d.toISOString().slice(0, 10);
                };
                return [daysLeft(plus(10)), daysLeft(plus(1)), daysLeft(today), daysLeft(plus(-2))];
            }"""
        )
        assert texts == ["10 jours restants", "1 jour restant", "échéance aujourd’hui", "échéance dépassée depuis 2 jours"], zone
        paris = page.evaluate("async () => (await import('/static/js/api.js')).parisToday()")
        from datetime import datetime
        from zoneinfo import ZoneInfo

        assert paris == datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()
        context.close()
