"""Every operation of the services' OpenAPI documents: who may call it, and a valid
request for it built from the world's objects.

``POLICIES`` is the authorization table the matrix checks; a test fails when an
operation of the OpenAPI documents has no entry here (a new route must say who may call
it) or when an entry names an operation that no longer exists."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .world import PDF, STAFF_ROLES, Side, World, unique_email

SERVICES = ("identity", "entities", "filings", "review", "notifier")
CASE_STAFF = frozenset({"reviewer", "instructor", "commission", "director"})
ALL_STAFF = frozenset(STAFF_ROLES)
MEMBERS = frozenset({"depositor", "entity_manager"})
ACCESS = MEMBERS | ALL_STAFF  # any access token


@dataclass(frozen=True)
class Policy:
    """Who may call an operation.

    ``allowed``: the kinds of caller let through (on their own entity's objects when
    ``scoped``). ``scoped``: the objects belong to an entity, so a member (or an
    onboarding token) is refused on another entity's. ``owner``: the object is one
    person's (a notification): everyone but that person is refused. ``public``: anyone,
    no cell to refuse. ``lists``: a list whose answer must never show another entity's
    objects to a member."""

    allowed: frozenset[str] = frozenset()
    scoped: bool = False
    owner: bool = False
    public: bool = False
    lists: bool = False


def _p(*allowed: str | frozenset[str], **flags: bool) -> Policy:
    kinds: set[str] = set()
    for a in allowed:
        kinds |= {a} if isinstance(a, str) else set(a)
    return Policy(frozenset(kinds), **flags)


PUBLIC = Policy(public=True)
# A partner organisation's SIRET (Luhn-valid): what the partner routes are called with.
PARTNER_SIRET = "73282932000074"

POLICIES: dict[tuple[str, str], Policy] = {
    # ---------------------------------------------------------------- identity
    ("POST", "/api/identity/accounts"): PUBLIC,
    ("POST", "/api/identity/activation"): PUBLIC,
    ("POST", "/api/identity/activation/resend"): PUBLIC,
    ("GET", "/api/identity/me"): _p(ACCESS),
    ("POST", "/api/identity/token"): PUBLIC,
    ("POST", "/api/identity/onboarding-token"): PUBLIC,
    ("POST", "/api/identity/login/unlock"): PUBLIC,
    ("GET", "/api/identity/.well-known/jwks.json"): PUBLIC,
    ("POST", "/api/identity/password/forgot"): PUBLIC,
    ("POST", "/api/identity/password/reset"): PUBLIC,
    ("GET", "/api/identity/account-requests"): _p("si_admin", "entity_manager", lists=True),
    ("POST", "/api/identity/account-requests/{account_id}/approve"): _p("si_admin", "entity_manager", scoped=True),
    ("POST", "/api/identity/account-requests/{account_id}/reject"): _p("si_admin", "entity_manager", scoped=True),
    ("GET", "/api/identity/staff"): _p("si_admin", "reviewer", "director"),
    ("POST", "/api/identity/staff"): _p("si_admin"),
    ("POST", "/api/identity/accounts/{account_id}/disable"): _p("si_admin"),
    ("POST", "/api/identity/accounts/{account_id}/enable"): _p("si_admin"),
    ("GET", "/api/identity/accounts/{account_id}/audit"): _p("si_admin"),
    ("POST", "/api/identity/token/refresh"): PUBLIC,  # the session cookie is the credential
    ("POST", "/api/identity/logout"): PUBLIC,
    ("PUT", "/api/identity/staff/{account_id}/roles"): _p("si_admin"),
    ("POST", "/api/identity/staff/{account_id}/invitation"): _p("si_admin"),
    ("GET", "/api/identity/entity-members"): _p("entity_manager", lists=True),
    ("POST", "/api/identity/entity-members/{account_id}/remove"): _p("si_admin", "entity_manager", scoped=True),
    ("POST", "/api/identity/entity-members/{account_id}/manager"): _p("entity_manager", scoped=True),
    # The SI administrator's hand on an entity (issue 12, point 2).
    ("GET", "/api/identity/entities/{entity_id}/members"): _p("si_admin"),
    ("POST", "/api/identity/entities/{entity_id}/managers"): _p("si_admin"),
    # ---------------------------------------------------------------- entities
    ("GET", "/api/entities/lookup"): PUBLIC,
    ("POST", "/api/entities/applications"): _p("onboarding"),
    ("GET", "/api/entities/applications"): _p("si_admin", "entity_manager", lists=True),
    ("GET", "/api/entities/applications/{application_id}"): _p("onboarding", "si_admin", "entity_manager", scoped=True),
    ("PUT", "/api/entities/applications/{application_id}/documents/{doc_type}"): _p("onboarding", scoped=True),
    ("GET", "/api/entities/applications/{application_id}/documents/{document_id}"): _p(
        "onboarding", "si_admin", "entity_manager", scoped=True
    ),
    ("POST", "/api/entities/applications/{application_id}/submit"): _p("onboarding", scoped=True),
    ("GET", "/api/entities/entities/{entity_id}"): _p(ACCESS, scoped=True),
    ("PATCH", "/api/entities/entities/{entity_id}"): _p("si_admin"),
    ("GET", "/api/entities/mandate-template.pdf"): PUBLIC,
    ("GET", "/api/entities/upload-limits"): PUBLIC,
    # ---------------------------------------------------------------- filings
    ("POST", "/api/filings"): _p(MEMBERS),
    ("GET", "/api/filings"): _p(ACCESS, lists=True),
    ("GET", "/api/filings/{filing_id}"): _p(ACCESS, scoped=True),
    ("PATCH", "/api/filings/{filing_id}"): _p(MEMBERS, scoped=True),
    ("POST", "/api/filings/{filing_id}/submit"): _p(MEMBERS, scoped=True),
    ("POST", "/api/filings/{filing_id}/withdraw"): _p(MEMBERS, scoped=True),
    ("POST", "/api/filings/{filing_id}/renewal"): _p(MEMBERS, scoped=True),
    ("POST", "/api/filings/{filing_id}/documents/{doc_type}"): _p(MEMBERS, scoped=True),
    ("GET", "/api/filings/{filing_id}/documents"): _p(ACCESS, scoped=True),
    ("GET", "/api/filings/{filing_id}/documents/{document_id}/content"): _p(ACCESS, scoped=True),
    ("DELETE", "/api/filings/{filing_id}/documents/{document_id}"): _p(MEMBERS, scoped=True),
    ("GET", "/api/filings/{filing_id}/receipts"): _p(ACCESS, scoped=True),
    ("GET", "/api/filings/{filing_id}/changes"): _p(ACCESS, scoped=True),
    ("GET", "/api/filings/{filing_id}/receipts/{receipt_id}/content"): _p(ACCESS, scoped=True),
    # ---------------------------------------------------------------- review
    ("GET", "/api/review/cases"): _p(CASE_STAFF),
    ("GET", "/api/review/cases/{filing_id}"): _p(CASE_STAFF, MEMBERS, scoped=True),
    ("POST", "/api/review/cases/{filing_id}/completeness"): _p("reviewer"),
    ("POST", "/api/review/cases/{filing_id}/admissibility"): _p("reviewer"),
    ("POST", "/api/review/cases/{filing_id}/assignment"): _p("reviewer", "director"),
    ("POST", "/api/review/cases/{filing_id}/abandon"): _p("director"),
    ("POST", "/api/review/cases/{filing_id}/withdraw-admissibility"): _p("director"),
    ("POST", "/api/review/cases/{filing_id}/ready"): _p("instructor"),
    ("GET", "/api/review/criteria"): _p(ACCESS),
    ("POST", "/api/review/cases/{filing_id}/requests"): _p("instructor"),
    ("POST", "/api/review/sessions"): _p("commission"),
    ("GET", "/api/review/sessions"): _p(CASE_STAFF),
    ("GET", "/api/review/sessions/{session_id}/agenda"): _p(CASE_STAFF),
    ("POST", "/api/review/sessions/{session_id}/agenda"): _p("commission"),
    ("POST", "/api/review/sessions/{session_id}/opinions"): _p("commission"),
    ("PUT", "/api/review/sessions/{session_id}/opinions/{filing_id}"): _p("commission"),
    ("POST", "/api/review/cases/{filing_id}/decision"): _p("director"),
    ("POST", "/api/review/cases/{filing_id}/publication"): _p("director"),
    ("POST", "/api/review/publications"): _p("director"),
    ("POST", "/api/review/cases/{filing_id}/suspend"): _p("reviewer", "director"),
    ("POST", "/api/review/cases/{filing_id}/declare-inadmissible"): _p("director"),
    ("POST", "/api/review/cases/{filing_id}/acknowledge"): _p(MEMBERS, scoped=True),
    ("GET", "/api/review/cases/{filing_id}/messages"): _p(CASE_STAFF, MEMBERS, scoped=True),
    ("POST", "/api/review/cases/{filing_id}/messages"): _p(CASE_STAFF, MEMBERS, scoped=True),
    # The staff's own writing (issue 13, point 8): never the depositor's side.
    ("GET", "/api/review/cases/{filing_id}/annotations"): _p(CASE_STAFF),
    ("POST", "/api/review/cases/{filing_id}/annotations"): _p(CASE_STAFF),
    ("GET", "/api/review/cases/{filing_id}/report"): _p(CASE_STAFF),
    ("PUT", "/api/review/cases/{filing_id}/report"): _p("instructor"),
    ("GET", "/api/review/cases/{filing_id}/external-opinions"): _p(CASE_STAFF),
    ("POST", "/api/review/cases/{filing_id}/external-opinions"): _p("instructor", "director"),
    ("POST", "/api/review/cases/{filing_id}/external-opinions/{opinion_id}/answer"): _p("instructor", "director"),
    ("GET", "/api/review/cases/{filing_id}/external-opinions/{opinion_id}/document"): _p(CASE_STAFF),
    ("GET", "/api/review/cases.csv"): _p(CASE_STAFF),
    ("GET", "/api/review/publications/pending.csv"): _p(CASE_STAFF),
    ("GET", "/api/review/registry/export.xml"): PUBLIC,
    ("GET", "/api/review/registry/export.csv"): PUBLIC,
    ("GET", "/api/review/registry/changes"): PUBLIC,
    ("GET", "/api/review/registry"): PUBLIC,
    ("GET", "/api/review/registry/{number}"): PUBLIC,
    ("POST", "/api/review/registry/{number}/partners"): _p(MEMBERS, scoped=True),
    ("POST", "/api/review/registry/{number}/partners/{siret}/removal"): _p(MEMBERS, scoped=True),
    ("GET", "/api/review/partners/late"): _p(CASE_STAFF),
    # ---------------------------------------------------------------- notifier
    ("GET", "/api/notifier/notifications"): _p(ACCESS, lists=True),
    ("GET", "/api/notifier/notifications/unread-count"): _p(ACCESS),
    ("POST", "/api/notifier/notifications/{notification_id}/read"): _p("entity_manager", owner=True),
    ("POST", "/api/notifier/notifications/read-all"): _p(ACCESS),
    ("GET", "/api/notifier/letters"): _p(ACCESS, lists=True),
    ("GET", "/api/notifier/letters/{letter_id}/content"): _p(ACCESS, scoped=True),
    ("GET", "/api/notifier/outbox"): _p("si_admin"),
}

HEALTH = re.compile(r"^/api/\w+/(healthz|readyz)$")


def operations(documents: dict[str, dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every service's OpenAPI document, health excluded."""
    found = []
    for doc in documents.values():
        for path, item in doc["paths"].items():
            if HEALTH.match(path):
                continue
            for method, op in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    found.append((method.upper(), path, op))
    return found


