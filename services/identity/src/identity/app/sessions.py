"""Sessions: the refresh token behind the access token (docs/SECURITY.md, "Sessions").

A login starts a *family* of refresh tokens. ``POST /token/refresh`` uses one: it is
marked used and the next of its family is issued with a new access token built from the
account as it is *now* (roles, entity), so a role taken away or a member removed drops
out at the next renewal. A used token presented again means it was copied: the family is
revoked (the thief's copy and the owner's current token alike) and audited. A family
lives ``CERTREG_SESSION_ABSOLUTE_SECONDS`` from the login and ends after
``CERTREG_SESSION_IDLE_SECONDS`` without a renewal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from certreg_runtime.errors import Unauthenticated
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.tokens import issue_token
from identity.adapters import repository as repo
from identity.adapters.tables import Account
from identity.api import schemas
from identity.app.deps import IdentityDeps
from identity.domain.accounts import ACTIVE

COOKIE = "certreg_refresh"
COOKIE_PATH = "/api/identity"

# Why a session's revocation was asked (refresh_tokens.revoked_reason, the audit entry).
LOGOUT = "logout"
REUSE = "refresh_reused"
DISABLED = "account_disabled"
PASSWORD = "password_reset"
ROLES = "roles_changed"
REMOVED = "removed_from_entity"


@dataclass(frozen=True)
class Renewed:
    access: schemas.AccessToken
    refresh: str  # the next secret, for the cookie


class _Reused(Exception):
    def __init__(self, token_id: uuid.UUID, family_id: uuid.UUID, account_id: uuid.UUID) -> None:
        self.token_id, self.family_id, self.account_id = token_id, family_id, account_id


def start(deps: IdentityDeps, uow: UnitOfWork, account: Account, now: datetime) -> str:
    """A new family for a login; the first refresh secret (in the caller's transaction)."""
    config = deps.config
    return repo.add_refresh(
        uow.session,
        account.id,
        uuid.uuid4(),
        now,
        timedelta(seconds=config.session_idle_seconds),
        now + timedelta(seconds=config.session_absolute_seconds),
    )


def access_token(deps: IdentityDeps, account: Account) -> schemas.AccessToken:
    """An access token for the account as it is now (its roles, its entity), signed with
    identity's key on the real time (the verifiers check ``exp``/``iat`` against it)."""
    ttl = deps.config.access_token_ttl_seconds
    token = issue_token(
        deps.keys.signing_key(),
        subject=account.id,
        issuer=deps.settings.jwt_issuer,
        audience=deps.settings.jwt_audience,
        ttl=timedelta(seconds=ttl),
        email=account.email,
        name=account.name,
        roles=account.roles,
        entity_id=account.entity_id,
    )
    return schemas.AccessToken(access_token=token, token_type="bearer", expires_in=ttl)


def refresh(deps: IdentityDeps, secret: str) -> Renewed:
    """Use a refresh secret: a new access token and the next secret, or 401."""
    try:
        with deps.uow() as uow:
            session, now = uow.session, deps.clock.now()
            token = repo.find_refresh(session, secret) if secret else None
            if token is None:
                raise _ended("Votre session n'est plus valide : reconnectez-vous.", "refresh_invalid")
            if token.revoked_at is not None:
                raise _ended("Votre session a été fermée : reconnectez-vous.", "session_revoked")
            if token.used_at is not None or not repo.claim_refresh(session, token, now):
                raise _Reused(token.id, token.family_id, token.account_id)
            if now >= token.expires_at or now >= token.family_expires_at:
                uow.commit()
                raise _ended("Votre session a expiré : reconnectez-vous.", "session_expired")
            account = session.get(Account, token.account_id)
            if account is None or account.status != ACTIVE:
                repo.revoke_refresh(session, now, "account_inactive", family_id=token.family_id)
                uow.commit()
                raise _ended("Votre session a été fermée : reconnectez-vous.", "session_revoked")
            following = repo.add_refresh(
                session,
                account.id,
                token.family_id,
                now,
                timedelta(seconds=deps.config.session_idle_seconds),
                token.family_expires_at,
            )
            uow.commit()
    except _Reused as reused:
        with deps.uow() as uow:
            now = deps.clock.now()
            count = repo.revoke_refresh(uow.session, now, REUSE, family_id=reused.family_id)
            repo.audit(
                uow.session, reused.account_id, None, "sessions_revoked", now, reason=REUSE, family=str(reused.family_id), revoked=count
            )
            uow.commit()
        raise _ended("Votre session a été fermée par précaution : reconnectez-vous.", "refresh_reused") from None
    return Renewed(access=access_token(deps, account), refresh=following)


def end(deps: IdentityDeps, secret: str) -> None:
    """Logging out: the cookie's family is revoked (nothing to say if it is unknown)."""
    if not secret:
        return
    with deps.uow() as uow:
        token = repo.find_refresh(uow.session, secret)
        if token is not None:
            repo.revoke_refresh(uow.session, deps.clock.now(), LOGOUT, family_id=token.family_id)
            uow.commit()


def revoke_all(uow: UnitOfWork, account_id: uuid.UUID, actor_id: uuid.UUID | None, reason: str, now: datetime) -> int:
    """Every live refresh token of the account, in the caller's transaction, audited.
    The access tokens already issued live out their lifetime (at most
    ``CERTREG_ACCESS_TOKEN_TTL_SECONDS``): no service asks identity about them."""
    count = repo.revoke_refresh(uow.session, now, reason, account_id=account_id)
    repo.audit(uow.session, account_id, actor_id, "sessions_revoked", now, reason=reason, revoked=count)
    return count


def _ended(detail: str, code: str) -> Unauthenticated:
    return Unauthenticated(detail, code=code)
