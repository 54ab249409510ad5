"""Issue 11, point 7, in Chromium: a login link carrying ``?suivant=`` that would leave the
site (``/%5Cevil.example/phish``, ``/%09/evil.example``) ends on the portal's own page; a
local ``suivant`` is followed. The check itself: tests/security/test_redirect.py."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, RunningPlatform

pytestmark = pytest.mark.browser

HOSTILE = ["/%5Cevil.example/phish", "/%09/evil.example", "//evil.example", "/%5C%5Cevil.example", "https://evil.example/"]


def log_in(page: Page, path: str) -> None:
    page.goto(path)
    page.evaluate("sessionStorage.clear()")
    page.fill("#username", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    # Requests that would leave the site are answered here, never sent.
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: not url.startswith(f"{urlsplit(page.url).scheme}://{urlsplit(page.url).netloc}/back-office/connexion"))


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_leaves_the_site(page: Page, platform: RunningPlatform, target: str) -> None:
    left: list[str] = []

    def guard(route: Route) -> None:
        if urlsplit(route.request.url).netloc != urlsplit(platform.base_url).netloc:
            left.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    log_in(page, f"/back-office/connexion?suivant={target}")
    page.wait_for_load_state()
    assert urlsplit(page.url).netloc == urlsplit(platform.base_url).netloc, page.url
    assert urlsplit(page.url).path == "/back-office/", page.url
    assert not left, left


def test_a_local_target_is_followed(page: Page, platform: RunningPlatform) -> None:
    log_in(page, "/back-office/connexion?suivant=%2Fback-office%2Fagents")
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/back-office/agents", page.url
