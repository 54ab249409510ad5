"""The bell's page (issue 13, point 12): notifications grouped by dossier, a dossier's read
when it is opened, "Tout marquer comme lu"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .cases import World, shots
from .conftest import check_accessibility
from .helpers import PASSWORD, login, reload_until

pytestmark = pytest.mark.browser


def test_notifications_are_grouped_by_dossier_and_read_when_it_is_opened(page, platform):
    w = World(platform, "Organisme des notifications", roles=("reviewer",))
    first, second = w.new_filing("Opérateur de la cloche"), w.new_filing("Régleur de la sonnette")
    for fid in (second, first):
        w.submit(fid)
        w.wait_status(fid, "received")
    # The same news twice, unread (point 12: it rang twice): declared incomplete for the same
    # thing twice the same day, and the complements sent twice.
    for _ in range(2):
        incomplete = {"complete": False, "missing": ["qualification_level"], "message": "Le niveau ?"}
        w.review(f"/cases/{first}/completeness", incomplete, "reviewer")
        w.wait_status(first, "incomplete")
        w.submit(first)
        w.wait_status(first, "received")
    w.review(f"/cases/{first}/messages", {"body": "Dernière nouvelle du dossier."}, "reviewer", 201)
    login(page, w.certifier, PASSWORD)
    reload_until(page, "/notifications", f"[data-group='{second}']")
    reload_until(page, "/notifications", f"[data-group='{first}']", "Dernière nouvelle du dossier.")
    news = page.locator(f"[data-group='{first}'] li[data-notification]")
    what = "(lis) => lis.map((li) => [...li.querySelectorAll('h3, .fr-callout__text')].map((e) => e.textContent).join(' | '))"
    said = [re.sub(r"\s+", " ", t).strip() for t in news.evaluate_all(what)]  # title and text, not the time
    assert len(said) == len(set(said)), said  # each notification once
    assert sum("incomplet" in t for t in said) == 1, said
    assert sum("Compléments transmis" in t for t in said) == 1, said
    expect(page.locator(f"[data-group='{first}'] h2")).to_have_text(re.compile(r"^Dossier n° \d{4}-\d{6} « Opérateur de la cloche »$"))
    expect(page.locator(f"[data-group='{second}']")).to_contain_text("Non lue")
    check_accessibility(page)
    shots(page, "notifications-par-dossier")

    page.goto(f"/dossiers/{first}")  # opening it reads its notifications
    expect(page.locator("h1")).to_have_text("Opérateur de la cloche")
    page.wait_for_load_state("networkidle")
    page.goto("/notifications")
    expect(page.locator(f"[data-group='{second}']")).to_contain_text("Non lue")
    expect(page.locator(f"[data-group='{first}']")).not_to_contain_text("Non lue")

    page.click("#read-all")
    expect(page.locator("#read-all")).to_have_count(0)
    expect(page.locator("#notifications")).not_to_contain_text("Non lue")
    assert page.js_errors == []
