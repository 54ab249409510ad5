"""Cases set up through the API, up to where a browser test starts clicking (the whole way
is clicked through once, in test_journey)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, ViewportSize

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from .helpers import PDF, api_token, approved_certifier, staff_member

MOBILE: ViewportSize = {"width": 390, "height": 844}
PARIS = ZoneInfo("Europe/Paris")


def sitting_day(day: date) -> date:
    """``day``, or the 1st of September when the commission does not sit (August)."""
    return date(day.year, 9, 1) if day.month == 8 else day


def at_ten(day: date) -> datetime:
    """10:00 in Paris on ``day``, as the instant the platform's clock can be moved to."""
    return datetime.combine(day, datetime.min.time(), PARIS).astimezone(UTC) + timedelta(hours=10)


def shots(page: Page, name: str) -> None:
    """The page at desktop and mobile width, under test-artifacts/screenshots/."""
    from .conftest import screenshot

    size: ViewportSize = page.viewport_size or {"width": 1280, "height": 900}
    screenshot(page, f"{name}-bureau")
    page.set_viewport_size(MOBILE)
    screenshot(page, f"{name}-mobile")
    page.set_viewport_size(size)


class World:
    """A certifier and one member of each back-office role, with their API headers."""

    STAFF: ClassVar[dict[str, tuple[str, str]]] = {
        "reviewer": ("Rémi", "Contrôle"),
        "instructor": ("Inès", "Instruction"),
        "commission": ("Colette", "Commission"),
        "director": ("Denis", "Direction"),
    }

    def __init__(self, platform, denomination: str = "Organisme de formation Exemple", roles: tuple[str, ...] = tuple(STAFF)) -> None:
        self.platform = platform
        self.base = platform.base_url
        self.admin = api_token(platform, ADMIN_EMAIL, ADMIN_PASSWORD)
        self.certifier = approved_certifier(platform, self.admin, denomination)
        self.dep = api_token(platform, self.certifier)
        self.emails: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        self.h: dict[str, dict[str, str]] = {}
        for role in roles:
            first, last = self.STAFF[role]
            email, account_id = staff_member(platform, self.admin, role, first, last)
            self.emails[role], self.ids[role], self.h[role] = email, account_id, api_token(platform, email)

    def on_a_sitting_day(self, request) -> date:
        """Today, or the platform's clock moved to the next day the commission sits (and put
        back after the test); the tokens renewed for the new time."""
        today = datetime.now(PARIS).date()
        day = sitting_day(today)
        if day != today:
            request.addfinalizer(lambda: self.platform.clock_file.write_text("0"))
            self.platform.move_clock_to(at_ten(day))
            self.refresh()
        return day

    def refresh(self) -> None:
        """New tokens (after the clock moved: they live 15 minutes)."""
        from .helpers import PASSWORD

        self.dep = api_token(self.platform, self.certifier, PASSWORD)
        for role, email in self.emails.items():
            self.h[role] = api_token(self.platform, email)

    def new_filing(self, title: str, **fields: Any) -> str:
        body = {
            "repertoire": "rncp", "title": title, "qualification_level": 5, "is_cqp": False, "rests_on_standards": False,
            "activities": ["Installer un équipement"], "competences": ["Installer un équipement"],
            "competence_blocks": [
                {"code": "BC01", "title": "Installer", "competences": ["Installer un équipement"],
                 "assessment_methods": ["Mise en situation professionnelle"]}
            ],
            "assessment_methods": ["Mise en situation professionnelle"],
            **fields,
        }  # fmt: skip
        created = httpx.post(f"{self.base}/api/filings", headers=self.dep, json=body)
        assert created.status_code == 201, created.text
        fid = str(created.json()["filing_id"])
        self.upload_required(fid)
        return fid

    def upload_required(self, fid: str) -> None:
        """A PDF for every required piece not provided yet."""
        filing = httpx.get(f"{self.base}/api/filings/{fid}", headers=self.dep).json()
        for line in filing["requirements"]:
            if line["required"] and not line.get("provided"):
                params = {"document_date": self.platform.today().isoformat()} if line["dated"] else {}
                up = httpx.post(
                    f"{self.base}/api/filings/{filing['filing_id']}/documents/{line['doc_type']}",
                    headers=self.dep,
                    params=params,
                    files={"file": ("p.pdf", PDF, "application/pdf")},
                )
                assert up.status_code == 201, up.text

    def submit(self, fid: str) -> None:
        answer = httpx.post(f"{self.base}/api/filings/{fid}/submit", headers=self.dep, json={"sworn_statement": True})
        assert answer.status_code == 202, answer.text

    def case(self, fid: str, role: str = "reviewer") -> dict[str, Any]:
        answer = httpx.get(f"{self.base}/api/review/cases/{fid}", headers=self.h[role])
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def wait_status(self, fid: str, status: str) -> None:
        for _ in range(120):
            answer = httpx.get(f"{self.base}/api/review/cases/{fid}", headers=self.h["reviewer"])
            if answer.status_code == 200 and answer.json()["status"] == status:
                return
            time.sleep(0.2)
        raise AssertionError(f"case {fid} never {status}")

    def review(self, path: str, body: Any, role: str, status: int = 200, method: str = "POST") -> dict[str, Any]:
        answer = httpx.request(method, f"{self.base}/api/review{path}", headers=self.h[role], json=body)
        assert answer.status_code == status, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def to_ready(self, fid: str, *, submit: bool = True) -> None:
        """Submitted (unless it already is), complete, admissible, assigned, instructed: ready for the commission."""
        if submit:
            self.submit(fid)
        self.wait_status(fid, "received")
        self.review(f"/cases/{fid}/completeness", {"complete": True, "missing": [], "message": ""}, "reviewer")
        self.review(f"/cases/{fid}/admissibility", {"admissible": True}, "reviewer")
        self.review(f"/cases/{fid}/assignment", {"instructor_id": self.ids["instructor"]}, "reviewer")
        self.review(f"/cases/{fid}/ready", None, "instructor")

    def session(self, day: str) -> dict[str, Any]:
        """The session of that day (created when there is none)."""
        listed = httpx.get(f"{self.base}/api/review/sessions?limit=200", headers=self.h["commission"]).json()["items"]
        for s in listed:
            if s["date"] == day:
                return dict(s)
        return self.review("/sessions", {"date": day}, "commission", 201)
