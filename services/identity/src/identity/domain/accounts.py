"""The account's rules: e-mail form, the fields a person gives, statuses and who decides
a request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeGuard

from email_validator import EmailNotValidError, validate_email

from certreg_contracts import types
from certreg_contracts.types import Role
from certreg_runtime.auth import Principal
from certreg_runtime.errors import field_error
from identity.domain import passwords

PENDING_ACTIVATION = "pending_activation"
PENDING_VALIDATION = "pending_validation"
ACTIVE = "active"
REJECTED = "rejected"
# A sign-up never activated, replaced by a new sign-up of the same address: its e-mail
# is freed (WITHDRAWN_DOMAIN), its links and its onboarding token stop working.
WITHDRAWN = "withdrawn"
# Offboarding (issue 11, point 8): an account the SI administrator disabled.
DISABLED = "disabled"
# Offboarding: a member its entity manager removed from the entity (it acts for it no more).
REMOVED = "removed"
STATUSES = (PENDING_ACTIVATION, PENDING_VALIDATION, ACTIVE, REJECTED, WITHDRAWN, DISABLED, REMOVED)
# The statuses of a request once decided (the archive of processed requests).
DECIDED = (ACTIVE, REJECTED, DISABLED, REMOVED)
WITHDRAWN_DOMAIN = "withdrawn.invalid"

# In the contracts' order: the messages list them.
STAFF_ROLES = tuple(r for r in types.ROLES if r in types.STAFF_ROLES)

MAX_EMAIL_LENGTH = 254
MAX_NAME = 100
MAX_JOB_TITLE = 200
MAX_REASON = 2000
PHONE = re.compile(r"^\+?[0-9 .()-]{6,25}$")

FieldErrors = list[dict[str, Any]]


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


def login_email(username: str) -> str:
    """The e-mail a login form names, as stored; a malformed one is kept (trimmed,
    lower-case, bounded) so that its failures are counted all the same."""
    try:
        return normalize_email(username)
    except InvalidEmail:
        return username.strip().lower()[:300]


# --- the fields of a form: each broken rule is one entry of a 422 -------------------


def checked_email(errors: FieldErrors, raw: str, field: str = "email") -> str:
    try:
        return normalize_email(raw)
    except InvalidEmail as exc:
        errors.append(field_error(field, str(exc), "email_invalid"))
        return ""


def required_text(errors: FieldErrors, field: str, value: str, label: str, max_length: int = MAX_NAME) -> str:
    value = (value or "").strip()
    if not value:
        errors.append(field_error(field, f"{label} est obligatoire.", "missing"))
    elif len(value) > max_length:
        errors.append(field_error(field, f"{label} ne doit pas dépasser {max_length} caractères.", "too_long"))
    return value


# A name is letters (any script, with their accents), spaces, hyphens, apostrophes and
# dots: "Jean-Pierre", "N'Diaye", "Ó Súilleabháin", "J. R." — never a URL, an address,
# digits, markup or a control character (issue 11, points 9 and 15).
# A dot ends an initial ("J. R."): followed by a space or nothing, so "www.x.fr" is no name.
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:(?:[ '’-]+|\.[ '’-]+)[^\W\d_]+)*\.?$")


def checked_name(errors: FieldErrors, field: str, value: str, label: str) -> str:
    """A person's first or last name, as it will be written in mails and letters."""
    name = required_text(errors, field, value, label)
    if name and len(name) <= MAX_NAME and not _NAME_CHARS.match(name):
        errors.append(
            field_error(
                field,
                f"{label} ne peut contenir que des lettres, des espaces, des traits d'union, des apostrophes et des points.",
                "name_invalid",
            )
        )
    return name


def checked_phone(errors: FieldErrors, raw: str) -> str:
    phone = raw.strip()
    if phone and not PHONE.match(phone):
        errors.append(field_error("phone", "Le numéro de téléphone n'est pas valide.", "phone_invalid"))
    return phone


def checked_job_title(errors: FieldErrors, raw: str) -> str:
    job_title = raw.strip()
    if len(job_title) > MAX_JOB_TITLE:
        errors.append(field_error("job_title", f"La fonction ne doit pas dépasser {MAX_JOB_TITLE} caractères.", "too_long"))
    elif any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in job_title):
        errors.append(field_error("job_title", "La fonction doit tenir sur une ligne, sans caractère de contrôle.", "control_character"))
    return job_title


def password_errors(password: str, email: str, field: str) -> FieldErrors:
    if not password:
        return [field_error(field, "Le mot de passe est obligatoire.", "missing")]
    return [field_error(field, f.message, f.code) for f in passwords.check_password(password, email or None)]


def is_staff_role(role: str) -> TypeGuard[Role]:
    return role in STAFF_ROLES


def unknown_staff_roles(roles: list[str]) -> list[str]:
    return [r for r in roles if not is_staff_role(r)]


# --- statuses and validation ----------------------------------------------------------


def awaits_application(*, is_staff: bool, status: str, application_submitted_at: datetime | None) -> bool:
    """A person's account whose entity application was never submitted (it cannot be
    validated until it is: the person may ask for a new onboarding token)."""
    return not is_staff and status in (PENDING_ACTIVATION, PENDING_VALIDATION) and application_submitted_at is None


def roles_on_approval(new_entity: bool) -> list[Role]:
    """DESIGN.md step 1.7: the first account of an entity becomes its entity manager."""
    return ["depositor", "entity_manager"] if new_entity else ["depositor"]


def validator_for(new_entity: bool) -> Literal["si_admin", "entity_manager"]:
    """Who validates an account request (DESIGN.md step 1.6)."""
    return "si_admin" if new_entity else "entity_manager"


@dataclass(frozen=True)
class Scope:
    """What a validator may decide: si_admin the first accounts of new entities, an
    entity manager the requests to join their own entity."""

    si_admin: bool
    manager_of: str | None

    @classmethod
    def of(cls, user: Principal) -> Scope:
        manager_of = str(user.entity_id) if user.has_any("entity_manager") and user.entity_id else None
        return cls(si_admin=user.has_any("si_admin"), manager_of=manager_of)

    def covers(self, *, new_entity: bool | None, entity_id: str | None) -> bool:
        if entity_id is None or new_entity is None:
            return False
        if new_entity:
            return self.si_admin
        return self.manager_of is not None and self.manager_of == entity_id
