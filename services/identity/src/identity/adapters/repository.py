"""Reading and writing identity's rows within a caller's session (the caller commits):
accounts by e-mail, one-time tokens, throttling hits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from identity.adapters.tables import Account, AccountAudit, OneTimeToken, RefreshToken, ThrottleHit
from identity.domain import onetime
from identity.domain.throttle import Progressive, Rule


def find_by_email(session: Session, email: str) -> Account | None:
    return session.exec(select(Account).where(col(Account.email) == email)).first()


# --- one-time tokens -------------------------------------------------------------


def issue_one_time(session: Session, account: Account, purpose: str, now: datetime) -> tuple[str, datetime]:
    """A new token for ``purpose``; the earlier unused ones of that purpose stop working.
    Returns the secret (for the link, never stored) and its expiry."""
    revoke(session, account.id, purpose)
    secret, digest = onetime.new_token()
    expires_at = now + onetime.TTL[purpose]
    session.add(OneTimeToken(account_id=account.id, purpose=purpose, token_hash=digest, created_at=now, expires_at=expires_at))
    return secret, expires_at


def revoke(session: Session, account_id: uuid.UUID, *purposes: str) -> None:
    session.execute(
        sa.delete(OneTimeToken).where(
            col(OneTimeToken.account_id) == account_id,
            col(OneTimeToken.purpose).in_(purposes),
            col(OneTimeToken.used_at).is_(None),
        )
    )


def consume(session: Session, secret: str, allowed: tuple[str, ...], now: datetime) -> tuple[OneTimeToken, Account]:
    """Mark the token used and return it with its account, or raise ``TokenRejected``.

    The use is one conditional update (``… SET used_at = now WHERE id = … AND used_at IS
    NULL``): of two uses at once, whatever the database and its locks, one changes the
    row and the other finds it used (``token_used``)."""
    digest = onetime.hash_token(secret or "")
    token = session.exec(select(OneTimeToken).where(col(OneTimeToken.token_hash) == digest)).first()
    onetime.check_usable(
        found=token is not None,
        purpose=token.purpose if token else None,
        allowed=allowed,
        used_at=token.used_at if token else None,
        expires_at=token.expires_at if token else None,
        now=now,
    )
    assert token is not None
    claimed = session.execute(
        sa.update(OneTimeToken)
        .where(col(OneTimeToken.id) == token.id, col(OneTimeToken.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not isinstance(claimed, sa.CursorResult) or claimed.rowcount != 1:
        raise onetime.TokenRejected("token_used")
    set_committed_value(token, "used_at", now)
    account = session.get(Account, token.account_id, with_for_update=True)
    if account is None:  # pragma: no cover - foreign key
        raise onetime.TokenRejected("token_invalid")
    return token, account


# --- throttling -------------------------------------------------------------------


def retry_after(session: Session, key: str, rule: Rule | Progressive, now: datetime) -> int | None:
    hits = session.exec(select(ThrottleHit.at).where(col(ThrottleHit.key) == key, col(ThrottleHit.at) > rule.since(now))).all()
    return rule.retry_after(hits, now)


def hit(session: Session, key: str, rule: Rule | Progressive, now: datetime) -> None:
    """Count one attempt, and forget the ones that left the window."""
    session.execute(sa.delete(ThrottleHit).where(col(ThrottleHit.key) == key, col(ThrottleHit.at) <= rule.since(now)))
    session.add(ThrottleHit(key=key, at=now))


def clear(session: Session, key: str) -> None:
    session.execute(sa.delete(ThrottleHit).where(col(ThrottleHit.key) == key))


def clear_prefix(session: Session, prefix: str) -> None:
    session.execute(sa.delete(ThrottleHit).where(col(ThrottleHit.key).startswith(prefix, autoescape=True)))


def remember(session: Session, key: str, now: datetime) -> None:
    """One mark under ``key`` (the newest only): a known address."""
    clear(session, key)
    session.add(ThrottleHit(key=key, at=now))


def remembered_since(session: Session, key: str, since: datetime) -> bool:
    return session.exec(select(ThrottleHit.id).where(col(ThrottleHit.key) == key, col(ThrottleHit.at) > since)).first() is not None


def forget_hits_before(session: Session, moment: datetime, *, keep_prefix: str = "", keep_until: datetime | None = None) -> None:
    """Forget the hits older than ``moment``; those under ``keep_prefix`` only once older than ``keep_until``."""
    if not keep_prefix or keep_until is None:
        session.execute(sa.delete(ThrottleHit).where(col(ThrottleHit.at) < moment))
        return
    kept = col(ThrottleHit.key).startswith(keep_prefix, autoescape=True)
    session.execute(sa.delete(ThrottleHit).where(col(ThrottleHit.at) < moment, sa.not_(kept)))
    session.execute(sa.delete(ThrottleHit).where(col(ThrottleHit.at) < keep_until, kept))


# --- refresh tokens (sessions) and the account audit ----------------------------------


def add_refresh(
    session: Session, account_id: uuid.UUID, family_id: uuid.UUID, now: datetime, idle: timedelta, family_expires_at: datetime
) -> str:
    """A new refresh token of ``family_id``; returns its secret (never stored)."""
    secret, digest = onetime.new_token()
    session.add(
        RefreshToken(
            family_id=family_id,
            account_id=account_id,
            token_hash=digest,
            created_at=now,
            expires_at=min(now + idle, family_expires_at),
            family_expires_at=family_expires_at,
        )
    )
    return secret


def find_refresh(session: Session, secret: str) -> RefreshToken | None:
    return session.exec(select(RefreshToken).where(col(RefreshToken.token_hash) == onetime.hash_token(secret))).first()


def claim_refresh(session: Session, token: RefreshToken, now: datetime) -> bool:
    """Mark the token used: one conditional update, so of two uses at once one wins and
    the other is a reuse."""
    claimed = session.execute(
        sa.update(RefreshToken)
        .where(col(RefreshToken.id) == token.id, col(RefreshToken.used_at).is_(None), col(RefreshToken.revoked_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return isinstance(claimed, sa.CursorResult) and claimed.rowcount == 1


def revoke_refresh(
    session: Session, now: datetime, reason: str, *, account_id: uuid.UUID | None = None, family_id: uuid.UUID | None = None
) -> int:
    """Revoke the live refresh tokens of an account or of a family; how many."""
    where: list[sa.ColumnElement[bool]] = [col(RefreshToken.revoked_at).is_(None)]
    if account_id is not None:
        where.append(col(RefreshToken.account_id) == account_id)
    if family_id is not None:
        where.append(col(RefreshToken.family_id) == family_id)
    done = session.execute(
        sa.update(RefreshToken).where(*where).values(revoked_at=now, revoked_reason=reason).execution_options(synchronize_session=False)
    )
    return done.rowcount if isinstance(done, sa.CursorResult) else 0


def forget_refresh_before(session: Session, moment: datetime) -> None:
    """Refresh tokens whose family ended before ``moment`` are of no use any more."""
    session.execute(sa.delete(RefreshToken).where(col(RefreshToken.family_expires_at) < moment))


def audit(session: Session, account_id: uuid.UUID, actor_id: uuid.UUID | None, action: str, now: datetime, **details: Any) -> None:
    session.add(AccountAudit(account_id=account_id, actor_id=actor_id, action=action, details=details, at=now))
