"""Identity's read side: what the API shows, read in a short session of its own."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from certreg_runtime.auth import Principal
from certreg_runtime.errors import field_error, invalid, not_found
from identity.adapters.tables import Account
from identity.api import schemas
from identity.api.views import account_view, request_view, staff_member
from identity.app.deps import IdentityDeps
from identity.domain.accounts import ACTIVE, PENDING_VALIDATION, STAFF_ROLES, STATUSES, FieldErrors, Scope


def jwks(deps: IdentityDeps) -> dict[str, Any]:
    return deps.keys()


def me(deps: IdentityDeps, user: Principal) -> schemas.Me:
    with deps.uow() as uow:
        account = uow.session.get(Account, user.account_id)
        if account is None:
            raise not_found("account")
        return account_view(schemas.Me, account)


def account_requests(deps: IdentityDeps, user: Principal, limit: int, offset: int) -> schemas.AccountRequests:
    """The requests waiting for ``user``'s decision (their scope), oldest application first."""
    scope = Scope.of(user)
    clauses: list[sa.ColumnElement[bool]] = []
    if scope.si_admin:
        clauses.append(col(Account.new_entity).is_(True))
        clauses.append(sa.and_(col(Account.new_entity).is_(False), ~_manager_exists(col(Account.entity_id))))
    if scope.manager_of:
        clauses.append(sa.and_(col(Account.new_entity).is_(False), col(Account.entity_id) == uuid.UUID(scope.manager_of)))
    if not clauses:
        return schemas.AccountRequests(items=[], total=0, limit=limit, offset=offset)
    where = sa.and_(
        col(Account.status) == PENDING_VALIDATION,
        col(Account.entity_id).is_not(None),
        sa.or_(*clauses),
    )
    with deps.uow() as uow:
        total = uow.session.exec(select(func.count()).select_from(Account).where(where)).one()
        rows = uow.session.exec(
            select(Account).where(where).order_by(col(Account.application_submitted_at), col(Account.id)).offset(offset).limit(limit)
        ).all()
        return schemas.AccountRequests(items=[request_view(a) for a in rows], total=total, limit=limit, offset=offset)


def _manager_exists(entity_id: Any) -> sa.ColumnElement[bool]:
    """An active account manages the entity ``entity_id`` (a column or a value)."""
    manager = aliased(Account, name="manager")
    return sa.exists().where(
        col(manager.entity_id) == entity_id,
        col(manager.status) == ACTIVE,
        sa.cast(col(manager.roles), sa.Text).like('%"entity_manager"%'),
    )


def has_active_manager(session: Session, entity_id: uuid.UUID) -> bool:
    """Whether someone may decide the entity's requests; if not, the SI administrator
    does (issue 12, point 2)."""
    return bool(session.execute(sa.select(_manager_exists(entity_id))).scalar())


def list_staff(deps: IdentityDeps, role: str | None, status: str | None, limit: int, offset: int) -> schemas.StaffList:
    """The back-office accounts (e.g. the instructors a case may be assigned to), by
    name; only the active ones unless ``status`` is given."""
    errors: FieldErrors = []
    if role is not None and role not in STAFF_ROLES:
        errors.append(field_error("role", f"Rôle inconnu (rôles possibles : {', '.join(STAFF_ROLES)}).", "role_invalid", where="query"))
    if status is not None and status not in STATUSES:
        errors.append(field_error("status", f"État inconnu (états possibles : {', '.join(STATUSES)}).", "status_invalid", where="query"))
    if errors:
        raise invalid(*errors)
    where = [col(Account.is_staff).is_(True), col(Account.status) == (status or ACTIVE)]
    if role is not None:
        where.append(_has_role(role))
    with deps.uow() as uow:
        total = uow.session.exec(select(func.count()).select_from(Account).where(*where)).one()
        rows = uow.session.exec(
            select(Account)
            .where(*where)
            .order_by(func.lower(col(Account.last_name)), func.lower(col(Account.first_name)), col(Account.id))
            .offset(offset)
            .limit(limit)
        ).all()
        return schemas.StaffList(items=[staff_member(a) for a in rows], total=total, limit=limit, offset=offset)


def _has_role(role: str) -> sa.ColumnElement[bool]:
    """Accounts whose JSON ``roles`` list holds ``role`` (a known role name: no LIKE
    metacharacter), on SQLite and PostgreSQL alike."""
    return sa.cast(col(Account.roles), sa.Text).like(f'%"{role}"%')
