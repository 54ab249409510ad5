"""Issue 13, point 14: after a refused upload, the « Envoyer » button keeps its label for
screen readers hidden (it became a huge visible block: the busy state gave the button back
its text, hidden part included, as plain visible text)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .cases import World
from .conftest import check_accessibility
from .helpers import PASSWORD, login

pytestmark = pytest.mark.browser


def test_a_refused_upload_leaves_the_send_buttons_hidden_label_hidden(page, platform, tmp_path):
    world = World(platform, roles=())
    fid = world.new_filing("Opérateur de maintenance")
    login(page, world.certifier, PASSWORD)
    page.goto(f"/dossiers/{fid}#pieces")  # the pieces have their own tab
    file = page.locator("#file-competence_framework")
    form = file.locator("xpath=ancestor::form[1]")
    button = form.locator("button[type=submit]")
    hidden = button.locator(".fr-sr-only")
    expect(hidden).to_have_count(1)
    before = button.bounding_box()
    text = tmp_path / "notes.txt"
    text.write_text("Ceci n'est pas un PDF.\n" * 20, encoding="utf-8")
    file.set_input_files(str(text))
    button.click()
    expect(form.locator(".fr-error-text")).to_be_visible()
    # The label's hidden part is still a hidden span; the button shows « Envoyer » only, same size.
    expect(hidden).to_have_count(1)
    nodes = button.evaluate("el => [...el.childNodes].map((n) => (n.nodeType === 3 ? n.textContent : n.className))")
    assert nodes == ["Envoyer", "fr-sr-only"], nodes
    after = button.bounding_box()
    assert before and after and abs(after["height"] - before["height"]) < 2
    check_accessibility(page)
