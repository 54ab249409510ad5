"""A depositor's deadline put on a day off moves to the next working day, and the page says
why on hover (issue 12, point 4): the depositor's banner and the back office's case page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .cases import World
from .helpers import PASSWORD, login, reload_until

pytestmark = pytest.mark.browser


def test_a_request_due_on_all_saints_day_is_due_the_next_monday_and_says_why(page, platform):
    w = World(platform, "Organisme des échéances", roles=("reviewer", "instructor"))
    fid = w.new_filing("Agent de maintenance des remontées mécaniques")
    w.submit(fid)
    w.wait_status(fid, "received")
    w.review(f"/cases/{fid}/completeness", {"complete": True, "missing": [], "message": ""}, "reviewer")
    w.review(f"/cases/{fid}/admissibility", {"admissible": True}, "reviewer")
    w.review(f"/cases/{fid}/assignment", {"instructor_id": w.ids["instructor"]}, "reviewer")
    body = {
        "items": [{"question": "Précisez les conditions d'accès."}],
        "message": "Une précision, s'il vous plaît.",
        "due_date": "2031-11-01",
    }
    opened = w.review(f"/cases/{fid}/requests", body, "instructor", 201)
    assert opened["due_date"] == "2031-11-03"  # Saturday 1 November 2031 (Toussaint) -> Monday

    login(page, w.certifier, PASSWORD)
    reload_until(page, f"/dossiers/{fid}", "#banner .cr-due", "3 novembre 2031")
    due = page.locator("#banner .cr-due")
    expect(due).to_have_attribute("title", opened["due_explanation"])
    assert "reportée au premier jour ouvré : lundi 3 novembre 2031" in (due.get_attribute("title") or "")

    login(page, w.emails["instructor"], PASSWORD, back_office=True)
    page.goto(f"/back-office/dossiers/{fid}")
    expect(page.locator("#facts .cr-due")).to_have_attribute("title", opened["due_explanation"])
