"""The two web interfaces served by the gateway: the public portal (``/``) and the
back office (``/back-office/``).

Static HTML pages (``pages/*.html``, each a fragment put into ``layout.html``) and
small ES modules (``static/js``) that call the JSON API. No build step: this module
only maps each path to its page and serves ``static/`` (DSFR vendored under
``static/dsfr``: nothing is loaded from outside)."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from certreg_runtime.contacts import OFFICIAL_TEXTS, Contacts
from gateway.ui.assets import StaticAssets

UI_DIR = Path(__file__).parent
PAGES_DIR = UI_DIR / "pages"
STATIC_DIR = UI_DIR / "static"
# One per process: each file read and hashed once.
ASSETS = StaticAssets(STATIC_DIR)

# path → page file (without .html). ``{…}`` segments are ids read by the page's script.
ROUTES: dict[str, str] = {
    "/": "accueil",
    "/accessibilite": "accessibilite",
    "/mentions-legales": "mentions-legales",
    "/donnees-personnelles": "donnees-personnelles",
    "/comptes/creer": "compte-creer",
    "/comptes/verifiez-votre-messagerie": "compte-verifiez",
    "/activation": "activation",
    "/connexion": "connexion",
    "/connexion/deblocage": "connexion-deblocage",
    "/mot-de-passe/oublie": "mdp-oublie",
    "/mot-de-passe/reinitialiser": "mdp-reinitialiser",
    "/mot-de-passe/definir": "mdp-definir",
    "/dossiers": "dossiers",
    "/dossiers/nouveau": "dossier-nouveau",
    "/dossiers/{filing_id}": "dossier",
    "/registre": "registre",
    "/registre/{number}": "registre-fiche",
    "/entite/demandes": "entite-demandes",
    "/entite/membres": "entite-membres",
    "/notifications": "notifications",
    "/back-office/": "bo-accueil",
    "/back-office/connexion": "bo-connexion",
    "/back-office/demandes-de-compte": "bo-demandes",
    "/back-office/organismes/{entity_id}": "bo-organisme",
    "/back-office/agents": "bo-agents",
    "/back-office/dossiers": "bo-dossiers",
    "/back-office/dossiers/{filing_id}": "bo-dossier",
    "/back-office/commission": "bo-commission",
    "/back-office/journal-officiel": "bo-journal-officiel",
    "/back-office/partenaires-en-retard": "bo-partenaires-retard",
    "/back-office/courriels": "bo-courriels",
    "/back-office/notifications": "bo-notifications",
}

# Strict by default: every script and style comes from this origin (DSFR included).
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

_META = re.compile(r"<!--\s*(\w+):\s*(.*?)\s*-->")
_STATIC_LINK = re.compile(r'((?:href|src)=")(/static/[^"?#]+)(")')


@cache
def render_page(name: str, contacts: Contacts) -> str:
    """The page fragment in the layout of its area (public portal or back office), with
    the platform's contacts and help notices (``{{support_email}}``, ``{{help_box}}``…)."""
    text = (PAGES_DIR / f"{name}.html").read_text(encoding="utf-8")
    meta = dict(_META.findall(text.split("\n\n", 1)[0]))
    area = meta.get("area", "public")
    layout = (PAGES_DIR / "_layout.html").read_text(encoding="utf-8")
    script = meta.get("script", "")
    values = {
        "title": html.escape(meta.get("title", contacts.service_name)),
        "area": area,
        "home": "/back-office/" if area == "back" else "/",
        "service": html.escape(f"{contacts.service_name} — espace agents" if area == "back" else contacts.service_name),
        "tagline": (
            "France compétences — instruction des demandes d’enregistrement"
            if area == "back"
            else "Enregistrer une certification professionnelle au RNCP ou au RS"
        ),
        "script": f'<script type="module" src="/static/js/pages/{script}"></script>' if script else "",
        "body": text,
    }
    for key, value in values.items():
        layout = layout.replace("{{" + key + "}}", value)
    # The contacts last: the page's own text (the body) uses them too.
    for key, value in contact_values(contacts).items():
        layout = layout.replace("{{" + key + "}}", value)
    # Each static file it names with its content's hash: cached for a year, never stale.
    return _STATIC_LINK.sub(lambda m: m.group(1) + ASSETS.versioned(m.group(2)) + m.group(3), layout)


def contact_values(contacts: Contacts) -> dict[str, str]:
    """What pages may quote of the configuration (escaped), and the help box they share."""
    values = {name: html.escape(str(value)) for name, value in contacts.model_dump().items()}
    values.update({f"text_{key}": html.escape(url) for key, url in OFFICIAL_TEXTS.items()})
    values["help_box"] = help_box(contacts)
    values["validation_delay"] = html.escape(contacts.validation_delay())
    return values


def help_box(contacts: Contacts) -> str:
    """« Besoin d’aide ? »: the two notices and the two addresses (DSFR callout)."""
    notices = "".join(
        f'<li><a class="fr-link" href="{html.escape(url)}" target="_blank" rel="noopener" '
        f'title="{html.escape(label)} — nouvelle fenêtre">{html.escape(label)}</a></li>'
        for label, url in contacts.notices()
    )
    support, contact = html.escape(contacts.support_email), html.escape(contacts.contact_email)
    return (
        '<div class="fr-callout fr-mt-4w" id="help-box">\n'
        '  <h2 class="fr-callout__title fr-h5">Besoin d’aide ?</h2>\n'
        f'  <ul class="fr-callout__text fr-text--md">{notices}</ul>\n'
        '  <p class="fr-text--sm">Un problème pour activer votre compte ou vous connecter : '
        f'<a class="fr-link" href="mailto:{support}">{support}</a>.<br>'
        f'Une question sur la procédure d’enregistrement : <a class="fr-link" href="mailto:{contact}">{contact}</a>.</p>\n'
        "</div>"
    )


def _page(name: str) -> Callable[[Request], Awaitable[HTMLResponse]]:
    async def serve(request: Request) -> HTMLResponse:
        contacts: Contacts = request.app.state.contacts
        return HTMLResponse(render_page(name, contacts), headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    serve.__name__ = f"page_{name.replace('-', '_')}"
    return serve


router = APIRouter(include_in_schema=False)
for _path, _name in ROUTES.items():
    router.add_api_route(_path, _page(_name), methods=["GET"], name=f"ui:{_name}")


@router.get("/back-office")
async def back_office() -> RedirectResponse:
    return RedirectResponse("/back-office/", status_code=308)


@router.get("/favicon.ico")
async def favicon() -> RedirectResponse:
    return RedirectResponse("/static/dsfr/favicon/favicon.ico", status_code=308)


def mount_ui(app: FastAPI, contacts: Contacts) -> None:
    """Add the pages and ``/static`` to the gateway app (its fallback after ``/api``)."""
    app.state.contacts = contacts
    app.mount("/static", ASSETS, name="static")
    app.include_router(router)

    @app.exception_handler(StarletteHTTPException)
    async def not_found_in_french(request: Request, exc: StarletteHTTPException) -> Response:
        """An unknown address: a French page for people, a French ``detail`` for programs
        (never ``{"detail": "Not Found"}``)."""
        if exc.status_code != 404:
            return await http_exception_handler(request, exc)
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"detail": "Adresse introuvable.", "code": "not_found"}, status_code=404)
        page = render_page("introuvable", request.app.state.contacts)
        return HTMLResponse(page, status_code=404, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})
