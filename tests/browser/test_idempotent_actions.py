"""The portal sends one Idempotency-Key per user action and reuses it on its own retries:
a draft whose creation was made but whose answer was lost (the gateway answered 503)
is made once, and the depositor lands on it; the submission likewise. A read refused busy
is read again after its Retry-After."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from playwright.sync_api import Route, expect

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from .helpers import PASSWORD, api_token, approved_certifier, login

pytestmark = pytest.mark.browser

TITLE = "Opérateur de maintenance idempotente"


def answer_503(route: Route, code: str, detail: str) -> None:
    """A 503 with ``Retry-After: 1`` and the API's error body, as the gateway or a busy service sends it."""
    route.fulfill(
        status=503,
        headers={"content-type": "application/json", "retry-after": "1"},
        body=json.dumps({"detail": detail, "code": code}),
    )


def answer_lost_once(seen: list[dict[str, str]]):
    """The first request reaches the service (which acts on it), but its answer is lost:
    the page gets a 503 with Retry-After, as from the gateway. The next ones go through."""

    def handle(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        seen.append(route.request.headers)
        if len(seen) == 1:
            route.fetch()  # done on the server
            answer_503(route, "service_unavailable", "Service momentanément indisponible.")
        else:
            route.continue_()

    return handle


def test_a_lost_answer_is_retried_with_the_same_key_and_the_action_made_once(page, platform):
    admin = api_token(platform, ADMIN_EMAIL, ADMIN_PASSWORD)
    certifier = approved_certifier(platform, admin, "Organisme des clés d'idempotence")
    dep = api_token(platform, certifier, PASSWORD)
    login(page, certifier, PASSWORD)

    creations: list[dict[str, str]] = []
    page.route("**/api/filings", answer_lost_once(creations))
    page.goto("/dossiers/nouveau")
    page.click("label[for=rep-rs]")
    page.fill("#title", TITLE)
    page.click("#filing-form button[type=submit]")
    page.wait_for_url("**/dossiers/*-*")
    expect(page.locator("h1")).to_contain_text(TITLE)
    posts = creations
    assert len(posts) == 2 and all(h.get("idempotency-key") for h in posts), creations
    assert posts[0]["idempotency-key"] == posts[1]["idempotency-key"]
    uuid.UUID(posts[0]["idempotency-key"])
    listed = httpx.get(f"{platform.base_url}/api/filings", headers=dep).json()
    assert [f["title"] for f in listed["items"]].count(TITLE) == 1  # one draft, not two
    assert page.js_errors == []

    # a second creation, a new action: a new key
    page.unroute("**/api/filings")
    again: list[dict[str, str]] = []

    def record(route: Route) -> None:
        if route.request.method == "POST":
            again.append(route.request.headers)
        route.continue_()

    page.route("**/api/filings", record)
    page.goto("/dossiers/nouveau")
    page.click("label[for=rep-rs]")
    page.fill("#title", TITLE + " bis")
    page.click("#filing-form button[type=submit]")
    page.wait_for_url("**/dossiers/*-*")
    assert again and again[0]["idempotency-key"] != posts[0]["idempotency-key"]

    # A busy service (its admission limit reached) answers a read 503 with Retry-After: the
    # page reads again after it, by itself, and shows the list rather than an error.
    page.unroute("**/api/filings")
    reads: list[str] = []

    def busy_once(route: Route) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        reads.append(route.request.url)
        if len(reads) == 1:
            answer_503(route, "busy", "Service très sollicité : réessayez dans quelques secondes.")
        else:
            route.continue_()

    page.route("**/api/filings?*", busy_once)
    page.route("**/api/filings", busy_once)
    page.goto("/dossiers")
    expect(page.get_by_text(TITLE + " bis")).to_be_visible()
    assert len(reads) == 2, reads
    expect(page.locator(".fr-alert--error")).to_have_count(0)
    assert page.js_errors == []
