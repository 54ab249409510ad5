"""Offboarding and the accounts' lifecycle after validation (issue 11, point 8; issue 13,
point 11): a staff member's roles changed, an invitation sent again, a member removed
from its entity, the management of an entity handed over.

Each change that takes a right away revokes the account's sessions (its refresh tokens:
``sessions.revoke_all``), so no new access token carries the right; one already issued
lives out its ``CERTREG_ACCESS_TOKEN_TTL_SECONDS`` at most. Each is audited
(``account_audit``)."""

from __future__ import annotations

import uuid

from sqlmodel import col, select

from certreg_contracts.events.identity import AccountRolesChanged, StaffCreated
from certreg_contracts.types import Role
from certreg_runtime.auth import Principal
from certreg_runtime.errors import conflict, field_error, invalid, not_found
from certreg_runtime.messaging import UnitOfWork
from identity.adapters import repository as repo
from identity.adapters.tables import Account
from identity.api import schemas
from identity.api.views import member_view, staff_member
from identity.app import sessions
from identity.app.commands import _one_time_link, staff_changed
from identity.app.deps import IdentityDeps
from identity.domain import onetime
from identity.domain.accounts import ACTIVE, DISABLED, PENDING_ACTIVATION, REMOVED, STAFF_ROLES, is_staff_role, unknown_staff_roles

MEMBER_ROLES: tuple[Role, ...] = ("depositor", "entity_manager")


def _staff_account(uow: UnitOfWork, account_id: uuid.UUID) -> Account:
    account = uow.session.get(Account, account_id, with_for_update=True)
    if account is None or not account.is_staff:
        raise not_found("account")
    return account


def change_staff_roles(deps: IdentityDeps, user: Principal, account_id: uuid.UUID, roles: list[str]) -> schemas.StaffMember:
    """The SI administrator sets a back-office account's roles (the full new set)."""
    chosen = sorted(set(roles))
    unknown = unknown_staff_roles(chosen)
    if not chosen:
        raise invalid(field_error("roles", "Choisissez au moins un rôle.", "missing"))
    if unknown:
        raise invalid(
            field_error("roles", f"Rôle inconnu : {', '.join(unknown)} (rôles possibles : {', '.join(STAFF_ROLES)}).", "role_invalid")
        )
    new_roles = [r for r in chosen if is_staff_role(r)]
    with deps.uow() as uow:
        account = _staff_account(uow, account_id)
        if account.id == user.account_id:
            raise conflict("Vous ne pouvez pas changer vos propres rôles.", code="own_account", state=account.status)
        before = sorted(account.roles)
        if before == new_roles:
            return staff_member(account)
        now = deps.clock.now()
        account.roles = list(new_roles)
        uow.session.add(account)
        repo.audit(uow.session, account.id, user.account_id, "roles_changed", now, before=before, after=new_roles)
        sessions.revoke_all(uow, account.id, user.account_id, sessions.ROLES, now)
        uow.emit(AccountRolesChanged(account_id=account.id, email=account.email, entity_id=None, roles=new_roles))
        staff_changed(uow, account, now)
        uow.commit()
        return staff_member(account)


def resend_invitation(deps: IdentityDeps, user: Principal, account_id: uuid.UUID) -> schemas.StaffMember:
    """A new set-password link for a back-office account that never chose its password
    (the earlier link stops working)."""
    with deps.uow() as uow:
        account = _staff_account(uow, account_id)
        if account.status != PENDING_ACTIVATION:
            raise conflict(
                "Ce compte a déjà choisi son mot de passe : l'invitation n'a plus lieu d'être.",
                code="invitation_used",
                state=account.status,
            )
        now = deps.clock.now()
        url, expires_at = _one_time_link(deps, uow, account, onetime.SET_PASSWORD, now)
        roles = [r for r in account.roles if is_staff_role(r)]
        uow.emit(
            StaffCreated(
                account_id=account.id,
                email=account.email,
                first_name=account.first_name,
                last_name=account.last_name,
                roles=roles,
                set_password_url=url,
                expires_at=expires_at,
            )
        )
        repo.audit(uow.session, account.id, user.account_id, "invitation_resent", now)
        uow.commit()
        return staff_member(account)


def _member(uow: UnitOfWork, user: Principal, account_id: uuid.UUID) -> Account:
    """A member of ``user``'s entity (the SI administrator: of any entity), locked;
    another entity's is not found."""
    account = uow.session.get(Account, account_id, with_for_update=True)
    if account is None or account.is_staff or account.entity_id is None:
        raise not_found("account")
    if not user.has_any("si_admin") and (user.entity_id is None or account.entity_id != user.entity_id):
        raise not_found("account")
    if account.status not in (ACTIVE, DISABLED, REMOVED):
        raise not_found("account")  # a request, not a member (the account requests decide it)
    return account


