"""The account's rules: e-mail form, statuses and who decides a request."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

PENDING_ACTIVATION = "pending_activation"
PENDING_VALIDATION = "pending_validation"
ACTIVE = "active"
REJECTED = "rejected"
STATUSES = (PENDING_ACTIVATION, PENDING_VALIDATION, ACTIVE, REJECTED)

STAFF_ROLES = ("si_admin", "reviewer", "instructor", "commission", "director")

MAX_EMAIL_LENGTH = 254


class InvalidEmail(ValueError):
    """The address is not a usable e-mail address; ``str(exc)`` says why, in French."""


def normalize_email(raw: str) -> str:
    """The login form of an address: trimmed, checked, lower-case."""
    value = (raw or "").strip()
    if not value:
        raise InvalidEmail("L'adresse électronique est obligatoire.")
    if len(value) > MAX_EMAIL_LENGTH:
        raise InvalidEmail("L'adresse électronique est trop longue.")
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidEmail(f"« {value} » n'est pas une adresse électronique valide.") from None
    return checked.normalized.lower()


def local_part(email: str) -> str:
    return email.rsplit("@", 1)[0]


def roles_on_approval(new_entity: bool) -> list[str]:
    """DESIGN.md step 1.7: the first account of an entity becomes its entity manager."""
    return ["depositor", "entity_manager"] if new_entity else ["depositor"]


def validator_for(new_entity: bool) -> str:
    """Who validates an account request (DESIGN.md step 1.6)."""
    return "si_admin" if new_entity else "entity_manager"


@dataclass(frozen=True)
class Scope:
    """What a validator may decide: si_admin the first accounts of new entities, an
    entity manager the requests to join their own entity."""

    si_admin: bool
    manager_of: str | None

    def covers(self, *, new_entity: bool | None, entity_id: str | None) -> bool:
        if entity_id is None or new_entity is None:
            return False
        if new_entity:
            return self.si_admin
        return self.manager_of is not None and self.manager_of == entity_id
