"""What identity does, shared by the routes, the event handlers and the admin command.
Functions take a session (or a unit of work) and the time; they never commit."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import quote

import sqlalchemy as sa
from sqlmodel import Session, select

from certreg_contracts.events.identity import AccountValidationRequested
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.settings import Settings
from identity.adapters.tables import Account, OneTimeToken, ThrottleHit
from identity.domain import onetime
from identity.domain.accounts import PENDING_ACTIVATION, PENDING_VALIDATION, validator_for
from identity.domain.throttle import Rule

# The portal pages that read ``token`` from the query.
PAGES = {
    onetime.ACTIVATION: "/activation",
    onetime.PASSWORD_RESET: "/mot-de-passe/reinitialiser",
    onetime.SET_PASSWORD: "/mot-de-passe/definir",
}


def find_by_email(session: Session, email: str) -> Account | None:
    return session.exec(select(Account).where(Account.email == email)).first()


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
            OneTimeToken.account_id == account_id,  # type: ignore[arg-type]
            OneTimeToken.purpose.in_(purposes),  # type: ignore[attr-defined]
            OneTimeToken.used_at.is_(None),  # type: ignore[union-attr]
        )
    )


def consume(session: Session, secret: str, allowed: tuple[str, ...], now: datetime) -> tuple[OneTimeToken, Account]:
    """Mark the token used and return it with its account, or raise ``TokenRejected``.
    The row is locked so that two concurrent uses cannot both succeed."""
    digest = onetime.hash_token(secret or "")
    token = session.exec(select(OneTimeToken).where(OneTimeToken.token_hash == digest).with_for_update()).first()
    onetime.check_usable(
        found=token is not None,
        purpose=token.purpose if token else None,
        allowed=allowed,
        used_at=token.used_at if token else None,
        expires_at=token.expires_at if token else None,
        now=now,
    )
    assert token is not None
    token.used_at = now
    session.add(token)
    account = session.get(Account, token.account_id, with_for_update=True)
    if account is None:  # pragma: no cover - foreign key
        raise onetime.TokenRejected("token_invalid")
    return token, account


def link(settings: Settings, purpose: str, secret: str) -> str:
    return f"{settings.public_url}{PAGES[purpose]}?token={quote(secret)}"


# --- throttling -------------------------------------------------------------------


def retry_after(session: Session, key: str, rule: Rule, now: datetime) -> int | None:
    hits = session.exec(select(ThrottleHit.at).where(ThrottleHit.key == key, ThrottleHit.at > rule.since(now))).all()
    return rule.retry_after(hits, now)


def hit(session: Session, key: str, rule: Rule, now: datetime) -> None:
    """Count one attempt, and forget the ones that left the window."""
    session.execute(sa.delete(ThrottleHit).where(ThrottleHit.key == key, ThrottleHit.at <= rule.since(now)))  # type: ignore[arg-type]
    session.add(ThrottleHit(key=key, at=now))


def clear(session: Session, key: str) -> None:
    session.execute(sa.delete(ThrottleHit).where(ThrottleHit.key == key))  # type: ignore[arg-type]


# --- validation -------------------------------------------------------------------


def awaits_application(account: Account) -> bool:
    """A person's account whose entity application was never submitted (it cannot be
    validated until it is: the person may ask for a new onboarding token)."""
    return not account.is_staff and account.status in (PENDING_ACTIVATION, PENDING_VALIDATION) and account.application_submitted_at is None


def request_validation_if_ready(uow: UnitOfWork, account: Account) -> bool:
    """DESIGN.md step 1.6: once the account is activated AND its entity application
    submitted (whichever comes second), the validator is asked."""
    if account.status != PENDING_VALIDATION or account.entity_id is None or account.new_entity is None:
        return False
    uow.emit(
        AccountValidationRequested(
            account_id=account.id,
            email=account.email,
            first_name=account.first_name,
            last_name=account.last_name,
            entity_id=account.entity_id,
            validator=validator_for(account.new_entity),  # type: ignore[arg-type]
        )
    )
    return True