def remove_member(deps: IdentityDeps, user: Principal, account_id: uuid.UUID) -> schemas.Member:
    """The entity manager removes a member: it acts for the entity no more. Its sessions
    are revoked (its next renewal is refused), its roles emptied, entities and the
    notifier learn it (``identity.account.roles_changed`` with no role)."""
    with deps.uow() as uow:
        account = _member(uow, user, account_id)
        if account.id == user.account_id:
            raise conflict(
                "Vous ne pouvez pas vous retirer vous-même : transmettez d'abord la gestion à un autre membre.",
                code="own_account",
                state=account.status,
            )
        if account.status == REMOVED:
            raise conflict("Ce membre a déjà été retiré de l'organisme.", code="illegal_transition", state=account.status)
        now = deps.clock.now()
        assert account.entity_id is not None
        before = sorted(account.roles)
        account.status = REMOVED
        account.roles = []
        uow.session.add(account)
        repo.revoke(uow.session, account.id, *onetime.PURPOSES)
        repo.audit(uow.session, account.id, user.account_id, "removed_from_entity", now, entity_id=str(account.entity_id), roles=before)
        sessions.revoke_all(uow, account.id, user.account_id, sessions.REMOVED, now)
        uow.emit(AccountRolesChanged(account_id=account.id, email=account.email, entity_id=account.entity_id, roles=[]))
        uow.commit()
        return member_view(account)


def hand_over(deps: IdentityDeps, user: Principal, account_id: uuid.UUID) -> schemas.Member:
    """The entity manager hands the management over to an active member of the entity
    and becomes a depositor (their next renewal carries the new roles)."""
    with deps.uow() as uow:
        account = _member(uow, user, account_id)
        if account.id == user.account_id:
            raise conflict("Choisissez un autre membre que vous-même.", code="own_account", state=account.status)
        if account.status != ACTIVE:
            raise conflict("Seul un membre actif peut recevoir la gestion de l'organisme.", code="not_active", state=account.status)
        now = deps.clock.now()
        account.roles = list(MEMBER_ROLES)
        uow.session.add(account)
        repo.audit(uow.session, account.id, user.account_id, "manager_handover", now, role="received", entity_id=str(account.entity_id))
        uow.emit(AccountRolesChanged(account_id=account.id, email=account.email, entity_id=account.entity_id, roles=list(MEMBER_ROLES)))
        previous = uow.session.get(Account, user.account_id, with_for_update=True)
        if previous is not None and not previous.is_staff and previous.entity_id == account.entity_id:
            previous.roles = ["depositor"]
            uow.session.add(previous)
            repo.audit(uow.session, previous.id, user.account_id, "manager_handover", now, role="given", to=str(account.id))
            uow.emit(AccountRolesChanged(account_id=previous.id, email=previous.email, entity_id=previous.entity_id, roles=["depositor"]))
        uow.commit()
        return member_view(account)


def appoint_manager(deps: IdentityDeps, user: Principal, entity_id: uuid.UUID, account_id: uuid.UUID, *, transfer: bool) -> schemas.Member:
    """The SI administrator makes an active member of the entity one of its managers; with
    ``transfer``, the entity's other managers become depositors (the management moves to
    that member). Each change is audited (``manager_appointed`` / ``manager_handover``) and
    announced (``identity.account.roles_changed``); it takes effect at each one's next token."""
    with deps.uow() as uow:
        account = uow.session.get(Account, account_id, with_for_update=True)
        if account is None or account.is_staff or account.entity_id != entity_id or account.status not in (ACTIVE, DISABLED, REMOVED):
            raise not_found("account")
        if account.status != ACTIVE:
            raise conflict("Seul un membre actif peut gérer l'organisme.", code="not_active", state=account.status)
        now = deps.clock.now()
        already = "entity_manager" in account.roles
        if already and not transfer:
            raise conflict("Ce membre gère déjà l'organisme.", code="already_manager", state=account.status)
        if not already:
            account.roles = list(MEMBER_ROLES)
            uow.session.add(account)
            action = "manager_handover" if transfer else "manager_appointed"
            repo.audit(uow.session, account.id, user.account_id, action, now, role="received", entity_id=str(entity_id))
            uow.emit(AccountRolesChanged(account_id=account.id, email=account.email, entity_id=entity_id, roles=list(MEMBER_ROLES)))
        if transfer:
            others = uow.session.exec(
                select(Account)
                .where(col(Account.entity_id) == entity_id, col(Account.id) != account.id, col(Account.is_staff).is_(False))
                .with_for_update()
            ).all()
            for other in others:
                if "entity_manager" not in other.roles:
                    continue
                other.roles = ["depositor"]
                uow.session.add(other)
                repo.audit(uow.session, other.id, user.account_id, "manager_handover", now, role="given", to=str(account.id))
                uow.emit(AccountRolesChanged(account_id=other.id, email=other.email, entity_id=entity_id, roles=["depositor"]))
        uow.commit()
        return member_view(account)
