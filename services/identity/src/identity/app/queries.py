"""Identity's read side: what the API shows, read in a short session of its own."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from certreg_runtime.auth import Principal
from certreg_runtime.errors import field_error, invalid, not_found
from identity.adapters.tables import Account, AccountAudit
from identity.api import schemas
from identity.api.views import account_view, member_view, request_view, staff_member
from identity.app.deps import IdentityDeps
from identity.domain.accounts import ACTIVE, DECIDED, DISABLED, PENDING_VALIDATION, REMOVED, STAFF_ROLES, STATUSES, FieldErrors, Scope

# ``GET /staff?status=all``: every back-office account, whatever its status.
ALL = "all"


def jwks(deps: IdentityDeps) -> dict[str, Any]:
    return deps.keys()


def me(deps: IdentityDeps, user: Principal) -> schemas.Me:
    with deps.reads() as uow:
        account = uow.session.get(Account, user.account_id)
        if account is None:
            raise not_found("account")
        return account_view(schemas.Me, account)


def account_requests(deps: IdentityDeps, user: Principal, limit: int, offset: int, decided: bool = False) -> schemas.AccountRequests:
    """The requests waiting for ``user``'s decision (their scope), oldest application
    first; with ``decided``, the archive of the requests decided in their scope, newest
    decision first."""
    scope = Scope.of(user)
    clauses: list[sa.ColumnElement[bool]] = []
    if scope.si_admin:
        clauses.append(col(Account.new_entity).is_(True))
        if decided:  # an orphaned entity's requests the SI administrator decided
            clauses.append(sa.and_(col(Account.new_entity).is_(False), col(Account.decided_by) == user.account_id))
        else:
            clauses.append(sa.and_(col(Account.new_entity).is_(False), ~_manager_exists(col(Account.entity_id))))
    if scope.manager_of:
        clauses.append(sa.and_(col(Account.new_entity).is_(False), col(Account.entity_id) == uuid.UUID(scope.manager_of)))
    if not clauses:
        return schemas.AccountRequests(items=[], total=0, limit=limit, offset=offset)
    state = (
        sa.and_(col(Account.status).in_(DECIDED), col(Account.decided_at).is_not(None))
        if decided
        else col(Account.status) == PENDING_VALIDATION
    )
    where = sa.and_(state, col(Account.is_staff).is_(False), col(Account.entity_id).is_not(None), sa.or_(*clauses))
    order = (col(Account.decided_at).desc(), col(Account.id)) if decided else (col(Account.application_submitted_at), col(Account.id))
    with deps.uow() as uow:
        total = uow.session.exec(select(func.count()).select_from(Account).where(where)).one()
        rows = uow.session.exec(select(Account).where(where).order_by(*order).offset(offset).limit(limit)).all()
        items = [request_view(a) for a in rows]
        if not user.is_staff:  # the depositor's side sees no agent's id (issue 11, point 12)
            items = [i.model_copy(update={"decided_by": None}) for i in items]
        return schemas.AccountRequests(items=items, total=total, limit=limit, offset=offset)


def entity_members(deps: IdentityDeps, user: Principal, limit: int, offset: int, entity_id: uuid.UUID | None = None) -> schemas.Members:
    """The members of the manager's entity (active, disabled, removed), by name; the SI
    administrator names the entity (``entity_id``)."""
    entity = entity_id if entity_id is not None and user.has_any("si_admin") else user.entity_id
    if entity is None:
        return schemas.Members(items=[], total=0, limit=limit, offset=offset)
    where = [
        col(Account.entity_id) == entity,
        col(Account.is_staff).is_(False),
        col(Account.status).in_((ACTIVE, DISABLED, REMOVED)),
    ]
    with deps.uow() as uow:
        total = uow.session.exec(select(func.count()).select_from(Account).where(*where)).one()
        rows = uow.session.exec(
            select(Account)
            .where(*where)
            .order_by(
                col(Account.status) != ACTIVE, func.lower(col(Account.last_name)), func.lower(col(Account.first_name)), col(Account.id)
            )
            .offset(offset)
            .limit(limit)
        ).all()
        return schemas.Members(items=[member_view(a) for a in rows], total=total, limit=limit, offset=offset)


def account_audit(deps: IdentityDeps, account_id: uuid.UUID) -> schemas.AuditEntries:
    """What was done to an account, newest first (the SI administrator's view)."""
    with deps.uow() as uow:
        if uow.session.get(Account, account_id) is None:
            raise not_found("account")
        rows = uow.session.exec(
            select(AccountAudit)
            .where(AccountAudit.account_id == account_id)
            .order_by(col(AccountAudit.at).desc(), col(AccountAudit.id).desc())
        ).all()
        return schemas.AuditEntries(items=[schemas.AuditEntry.model_validate(r.model_dump()) for r in rows])


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
    if status is not None and status != ALL and status not in STATUSES:
        errors.append(
            field_error("status", f"État inconnu (états possibles : {', '.join(STATUSES)}, {ALL}).", "status_invalid", where="query")
        )
    if errors:
        raise invalid(*errors)
    where: list[sa.ColumnElement[bool]] = [col(Account.is_staff).is_(True)]
    if status != ALL:
        where.append(col(Account.status) == (status or ACTIVE))
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
