"""Browser tests: the platform started with ``certreg up`` (embedded) in a subprocess,
driven through Debian's Chromium by Playwright. Never downloads a browser."""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Frame, Page, Request, expect

from certreg_contracts.calendar import paris_date
from certreg_testing.infra import free_port
from certreg_testing.platform import write_clock_offset

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_EMAIL = "admin.si@francecompetences.example"
ADMIN_PASSWORD = "Administrateur-SI-2024!"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the web interfaces in Chromium (needs /usr/bin/chromium: scripts/install-browser)")
    # A page whose API answer takes more than Playwright's 5 s on a loaded 2-core machine
    # (another worker starting a platform) is slow, not wrong; a passing check waits no longer.
    expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason="/usr/bin/chromium is missing: run `bash scripts/install-browser` (Debian's chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@dataclass
class RunningPlatform:
    base_url: str
    data_dir: Path
    env: dict[str, str]
    clock_file: Path

    def move_clock_to(self, when: datetime) -> None:
        """Every service's clock reads ``when`` from now on (CERTREG_CLOCK_OFFSET_FILE)."""
        write_clock_offset(self.clock_file, (when - datetime.now(UTC)).total_seconds())

    def today(self) -> date:
        """The platform's day: a Paris date (the machine's runs on UTC), clock moved or not."""
        offset = float(self.clock_file.read_text() or 0)
        return paris_date(datetime.fromtimestamp(time.time() + offset, UTC))

    def mails(self, to: str) -> list[email.message.EmailMessage]:
        found = []
        for path in sorted((self.data_dir / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to.lower() in str(msg.get("To", "")).lower():
                found.append(msg)
        return found

    def wait_for_link(self, to: str, path: str, timeout: float = 20) -> str:
        """The first link to ``path`` in a mail to ``to`` (waits for the mail to be written)."""
        deadline = time.monotonic() + timeout
        pattern = re.compile(re.escape(path) + r"[^\s\"'<>]*")
        while True:
            for msg in reversed(self.mails(to)):
                body = msg.get_body(preferencelist=("plain", "html"))
                text = body.get_content() if body else ""
                if m := pattern.search(text):
                    return m.group(0).replace("&amp;", "&")
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {to} with a link to {path}")
            time.sleep(0.2)

    def cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "certreg", *args], env=self.env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def token(self, username: str, password: str) -> str:
        r = httpx.post(f"{self.base_url}/api/identity/token", data={"username": username, "password": password})
        r.raise_for_status()
        token: str = r.json()["access_token"]
        return token


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: run `bash scripts/install-browser`")
    yield from run_platform(tmp_path_factory.mktemp("certreg-ui"))


def run_platform(data_dir: Path, **extra_env: str) -> Iterator[RunningPlatform]:
    """``certreg up`` in a subprocess with its SI administrator, until the generator is
    closed; ``extra_env`` adds ``CERTREG_*`` settings (a short token lifetime…)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    clock_file = data_dir / "clock-offset"
    clock_file.write_text("0")
    env.update(CERTREG_DATA_DIR=str(data_dir), CERTREG_PUBLIC_URL=base, CERTREG_CLOCK_OFFSET_FILE=str(clock_file))
    env["CERTREG_SIGNUPS_PER_CLIENT_PER_HOUR"] = "100000"  # every browser test signs up from 127.0.0.1
    env.update(extra_env)
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - the server writes to it until stopped
    proc = subprocess.Popen([sys.executable, "-m", "certreg", "up", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait = float(os.environ.get("CERTREG_TEST_READY_SECONDS", "180"))  # as certreg_testing.platform
        deadline = time.monotonic() + wait
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"certreg up exited: {(data_dir / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"certreg up did not answer in {wait:.0f} s (CERTREG_TEST_READY_SECONDS)")
            time.sleep(0.3)
        running = RunningPlatform(base, data_dir, env, clock_file)
        running.cli("admin", "create", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD, "--role", "si_admin")
        yield running
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# Per module, not per session: Playwright's sync API keeps an event loop running in the
# main thread while it is open, which would break every asyncio test that runs after.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


# Layout shifts the page makes on its own (not after an input), kept for a failure's report:
# a click that lands where a button was a moment before does nothing a test can see.
RECORD_SHIFTS = """
window.__certregShifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.hadRecentInput) continue;
    const what = (e.sources || []).map((s) => s.node ? (s.node.id || s.node.className || s.node.nodeName) : "?");
    window.__certregShifts.push(`${Math.round(e.startTime)} ms ${e.value.toFixed(4)} ${what.join(", ")}`);
  }
}).observe({ type: "layout-shift", buffered: true });
"""


class BrowserLog:
    """What a page did, told with a failing test: its console, its requests (method, path,
    status, time) and its layout shifts, each with the time since the test began."""

    def __init__(self, pg: Page) -> None:
        self.page = pg
        self.start = time.monotonic()
        self.lines: list[str] = []
        pg.on("console", lambda m: self.add(f"console {m.type}: {m.text}"))
        pg.on("requestfinished", self.finished)
        pg.on("requestfailed", lambda r: self.add(f"{r.method} {self.path(r.url)} failed: {r.failure}"))
        pg.on("framenavigated", self.navigated)

    def navigated(self, frame: Frame) -> None:
        if frame.parent_frame is None:
            self.add(f"page {self.path(frame.url)}")

    def add(self, line: str) -> None:
        self.lines.append(f"{time.monotonic() - self.start:7.2f} s  {line}")

    @staticmethod
    def path(url: str) -> str:
        return re.sub(r"^https?://[^/]+", "", url)

    def finished(self, request: Request) -> None:
        response = request.response()
        line = f"{request.method} {self.path(request.url)} → {response.status if response else '?'}, {request.timing['responseEnd']:.0f} ms"
        if response is not None and response.status >= 400 and "/api/" in request.url:
            with contextlib.suppress(Exception):  # an API error's body: which field, why
                line += f": {response.text()[:500]}"
        self.add(line)

    def report(self) -> str:
        try:
            shifts = self.page.evaluate("() => window.__certregShifts || []")
        except Exception as exc:  # the page may be gone or stuck
            shifts = [f"(not read: {exc})"]
        static = re.compile(r" /(static|favicon)|console log: %cdsfr")
        lines = [line for line in self.lines if not static.search(line)]
        return "\n".join([*lines[-80:], "layout shifts (since the last page load):", *shifts])


@pytest.fixture
def page(browser, platform, request):
    # bypass_csp: axe-core is injected as an inline script, which the pages' CSP forbids.
    # reduced_motion: DSFR's tab panels slide in for 0.3 s (none with reduced motion); a
    # test acts within milliseconds of opening a tab, and a click on a panel still sliding
    # could land beside its button (an upload's « Envoyer » that sent nothing, in CI).
    context = browser.new_context(
        base_url=platform.base_url, locale="fr-FR", bypass_csp=True, viewport={"width": 1280, "height": 900}, reduced_motion="reduce"
    )
    context.add_init_script(RECORD_SHIFTS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors
    request.node.browser_log = BrowserLog(pg)
    yield pg
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    log = getattr(item, "browser_log", None)
    if log is not None and report.when == "call" and report.failed:
        report.sections.append(("browser: console, requests, layout shifts", log.report()))
        with contextlib.suppress(Exception):  # a screenshot is a help, never a second failure
            screenshot(log.page, f"failed-{item.name}")
    return report


# Best-practice rules (not WCAG-tagged, so outside the tag selection) that must report nothing at any impact:
# headings must not skip levels (issue 13).
STRICT_RULES = ("heading-order",)
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    # In axe 4 a rule's `enabled` overrides the runOnly tag selection.
    "rules": {rule: {"enabled": True} for rule in STRICT_RULES},
}


def check_accessibility(page: Page) -> None:
    """axe-core on the current page: no serious or critical violation, and no heading-order finding."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async (options) => await axe.run(document, options)", AXE_OPTIONS)
    assert any(p["id"] == "heading-order" for p in result["passes"] + result["inapplicable"] + result["violations"]), (
        "axe did not run heading-order"
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical") or v["id"] in STRICT_RULES
    ]
    assert not bad, f"{page.url}:\n" + "\n".join(bad)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
