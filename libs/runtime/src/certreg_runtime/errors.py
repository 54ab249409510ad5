"""Domain errors: what a use case refuses, and why, without knowing who asked.

Commands, queries and handlers raise these; they know nothing of HTTP. The HTTP layer
maps them to a status once (``certreg_runtime.http``), a bus handler turns them into a
permanent failure (the event is parked at once: no retry can change the answer).

The body is ``{"detail": …, "code": …}``; invalid input uses FastAPI's own 422 shape
(``detail`` is a list of ``{loc, msg, type}``) so that clients read one form.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal: ``detail`` for people (French), ``code`` for programs, ``extra`` fields
    (the current state, what is editable…) added to the body."""

    default_code = "error"

    def __init__(self, detail: Any, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail if isinstance(detail, str) else code or self.default_code)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, "code": self.code, **self.extra}


class Invalid(DomainError):
    """The input is wrong: ``detail`` lists each field and why."""

    default_code = "invalid"


class Rejected(DomainError):
    """Refused as given, not about one field: a link already used or expired…"""

    default_code = "rejected"


class Unauthenticated(DomainError):
    default_code = "not_authenticated"


class Forbidden(DomainError):
    default_code = "forbidden"


class NotFound(DomainError):
    """Unknown, or not the caller's to see (never say which)."""

    default_code = "not_found"


class Conflict(DomainError):
    """Not possible in the current state (the body names the state)."""

    default_code = "conflict"


class TooLarge(DomainError):
    default_code = "too_large"


class Unsupported(DomainError):
    default_code = "unsupported_type"


class Throttled(DomainError):
    """Too many attempts; ``retry_after`` seconds before the next one may succeed."""

    default_code = "throttled"

    def __init__(self, detail: Any, code: str | None = None, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, code, **extra)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A dependency is down or saturated: try again later (a transient failure)."""

    default_code = "unavailable"

    def __init__(
        self,
        detail: Any = "Service momentanément indisponible, réessayez dans un instant.",
        code: str | None = None,
        *,
        retry_after: int = 5,
        **extra: Any,
    ) -> None:
        super().__init__(detail, code, **extra)
        self.retry_after = retry_after


def field_error(field: str | list[str | int], msg: str, type_: str = "invalid", where: str = "body") -> dict[str, Any]:
    """One entry of an ``Invalid`` detail: where the value was (``body``, ``query``,
    ``path``), which field, and why (in French)."""
    loc = [where, *(field if isinstance(field, list) else [field])]
    return {"loc": loc, "msg": msg, "type": type_}


def invalid(*errors: dict[str, Any], code: str = "invalid") -> Invalid:
    """422 naming each field and why."""
    return Invalid(list(errors), code=code)


# What the caller looked for, in the French the answer's ``detail`` says (issue 13, point 14:
# "registration not found" reached the pages); any other text is taken as the message.
NOT_FOUND_MESSAGES: dict[str, str] = {
    "account": "Compte introuvable.",
    "account request": "Demande de compte introuvable.",
    "application": "Demande de référencement introuvable.",
    "case": "Dossier introuvable.",
    "document": "Document introuvable.",
    "entity": "Organisme introuvable.",
    "letter": "Courrier introuvable.",
    "notification": "Notification introuvable.",
    "opinion": "Avis introuvable.",
    "registration": "Aucune certification n'est enregistrée sous ce numéro.",
    "session": "Séance introuvable.",
}


def not_found(what: str = "Ressource introuvable.") -> NotFound:
    return NotFound(NOT_FOUND_MESSAGES.get(what, what))


def forbidden(why: str = "Action non autorisée.") -> Forbidden:
    return Forbidden(why)


def conflict(detail: str, code: str = "conflict", **extra: Any) -> Conflict:
    return Conflict(detail, code=code, **extra)


__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "Invalid",
    "NotFound",
    "Rejected",
    "Throttled",
    "TooLarge",
    "Unauthenticated",
    "Unavailable",
    "Unsupported",
    "conflict",
    "field_error",
    "forbidden",
    "invalid",
    "not_found",
]
