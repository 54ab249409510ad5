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
    for fid in (first, second):
        w.submit(fid)
        w.wait_status(fid, "received")
    login(page, w.certifier, PASSWORD)
    reload_until(page, "/notifications", f"[data-group='{second}']")
    reload_until(page, "/notifications", f"[data-group='{first}']")
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