# ---------------------------------------------------------------------------- requests


@dataclass
class Request:
    method: str
    path: str  # filled in
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    files: dict[str, Any] | None = None
    data: dict[str, Any] | None = None


def _filing_for(path: str, side: Side) -> str:
    """The side's filing an operation acts on: the draft for the depositor's edits, the
    registered one for the decision's acknowledgement, else the one under instruction."""
    if re.search(r"/api/filings/\{filing_id\}($|/submit|/documents/\{doc_type\}|/documents/\{document_id\}$)", path):
        return side.draft_id
    if path.endswith("/acknowledge"):
        return side.registered_id
    return side.filing_id


def path_values(world: World, method: str, path: str, side: Side) -> dict[str, str]:
    values = {
        "account_id": side.pending_account_id,
        "application_id": side.application_id,
        "entity_id": side.entity_id,
        "filing_id": _filing_for(path, side),
        "receipt_id": side.receipt_id,
        "session_id": world.session_id,
        "number": side.registration_number,
        "notification_id": side.notification_id,
        "letter_id": side.letter_id,
        "opinion_id": side.external_opinion_id,
        "siret": PARTNER_SIRET,
    }
    if path.startswith("/api/entities/"):
        values["doc_type"] = "legal_existence"
        values["document_id"] = side.application_document_id
    else:
        values["doc_type"] = "competence_framework"
        values["document_id"] = side.draft_document_id if method == "DELETE" else side.document_id
    return values


