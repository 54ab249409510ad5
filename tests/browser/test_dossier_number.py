"""Issue 13, point 14: a dossier number people can quote (« 2026-000123 ») instead of a UUID,
in the portal's list of dossiers, the summaries of the dossier page on both sides and the
mails about the dossier (the notifications' groups: test_notifications)."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from .cases import World
from .conftest import check_accessibility
from .helpers import PASSWORD, login

pytestmark = pytest.mark.browser


def test_my_dossiers_show_their_number(page, platform):
    world = World(platform, roles=("reviewer",))
    fid = world.new_filing("Technicien en froid")
    reference = httpx.get(f"{world.base}/api/filings/{fid}", headers=world.dep).json()["reference"]
    assert re.fullmatch(r"\d{4}-\d{6}", reference)
    world.submit(fid)
    login(page, world.certifier, PASSWORD)
    row = page.locator(f"#filings tr[data-filing='{fid}']")
    expect(row.locator("td[data-reference]")).to_have_text(reference)
    expect(page.locator("#filings th", has_text="N° de dossier")).to_have_count(1)
    assert fid not in row.inner_text()
    check_accessibility(page)

    # The dossier page's summary (portal).
    page.goto(f"/dossiers/{fid}")
    expect(page.locator("#summary div", has_text="N° de dossier").locator("dd")).to_have_text(reference)
    check_accessibility(page)
    # The acknowledgement mail names it in its subject and first line.
    deadline = time.monotonic() + 20
    while not (mails := [m for m in platform.mails(world.certifier) if "Accusé de réception" in str(m["Subject"])]):
        assert time.monotonic() < deadline, "no acknowledgement mail"
        time.sleep(0.2)
    assert str(mails[0]["Subject"]).endswith(f"(dossier n° {reference})")
    assert mails[0].get_body(preferencelist=("plain",)).get_content().startswith(f"Dossier n° {reference}\n")

    # The back office's case page (the facts above the tabs).
    world.wait_status(fid, "received")
    login(page, world.emails["reviewer"], PASSWORD, back_office=True)
    page.goto(f"/back-office/dossiers/{fid}")
    facts = page.locator("#facts")
    expect(facts.locator("dt").first).to_have_text("N° de dossier")
    expect(facts.locator("dd").first).to_have_text(reference)
    check_accessibility(page)
    assert page.js_errors == []
