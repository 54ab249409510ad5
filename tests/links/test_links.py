"""Issue 12, points 8 and 10: no link the platform gives leads nowhere.

- Every mail and in-app notification: the notifier hears a realistic event of every kind
  it handles, addressed to real recipients (depositors, an entity manager, each staff
  role); each internal link of each mail (text and HTML) and of each notification answers
  200 through the gateway; staff are sent to the back office (``/back-office/…``),
  depositors to the portal; every external link and e-mail address is one of the
  configured contacts and notices.
- Every page (portal and back office): each link of its HTML, and each link its scripts
  build (``href:``, ``location.assign``, the navigation), answers 200; portal pages never
  send to the back office; external links are the configured ones.

The contacts are configured to non-default values, so that a hard-coded address shows.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from certreg_contracts import Event, event_class
from certreg_runtime.contacts import Contacts
from certreg_testing.platform import TestPlatform, embedded_platform
from gateway.ui import ROUTES as PAGES
from gateway.ui import STATIC_DIR
from notifier.adapters.tables import Mail, Notification
from notifier.domain.rules import ROUTES, templates


def _samples() -> Any:
    """The notifier tests' sample events (plausible values for every field of a contract)."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "services" / "notifier" / "tests" / "samples.py"
    spec = importlib.util.spec_from_file_location("notifier_samples", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_sample_event = _samples().sample_event


def sample_event(routing_key: str, **fields: Any) -> Event:
    """A sample event of ``routing_key`` with ``fields`` (those the contract has)."""
    known = event_class(routing_key, 1).model_fields
    event: Event = _sample_event(routing_key, **{k: v for k, v in fields.items() if k in known})
    return event


PUBLIC = "http://certreg.test"
CONTACTS = {
    "support_email": "assistance@certif.exemple.gouv.fr",
    "contact_email": "questions@certif.exemple.gouv.fr",
    "notice_rncp_url": "https://notices.exemple.gouv.fr/notice-rncp.pdf",
    "notice_rs_url": "https://notices.exemple.gouv.fr/notice-rs.pdf",
    "dpo_email": "dpo@certif.exemple.gouv.fr",
}
CONFIGURED = Contacts.model_validate(CONTACTS)
ADDRESSES = {CONFIGURED.support_email, CONFIGURED.contact_email, CONFIGURED.dpo_email}
# Pages both sides use: one-time links, the public registry, the legal pages.
SHARED = ("/activation", "/mot-de-passe/", "/registre", "/accessibilite", "/mentions-legales", "/donnees-personnelles")
URL = re.compile(r"https?://[^\s<>\"')]+")


class Links(HTMLParser):
    """Every ``href`` and ``src`` of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


def links_of(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.found


@pytest.fixture
async def p(tmp_path: Path) -> AsyncIterator[TestPlatform]:
    """The notifier behind the gateway (the tests play the other services' events)."""
    async with embedded_platform(tmp_path, names=["notifier"], public_url=PUBLIC, **CONTACTS) as platform:
        yield platform


@pytest.fixture
async def pages(tmp_path: Path) -> AsyncIterator[TestPlatform]:
    """The gateway's pages, with the services their static links name behind it (the
    delegation template, the back office's CSV export)."""
    async with embedded_platform(tmp_path, names=["entities", "review"], public_url=PUBLIC, **CONTACTS) as platform:
        yield platform


async def check_internal(p: TestPlatform, link: str, where: str) -> None:
    """A page or a static file answers 200; an API download exists (200, or 401 for a
    protected one, which the page's script fetches with the user's token)."""
    path = link.removeprefix(PUBLIC) or "/"
    response = await p.client.get(path)
    expected = {200, 401} if path.startswith("/api/") else {200}
    assert response.status_code in expected, f"{where}: {link} -> {response.status_code}"


def check_external(link: str, where: str) -> None:
    if link.startswith("mailto:"):
        assert link.removeprefix("mailto:") in ADDRESSES, f"{where}: unknown address {link}"
    else:
        assert link in CONFIGURED.external_links(), f"{where}: {link} is not a configured external link"


# --------------------------------------------------------------------------- mails and notifications


class People:
    """The recipients: a depositor and an entity manager of one entity, one account per
    staff role (activated), and a person signing up."""

    def __init__(self) -> None:
        self.entity_id = uuid.uuid4()
        self.filing_id = uuid.uuid4()
        self.ids: dict[str, uuid.UUID] = {}
        self.emails: dict[str, str] = {}
        for who in ("depositor", "manager", "newcomer", "si_admin", "reviewer", "instructor", "commission", "director"):
            self.ids[who] = uuid.uuid4()
            domain = "francecompetences.exemple" if who in self.staff_roles else "organisme.exemple"
            self.emails[who] = f"{who}.{self.ids[who].hex[:6]}@{domain}"

    staff_roles = ("si_admin", "reviewer", "instructor", "commission", "director")

    def person(self, who: str) -> dict[str, Any]:
        return {"account_id": self.ids[who], "email": self.emails[who], "first_name": who.capitalize(), "last_name": "Exemple"}

    def case(self, **more: Any) -> dict[str, Any]:
        return {"filing_id": self.filing_id, "entity_id": self.entity_id, "title": "Technicien de maintenance des éoliennes", **more}

    @property
    def staff_emails(self) -> set[str]:
        return {self.emails[r] for r in self.staff_roles}


def events(people: People) -> list[Event]:
    """A realistic event of every kind the notifier handles (and the variants whose
    wording or recipients differ), in the order of the procedure."""
    person, case = people.person, people.case
    expires = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
    token = "?token=jeton-exemple"
    seed: list[Event] = [
        sample_event("identity.account.approved", **person("depositor"), entity_id=people.entity_id, roles=["depositor"]),
        sample_event("identity.account.approved", **person("manager"), entity_id=people.entity_id, roles=["entity_manager", "depositor"]),
    ]
    for role in people.staff_roles:
        seed.append(
            sample_event(
                "identity.staff.created",
                **person(role),
                roles=[role],
                set_password_url=f"{PUBLIC}/mot-de-passe/definir{token}",
                expires_at=expires,
            )
        )
        seed.append(sample_event("identity.account.activated", **person(role), entity_id=None, status="active"))
    newcomer = {**person("newcomer"), "entity_id": uuid.uuid4()}
    joiner = {**person("newcomer"), "account_id": uuid.uuid4(), "entity_id": people.entity_id}
    return [
        *seed,
        sample_event("identity.account.registered", **person("newcomer"), activation_url=f"{PUBLIC}/activation{token}", expires_at=expires),
        sample_event(
            "identity.account.activation_requested", **person("newcomer"), activation_url=f"{PUBLIC}/activation{token}", expires_at=expires
        ),
        sample_event("identity.account.activated", **newcomer, status="pending_validation"),
        sample_event("identity.account.validation_requested", **newcomer, validator="si_admin"),
        sample_event("identity.account.validation_requested", **joiner, validator="entity_manager"),
        sample_event("identity.account.rejected", **newcomer, reason="La délégation de mandat n'est pas signée."),
        sample_event(
            "identity.account.password_reset_requested",
            **person("depositor"),
            reset_url=f"{PUBLIC}/mot-de-passe/reinitialiser{token}",
            expires_at=expires,
        ),
        sample_event(
            "identity.account.unlock_requested",
            **person("depositor"),
            unlock_url=f"{PUBLIC}/connexion/deblocage{token}",
            expires_at=expires,
        ),
        sample_event("identity.account.roles_changed", **person("instructor"), entity_id=None, roles=["instructor", "reviewer"]),
        sample_event(
            "identity.account.roles_changed", **person("manager"), entity_id=people.entity_id, roles=["entity_manager", "depositor"]
        ),
        sample_event("entities.entity.verified", entity_id=people.entity_id, denomination="Organisme exemple", siret="73282932000074"),
        sample_event("filings.filing.submitted", **case(), submission_round=1),
        sample_event("review.case.withdrawn", **case(filing_id=uuid.uuid4())),
        sample_event("review.case.withdrawal_refused", **case(), status="registered"),
        sample_event("review.case.submission_refused", **case(), status="abandoned", submission_round=2, accepted_round=1),
        sample_event("review.case.opened", **case()),
        sample_event("review.case.status_changed", **case(), status="under_instruction", editable_items=[]),
        sample_event("review.case.completeness_checked", **case(), complete=False, missing=["criminal_record"]),
        sample_event("review.case.completeness_checked", **case(), complete=True, missing=[]),
        sample_event("review.case.admissibility_decided", **case(), admissible=False, recommendations="Reprenez le référentiel."),
        sample_event("review.case.admissibility_decided", **case(), admissible=True),
        sample_event("review.case.instructor_assigned", **case(), instructor_id=people.ids["instructor"]),
        sample_event("review.request.opened", **case(), opened_by=people.ids["instructor"]),
        sample_event("review.message.posted", **case(), author_side="depositor", author_id=people.ids["depositor"]),
        sample_event("review.message.posted", **case(), author_side="staff", author_id=people.ids["instructor"]),
        sample_event("review.request.reminder_due", **case()),
        sample_event("review.request.overdue", **case(), opened_by=people.ids["instructor"]),
        sample_event("review.request.answered", **case(), opened_by=people.ids["instructor"]),
        sample_event("review.case.ready_for_commission", **case()),
        sample_event("review.session.created"),
        sample_event("review.case.scheduled", **case()),
        sample_event("review.case.opinion_given", **case(), opinion="adjourned", resubmission_due=dt.date(2027, 2, 15)),
        sample_event("review.case.opinion_given", **case(), opinion="favourable", resubmission_due=None),
        sample_event("review.case.returned_to_commission", **case()),
        sample_event("review.case.registered", **case()),
        sample_event("review.registration.renewal_reminder_due", **case()),
        sample_event("review.case.refused", **case()),
        sample_event("review.case.abandoned", **case(filing_id=uuid.uuid4())),
        sample_event("review.case.admissibility_withdrawn", **case(filing_id=uuid.uuid4())),
    ]


async def test_every_link_of_every_mail_and_notification_answers(p: TestPlatform) -> None:
    people = People()
    for event in events(people):
        await p.publish(event)
    assert await p.parked() == []
    mails, notifications = p.rows("notifier", Mail), p.rows("notifier", Notification)
    # Every template was rendered into a mail or a notification somebody sees.
    assert {m.kind for m in mails} | {n.kind for n in notifications} == templates()
    assert set(ROUTES) <= {e.routing_key for e in events(people)}

    staff_ids = {people.ids[r] for r in people.staff_roles}
    checked = 0
    for mail in mails:
        where = f"mail {mail.kind} to {mail.to_addr}"
        staff = mail.to_addr in people.staff_emails
        found = set(URL.findall(mail.text_body)) | set(links_of(mail.html_body))
        assert set(URL.findall(mail.text_body)) == {u for u in links_of(mail.html_body) if u.startswith("http")}, where
        for link in sorted(found):
            if link.startswith(PUBLIC):
                await check_internal(p, link, where)
                path = urlsplit(link).path
                if staff:
                    assert path.startswith(("/back-office/", *SHARED)), f"{where}: a staff link to the portal: {link}"
                else:
                    assert not path.startswith("/back-office"), f"{where}: a depositor sent to the back office: {link}"
            else:
                check_external(link, where)
            checked += 1
    for n in notifications:
        if n.link:
            await check_internal(p, n.link, f"notification {n.kind}")
            assert n.link.startswith("/back-office/") == (n.account_id in staff_ids), f"notification {n.kind}: {n.link}"
            checked += 1
    assert checked > 100, checked
    # Every mail ends with the configured contacts and notices.
    for mail in mails:
        for value in (CONFIGURED.support_email, CONFIGURED.contact_email, CONFIGURED.notice_rncp_url, CONFIGURED.notice_rs_url):
            assert value in mail.text_body, f"mail {mail.kind} to {mail.to_addr}: no {value}"


# --------------------------------------------------------------------------- pages

LINK_IN_SCRIPT = re.compile(r"(?:href:\s*|location\.(?:assign|replace)\(\s*|navItem\(|link\()([\"`])(/[^\"`]*)\1?")


def script_links(text: str) -> list[str]:
    """The internal paths a script links to; a template's ``${…}`` part becomes an id."""
    out = []
    for _, literal in LINK_IN_SCRIPT.findall(text):
        head = literal.split("${", 1)[0]
        out.append(head + str(uuid.uuid4()) if "${" in literal and head.endswith("/") else head)
    return out


def page_path(route: str) -> str:
    return route.replace("{filing_id}", str(uuid.uuid4())).replace("{number}", "RNCP34825")


async def test_every_link_of_every_page_and_script_answers(pages: TestPlatform) -> None:
    p = pages
    checked = 0
    for route in PAGES:
        response = await p.client.get(page_path(route))
        assert response.status_code == 200, route
        html = response.text
        assert "{{" not in html, f"{route}: a placeholder left: {re.findall(r'{{[^}]*}}', html)}"
        back = 'data-area="back"' in html
        for link in links_of(html):
            where = f"page {route}"
            if link.startswith("/"):
                await check_internal(p, link, where)
                if not back and not link.startswith("/static/"):
                    assert not link.startswith("/back-office"), f"{where}: the portal links to the back office: {link}"
            elif not link.startswith("#"):
                check_external(link, where)
            checked += 1
    scripts = sorted((STATIC_DIR / "js").rglob("*.js"))
    for script in scripts:
        for link in script_links(script.read_text(encoding="utf-8")):
            await check_internal(p, link, f"script {script.name}")
            if script.name.startswith(("dossier", "dossiers", "entite", "compte", "notifications", "accueil")):
                assert not link.startswith("/back-office"), f"{script.name}: the portal links to the back office: {link}"
            if script.name.startswith("bo-"):
                assert link.startswith(("/back-office/", *SHARED)), f"{script.name}: the back office links to the portal: {link}"
            checked += 1
    assert checked > 200, checked


async def test_the_contacts_and_notices_come_from_the_configuration(pages: TestPlatform) -> None:
    """Shown on the activation-waiting page, the login page, the activation page, the
    footer of every page, and the legal pages (the DPO)."""
    p = pages
    for path in ("/comptes/verifiez-votre-messagerie", "/connexion", "/activation"):
        html = (await p.client.get(path)).text
        assert 'id="help-box"' in html, path
        for value in CONTACTS.values():
            if value != CONTACTS["dpo_email"]:
                assert value in html, (path, value)
    for route in PAGES:
        html = (await p.client.get(page_path(route))).text
        assert f'href="mailto:{CONTACTS["contact_email"]}"' in html and CONTACTS["notice_rs_url"] in html, route
        assert "francecompetences.fr" not in html, f"{route}: a default address shows although another is configured"
    privacy = (await p.client.get("/donnees-personnelles")).text
    assert f'href="mailto:{CONTACTS["dpo_email"]}"' in privacy
    statement = (await p.client.get("/accessibilite")).text
    assert "<strong>non conforme</strong>" in statement and "partiellement conforme" not in statement
    assert "Accessibilité : non conforme" in statement  # the footer


def test_the_defaults_are_france_competences_addresses() -> None:
    defaults = Contacts()
    assert defaults.support_email == "support.certificationprofessionnelle@francecompetences.fr"
    assert defaults.contact_email == "certificationprofessionnelle@francecompetences.fr"
