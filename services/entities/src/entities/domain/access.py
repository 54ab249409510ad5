"""Who may read what. Someone who may not know an object exists gets 404 (never
"forbidden", which would tell them it exists); someone who knows it but lacks the
role gets 403."""

from __future__ import annotations

import uuid

from certreg_runtime.auth import ACCESS_SCOPE, Principal
from certreg_runtime.errors import forbidden, not_found


def _is_access(user: Principal) -> bool:
    return user.scope == ACCESS_SCOPE


def is_si_admin(user: Principal) -> bool:
    return _is_access(user) and user.has_any("si_admin")


def is_manager_of(user: Principal, entity_id: uuid.UUID) -> bool:
    return _is_access(user) and user.has_any("entity_manager") and user.entity_id is not None and user.entity_id == entity_id


def check_may_read_application(user: Principal, *, account_id: uuid.UUID, entity_id: uuid.UUID) -> None:
    """The applicant, the SI administrator and the entity's manager. Someone of another
    entity (or with no entity) gets 404; staff or a member without the role get 403."""
    if user.account_id == account_id or is_si_admin(user) or is_manager_of(user, entity_id):
        return
    if _is_access(user) and (user.is_staff or user.entity_id == entity_id):
        raise forbidden("Réservé à l'administrateur SI et au gestionnaire de l'entité.")
    raise not_found("application")


def check_may_see_entity(user: Principal, entity_id: uuid.UUID) -> None:
    """Members of the entity and staff."""
    if _is_access(user) and user.may_see_entity(entity_id):
        return
    raise not_found("entity")


def applications_scope(user: Principal, entity_id: uuid.UUID | None) -> uuid.UUID | None:
    """The entity whose applications ``user`` may list (None: every entity's, for the SI
    administrator); ``entity_id`` is the one asked for, if any."""
    if is_si_admin(user):
        return entity_id
    if user.has_any("entity_manager") and user.entity_id is not None:
        if entity_id is not None and entity_id != user.entity_id:
            raise not_found("entity")
        return user.entity_id
    raise forbidden("Réservé à l'administrateur SI et aux gestionnaires d'entité.")
