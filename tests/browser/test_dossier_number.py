"""Issue 13, point 14: a dossier number people can quote (« 2026-000123 ») instead of a UUID,
in the portal's list of dossiers."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from .cases import World
from .conftest import check_accessibility
from .helpers import PASSWORD, login

pytestmark = pytest.mark.browser


def test_my_dossiers_show_their_number(page, platform):
    world = World(platform, roles=())
    fid = world.new_filing("Technicien en froid")
    reference = httpx.get(f"{world.base}/api/filings/{fid}", headers=world.dep).json()["reference"]
    assert re.fullmatch(r"\d{4}-\d{6}", reference)
    login(page, world.certifier, PASSWORD)
    row = page.locator(f"#filings tr[data-filing='{fid}']")
    expect(row.locator("td[data-reference]")).to_have_text(reference)
    expect(page.locator("#filings th", has_text="N° de dossier")).to_have_count(1)
    assert fid not in row.inner_text()
    check_accessibility(page)