def _body(world: World, method: str, path: str, side: Side) -> dict[str, Any] | None:
    today = world.today()
    bodies: dict[tuple[str, str], Callable[[], Any]] = {
        ("POST", "/api/identity/account-requests/{account_id}/approve"): dict,
        ("POST", "/api/identity/account-requests/{account_id}/reject"): lambda: {"reason": "Pièces non conformes."},
        ("PUT", "/api/identity/staff/{account_id}/roles"): lambda: {"roles": ["reviewer"]},
        ("POST", "/api/identity/entities/{entity_id}/managers"): lambda: {"account_id": side.pending_account_id, "transfer": False},
        ("PATCH", "/api/entities/entities/{entity_id}"): lambda: {"address": {"city": "Lyon"}, "reason": "Adresse corrigée."},
        ("POST", "/api/identity/staff"): lambda: {
            "email": unique_email("agent"),
            "first_name": "Nouvel",
            "last_name": "Agent",
            "roles": ["reviewer"],
        },
        ("POST", "/api/entities/applications"): lambda: {
            "kind": "other",
            "legal_form": "company",
            "has_siret": False,
            "denomination": "Organisme sans SIRET",
            "address": {"street": "1 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "FR"},
            "named_on_legal_proof": True,
        },
        ("POST", "/api/filings"): lambda: {
            "repertoire": "rs",
            "title": "Habilitation électrique",
            "is_cqp": False,
            "rests_on_standards": False,
        },
        ("PATCH", "/api/filings/{filing_id}"): lambda: {"title": "Titre modifié"},
        ("POST", "/api/filings/{filing_id}/submit"): lambda: {"sworn_statement": True},
        ("POST", "/api/filings/{filing_id}/withdraw"): lambda: {"reason": "Retrait."},
        ("POST", "/api/review/cases/{filing_id}/completeness"): lambda: {"complete": True, "missing": [], "message": ""},
        ("POST", "/api/review/cases/{filing_id}/admissibility"): lambda: {"admissible": True},
        ("POST", "/api/review/cases/{filing_id}/assignment"): lambda: {"instructor_id": world.staff_ids["instructor"]},
        ("POST", "/api/review/cases/{filing_id}/abandon"): lambda: {"reason": "Sans réponse."},
        ("POST", "/api/review/cases/{filing_id}/withdraw-admissibility"): lambda: {"reason": "Données falsifiées."},
        ("POST", "/api/review/cases/{filing_id}/requests"): lambda: {
            "items": [{"question": "Précisez les modalités d'évaluation."}],
            "message": "Merci de préciser.",
            "due_date": (today + timedelta(days=30)).isoformat(),
        },
        ("POST", "/api/review/sessions"): lambda: {"date": (today + timedelta(days=60)).isoformat()},
        ("POST", "/api/review/sessions/{session_id}/agenda"): lambda: {"filing_id": side.filing_id},
        ("POST", "/api/review/sessions/{session_id}/opinions"): lambda: {"filing_id": side.filing_id, "opinion": "favourable"},
        ("PUT", "/api/review/sessions/{session_id}/opinions/{filing_id}"): lambda: {
            "opinion": "favourable",
            "correction_reason": "Erreur de saisie.",
        },
        ("POST", "/api/review/cases/{filing_id}/decision"): lambda: {"register": True, "motivation": "Conforme."},
        ("POST", "/api/review/cases/{filing_id}/publication"): lambda: {
            "jo_date": today.isoformat(),
            "jo_reference": "JORF n°0280 texte n° 42",
            "effective_date": today.isoformat(),
        },
        ("POST", "/api/review/cases/{filing_id}/suspend"): lambda: {"missing": ["criminal_record"], "message": "Bulletin illisible."},
        ("POST", "/api/review/cases/{filing_id}/declare-inadmissible"): lambda: {"reason": "Fausse déclaration."},
        ("POST", "/api/review/publications"): lambda: {
            "jo_date": today.isoformat(),
            "jo_reference": "JORF n°0280 texte n° 42",
            "effective_date": today.isoformat(),
            "filing_ids": [side.filing_id],
        },
        ("POST", "/api/review/cases/{filing_id}/messages"): lambda: {"body": "Bonjour."},
        ("POST", "/api/review/cases/{filing_id}/annotations"): lambda: {"body": "Note privée."},
        ("PUT", "/api/review/cases/{filing_id}/report"): lambda: {"body": "Rapport d'instruction."},
        ("POST", "/api/review/cases/{filing_id}/external-opinions"): lambda: {"expert": "Mme Experte", "question": "Votre avis ?"},
        ("POST", "/api/review/cases/{filing_id}/external-opinions/{opinion_id}/answer"): lambda: {"answer": "Favorable."},
        ("POST", "/api/review/registry/{number}/partners"): lambda: {
            "siret": PARTNER_SIRET,
            "name": "Organisme partenaire",
            "scope": "both",
        },
        ("POST", "/api/review/registry/{number}/partners/{siret}/removal"): dict,
    }
    make = bodies.get((method, path))
    return make() if make else None


def _query(method: str, path: str, side: Side) -> dict[str, Any]:
    """Filters that point at the side's objects, for the lists."""
    if path == "/api/notifier/letters":
        return {"filing_id": side.registered_id}
    if path == "/api/entities/applications":
        return {"entity_id": side.entity_id}
    if path == "/api/filings":
        return {"q": "Dossier"}
    return {}


UPLOADS = {
    ("PUT", "/api/entities/applications/{application_id}/documents/{doc_type}"),
    ("POST", "/api/filings/{filing_id}/documents/{doc_type}"),
}


def request_for(world: World, method: str, path: str, side: Side) -> Request:
    filled = path.format(**path_values(world, method, path, side))
    request = Request(method, filled, params=_query(method, path, side), json=_body(world, method, path, side))
    if (method, path) in UPLOADS:
        request.json = None
        request.files = {"file": ("piece.pdf", PDF, "application/pdf")}
    return request


def ids_of(side: Side) -> set[str]:
    """Every identifier of a side's objects: none may show up in another entity's answers."""
    return {
        v
        for v in (
            side.entity_id,
            side.manager_id,
            side.depositor_id,
            side.application_id,
            side.application_document_id,
            side.pending_account_id,
            side.draft_id,
            side.draft_document_id,
            side.filing_id,
            side.document_id,
            side.receipt_id,
            side.registered_id,
            side.letter_id,
            side.message_id,
            side.external_opinion_id,
            side.notification_id,
        )
        if v
    }


def fresh_uuid() -> str:
    return str(uuid.uuid4())
