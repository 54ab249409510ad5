"""Identity's use cases. Each opens its own unit of work, commits, and returns plain
data; refusals are domain errors (``certreg_runtime.errors``)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from certreg_contracts.events.identity import (
    AccountActivated,
    AccountActivationRequested,
    AccountApproved,
    AccountRegistered,
    AccountRejected,
    AccountRolesChanged,
    AccountUnlockRequested,
    AccountValidationRequested,
    AccountWithdrawn,
    PasswordResetRequested,
    StaffChanged,
    StaffCreated,
)
from certreg_runtime.auth import Principal
from certreg_runtime.errors import Conflict, Forbidden, Rejected, Unauthenticated, conflict, field_error, forbidden, invalid, not_found
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.tokens import issue_token
from identity.adapters import repository as repo
from identity.adapters.tables import Account
from identity.api import schemas
from identity.api.views import request_view
from identity.app import sessions
from identity.app.deps import IdentityDeps
from identity.app.queries import has_active_manager
from identity.domain import onetime, passwords, throttle
from identity.domain.accounts import (
    ACTIVE,
    DISABLED,
    MAX_REASON,
    PENDING_ACTIVATION,
    PENDING_VALIDATION,
    REJECTED,
    REMOVED,
    STAFF_ROLES,
    WITHDRAWN,
    WITHDRAWN_DOMAIN,
    FieldErrors,
    InvalidEmail,
    Scope,
    awaits_application,
    checked_email,
    checked_job_title,
    checked_name,
    checked_phone,
    is_staff_role,
    login_email,
    normalize_email,
    password_errors,
    required_text,
    roles_on_approval,
    unknown_staff_roles,
    validator_for,
)

# The portal pages that read ``token`` from the query.
PAGES = {
    onetime.ACTIVATION: "/activation",
    onetime.PASSWORD_RESET: "/mot-de-passe/reinitialiser",
    onetime.SET_PASSWORD: "/mot-de-passe/definir",
    onetime.UNLOCK: "/connexion/deblocage",
}

RESEND_ANSWER = "Si un compte attend son activation avec cette adresse, un nouveau courriel a été envoyé."
FORGOT_ANSWER = "Si un compte existe avec cette adresse, un courriel de réinitialisation a été envoyé."


# --- account creation and activation -----------------------------------------------


def create_account(deps: IdentityDeps, body: schemas.AccountCreate, client: str) -> schemas.AccountCreated:
    """A person's account, pending activation: the activation link goes by mail
    (``identity.account.registered``), the onboarding token comes back at once.

    An address still pending activation is signed up anew: the pending account is
    withdrawn (its links and onboarding token stop working, its applications are
    withdrawn by entities) and the new one takes its place (issue 11, point 3). Any other
    account of the address is ``email_taken``, whatever its state (point 9)."""
    errors: FieldErrors = []
    email = checked_email(errors, body.email)
    errors += password_errors(body.password, email, "password")
    first_name = checked_name(errors, "first_name", body.first_name, "Le prénom")
    last_name = checked_name(errors, "last_name", body.last_name, "Le nom")
    phone = checked_phone(errors, body.phone)
    job_title = checked_job_title(errors, body.job_title)
    if errors:
        raise invalid(*errors)
    with deps.uow() as uow:
        session, now = uow.session, deps.clock.now()
        counted = {
            f"signup:ip:{client}": throttle.signups_per_client(deps.config.signups_per_client_per_hour),
            f"signup:email:{email}": throttle.SIGNUPS_PER_ADDRESS,
        }
        waits = [w for key, rule in counted.items() if (w := repo.retry_after(session, key, rule, now))]
        if waits:
            raise throttle.too_many_signups(max(waits))
        for key, rule in counted.items():
            repo.hit(session, key, rule, now)
        existing = repo.find_by_email(session, email)
        if existing is not None:
            if existing.is_staff or existing.status != PENDING_ACTIVATION:
                uow.commit()  # the attempt counts
                raise _email_taken()
            _withdraw(uow, existing, now)
        account = Account(
            email=email,
            password_hash=passwords.hash_password(body.password),
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            job_title=job_title,
            status=PENDING_ACTIVATION,
            roles=[],
            created_at=now,
        )
        _add_new(uow, account)
        activation_url, expires_at = _one_time_link(deps, uow, account, onetime.ACTIVATION, now)
        uow.emit(
            AccountRegistered(
                account_id=account.id,
                email=email,
                first_name=first_name,
                last_name=last_name,
                activation_url=activation_url,
                expires_at=expires_at,
            )
        )
        uow.commit()
    onboarding = _onboarding_token(deps, account)
    return schemas.AccountCreated(
        account_id=account.id,
        status=account.status,
        onboarding_token=onboarding.onboarding_token,
        onboarding_expires_in=onboarding.expires_in,
    )


def _withdraw(uow: UnitOfWork, account: Account, now: datetime) -> None:
    """Close a sign-up never activated: its address is freed, its password and unused
    links are gone, and entities learns it (``identity.account.withdrawn``)."""
    account.status = WITHDRAWN
    account.email = f"{account.id}@{WITHDRAWN_DOMAIN}"
    account.password_hash = None
    uow.session.add(account)
    repo.revoke(uow.session, account.id, *onetime.PURPOSES)
    uow.session.flush()  # the address is free before the new account takes it
    uow.emit(AccountWithdrawn(account_id=account.id, withdrawn_at=now))


class _WrongPassword(Exception):
    def __init__(self, email: str) -> None:
        self.email = email


WRONG_ACTIVATION_PASSWORD = (
    "Ce n'est pas le mot de passe choisi à l'inscription. Si vous ne l'avez pas choisi vous-même, ou l'avez oublié, "
    "inscrivez-vous à nouveau avec cette adresse : l'inscription en attente sera remplacée par la vôtre."
)


def _activated(account: Account) -> AccountActivated:
    """The announcement of an activation, with the status the account now has."""
    return AccountActivated(
        account_id=account.id,
        email=account.email,
        first_name=account.first_name,
        last_name=account.last_name,
        entity_id=account.entity_id,
        status=account.status,
    )


def activate(deps: IdentityDeps, token: str, password: str, client: str) -> schemas.ActivationResult:
    """The link proves the mailbox, the password proves the sign-up: both are needed, so
    that following a link never makes usable a password somebody else chose (issue 11,
    point 3). A wrong password leaves the link unused and counts as a failed login."""
    try:
        with deps.uow() as uow:
            now = deps.clock.now()
            _, account = repo.consume(uow.session, token, (onetime.ACTIVATION,), now)
            if account.status != PENDING_ACTIVATION:  # pragma: no cover - tokens are revoked on activation
                raise onetime.TokenRejected("token_used")
            if not password:  # nothing committed: the link stays usable
                raise invalid(field_error("password", "Saisissez le mot de passe choisi à l'inscription.", "missing"))
            wait = repo.retry_after(uow.session, _pair_key(account.email, client), throttle.LOGIN_PAIR, now)
            if wait:
                raise throttle.too_many_attempts(wait)  # nothing committed: the link stays usable
            if not passwords.verify_password(account.password_hash, password):
                raise _WrongPassword(account.email)
            account.status = PENDING_VALIDATION
            account.activated_at = now
            uow.session.add(account)
            repo.clear(uow.session, _pair_key(account.email, client))
            uow.emit(_activated(account))
            request_validation_if_ready(uow, account)
            uow.commit()
            return schemas.ActivationResult(status=account.status)
    except _WrongPassword as wrong:
        with deps.uow() as uow:
            repo.hit(uow.session, _pair_key(wrong.email, client), throttle.LOGIN_PAIR, deps.clock.now())
            uow.commit()
        raise invalid(field_error("password", WRONG_ACTIVATION_PASSWORD, "password_mismatch")) from None


def resend_activation(deps: IdentityDeps, email: str, client: str) -> schemas.Accepted:
    """The same answer whether the address is known or not."""
    with deps.uow() as uow:
        account = _mail_request(deps, uow, "resend", email, client)
        if account is not None and account.status == PENDING_ACTIVATION and not account.is_staff:
            activation_url, expires_at = _one_time_link(deps, uow, account, onetime.ACTIVATION)
            uow.emit(
                AccountActivationRequested(
                    account_id=account.id,
                    email=account.email,
                    first_name=account.first_name,
                    activation_url=activation_url,
                    expires_at=expires_at,
                )
            )
        uow.commit()
    return schemas.Accepted(detail=RESEND_ANSWER)


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
            validator=validator_for(account.new_entity),
        )
    )
    return True


# --- login ----------------------------------------------------------------------------


def log_in(deps: IdentityDeps, username: str, password: str, client: str) -> schemas.AccessToken:
    """OAuth2 password grant (``username`` is the e-mail): an access token for an active
    account; 403 with a ``code`` saying what the account still waits for."""
    return log_in_with_session(deps, username, password, client)[0]


def log_in_with_session(deps: IdentityDeps, username: str, password: str, client: str) -> tuple[schemas.AccessToken, str]:
    """``log_in``, and the first refresh secret of the session it starts (the cookie)."""
    with deps.uow() as uow:
        account = _authenticate(deps, uow, username, password, client)
        if account.status == REJECTED:
            raise _rejected_account()
        if account.status == DISABLED:
            raise _disabled_account()
        if account.status == REMOVED:
            raise Forbidden("Vous ne faites plus partie de votre organisme : ce compte ne donne plus accès au portail.", code="removed")
        if _awaits_application(account):
            raise Forbidden(
                "La déclaration de votre organisme n'a pas été envoyée : reprenez-la pour que votre demande de compte soit examinée.",
                code="application_missing",
            )
        if account.status == PENDING_ACTIVATION:
            raise Forbidden("Votre compte n'est pas encore activé : suivez le lien reçu par courriel.", code="not_activated")
        if account.status == PENDING_VALIDATION:
            raise Forbidden("Votre demande de compte attend sa validation.", code="pending_validation")
        if passwords.needs_rehash(account.password_hash or ""):
            account.password_hash = passwords.hash_password(password)
            uow.session.add(account)
        refresh = sessions.start(deps, uow, account, deps.clock.now())
        uow.commit()
    return sessions.access_token(deps, account), refresh


def renew_onboarding_token(deps: IdentityDeps, username: str, password: str, client: str) -> schemas.OnboardingToken:
    """A new onboarding token, for a person who lost theirs before submitting their
    entity application (same form and throttling as ``log_in``)."""
    with deps.uow() as uow:
        account = _authenticate(deps, uow, username, password, client)
        if account.status == REJECTED:
            raise _rejected_account()
        if not _awaits_application(account):
            raise conflict(
                "La déclaration de votre organisme a déjà été envoyée : connectez-vous une fois votre compte validé.",
                code="application_submitted",
                state=account.status,
            )
        uow.commit()
    return _onboarding_token(deps, account)


# --- passwords ----------------------------------------------------------------------


def forgot_password(deps: IdentityDeps, email: str, client: str) -> schemas.Accepted:
    """The same answer whether the address has an account or not."""
    with deps.uow() as uow:
        account = _mail_request(deps, uow, "forgot", email, client)
        if account is not None and account.status in (ACTIVE, PENDING_VALIDATION) and account.password_hash:
            reset_url, expires_at = _one_time_link(deps, uow, account, onetime.PASSWORD_RESET)
            uow.emit(
                PasswordResetRequested(
                    account_id=account.id,
                    email=account.email,
                    first_name=account.first_name,
                    reset_url=reset_url,
                    expires_at=expires_at,
                )
            )
        uow.commit()
    return schemas.Accepted(detail=FORGOT_ANSWER)


def reset_password(deps: IdentityDeps, token: str, new_password: str) -> None:
    """Consumes a password_reset or a set_password token (staff's first password)."""
    with deps.uow() as uow:
        session, now = uow.session, deps.clock.now()
        token_row, account = repo.consume(session, token, (onetime.PASSWORD_RESET, onetime.SET_PASSWORD), now)
        errors = password_errors(new_password, account.email, "new_password")
        if errors:
            raise invalid(*errors)  # the token stays unused: nothing was committed
        account.password_hash = passwords.hash_password(new_password)
        repo.revoke(session, account.id, onetime.PASSWORD_RESET, onetime.SET_PASSWORD)
        _forget_failures(session, account.email)
        # A new password closes every session (a thief's included); audited.
        sessions.revoke_all(uow, account.id, account.id, sessions.PASSWORD, now)
        if token_row.purpose == onetime.SET_PASSWORD and account.status == PENDING_ACTIVATION:
            account.status = ACTIVE
            account.activated_at = now
            uow.emit(_activated(account))
            if account.is_staff:
                staff_changed(uow, account, now)
        session.add(account)
        uow.commit()


# --- account requests (validation) ------------------------------------------------


def approve(deps: IdentityDeps, user: Principal, account_id: uuid.UUID, reason: str = "") -> schemas.AccountRequest:
    with deps.uow() as uow:
        account = _decidable(uow, user, account_id)
        now = deps.clock.now()
        assert account.entity_id is not None and account.new_entity is not None
        # The first approved of an entity without an active manager becomes its manager
        # (issue 12, point 2).
        roles = roles_on_approval(account.new_entity or not has_active_manager(uow.session, account.entity_id))
        account.status = ACTIVE
        account.roles = list(roles)
        account.decided_by = user.account_id
        account.decided_at = now
        account.decision_reason = (reason or "").strip()[:MAX_REASON] or None
        uow.session.add(account)
        uow.emit(
            AccountApproved(
                account_id=account.id,
                email=account.email,
                first_name=account.first_name,
                last_name=account.last_name,
                entity_id=account.entity_id,
                roles=roles,
                decided_by=user.account_id,
                decided_at=now,
            )
        )
        uow.commit()
        return request_view(account)


def reject(deps: IdentityDeps, user: Principal, account_id: uuid.UUID, reason: str) -> schemas.AccountRequest:
    errors: FieldErrors = []
    reason = required_text(errors, "reason", reason, "Le motif du refus", max_length=MAX_REASON)
    if errors:
        raise invalid(*errors)
    with deps.uow() as uow:
        account = _decidable(uow, user, account_id)
        now = deps.clock.now()
        account.status = REJECTED
        account.decided_by = user.account_id
        account.decided_at = now
        account.decision_reason = reason
        uow.session.add(account)
        uow.emit(
            AccountRejected(
                account_id=account.id,
                email=account.email,
                first_name=account.first_name,
                entity_id=account.entity_id,
                reason=reason,
                decided_by=user.account_id,
                decided_at=now,
            )
        )
        uow.commit()
        return request_view(account)


# --- offboarding (issue 11, point 8) -----------------------------------------------


def set_disabled(deps: IdentityDeps, user: Principal, account_id: uuid.UUID, disabled: bool) -> schemas.AccountRequest:
    """The SI administrator disables an active account (no token is issued to it any
    more, its pending reset links die; a token already issued lives out its
    ``CERTREG_ACCESS_TOKEN_TTL_SECONDS`` at most) or enables it again."""
    with deps.uow() as uow:
        account = uow.session.get(Account, account_id, with_for_update=True)
        if account is None:
            raise not_found("account")
        if account.id == user.account_id:
            raise conflict("Vous ne pouvez pas désactiver votre propre compte.", code="own_account", state=account.status)
        return _set_disabled(deps, uow, account, disabled, user.account_id)


def set_disabled_by_email(deps: IdentityDeps, email: str, disabled: bool) -> schemas.AccountRequest:
    """``certreg admin disable|enable --email``: the same, for the operator."""
    with deps.uow() as uow:
        account = repo.find_by_email(uow.session, login_email(email))
        if account is None:
            raise not_found(f"Aucun compte avec l'adresse {login_email(email)}.")
        return _set_disabled(deps, uow, account, disabled)


def _set_disabled(
    deps: IdentityDeps, uow: UnitOfWork, account: Account, disabled: bool, actor: uuid.UUID | None = None
) -> schemas.AccountRequest:
    expected = ACTIVE if disabled else DISABLED
    if account.status != expected:
        raise conflict(f"Ce compte est dans l'état « {account.status} ».", code="illegal_transition", state=account.status)
    now = deps.clock.now()
    account.status = DISABLED if disabled else ACTIVE
    uow.session.add(account)
    repo.audit(uow.session, account.id, actor, "disabled" if disabled else "enabled", now)
    if disabled:
        repo.revoke(uow.session, account.id, onetime.PASSWORD_RESET, onetime.SET_PASSWORD)
        sessions.revoke_all(uow, account.id, actor, sessions.DISABLED, now)
    if account.is_staff:
        staff_changed(uow, account, now)
    uow.commit()
    return request_view(account)


# --- staff ---------------------------------------------------------------------------


def create_staff(deps: IdentityDeps, body: schemas.StaffCreate) -> schemas.StaffCreated:
    """A back-office account without a password: the set-password link goes by mail
    (``identity.staff.created``); the account is active once the password is chosen."""
    errors: FieldErrors = []
    email = checked_email(errors, body.email)
    first_name = required_text(errors, "first_name", body.first_name, "Le prénom")
    last_name = required_text(errors, "last_name", body.last_name, "Le nom")
    chosen = sorted(set(body.roles))
    unknown = unknown_staff_roles(chosen)
    if not chosen:
        errors.append(field_error("roles", "Choisissez au moins un rôle.", "missing"))
    elif unknown:
        errors.append(
            field_error("roles", f"Rôle inconnu : {', '.join(unknown)} (rôles possibles : {', '.join(STAFF_ROLES)}).", "role_invalid")
        )
    if errors:
        raise invalid(*errors)
    roles = [r for r in chosen if is_staff_role(r)]
    with deps.uow() as uow:
        if repo.find_by_email(uow.session, email) is not None:
            raise _email_taken()
        now = deps.clock.now()
        account = Account(
            email=email,
            password_hash=None,
            first_name=first_name,
            last_name=last_name,
            status=PENDING_ACTIVATION,
            roles=list(roles),
            is_staff=True,
            created_at=now,
        )
        _add_new(uow, account)
        set_password_url, expires_at = _one_time_link(deps, uow, account, onetime.SET_PASSWORD, now)
        uow.emit(
            StaffCreated(
                account_id=account.id,
                email=email,
                first_name=first_name,
                last_name=last_name,
                roles=roles,
                set_password_url=set_password_url,
                expires_at=expires_at,
            )
        )
        staff_changed(uow, account, now)
        uow.commit()
    return schemas.StaffCreated(account_id=account.id, email=email, status=account.status, roles=list(roles))


def create_active_staff(deps: IdentityDeps, *, email: str, password: str, first_name: str, last_name: str, roles: list[str]) -> uuid.UUID:
    """``certreg admin create``: an active back-office account with its password (the
    bootstrap of the first SI administrator). Emits ``identity.account.roles_changed``
    so that the notifier's directory learns the staff member. Refusals are worded for
    the operator."""
    try:
        address = normalize_email(email)
    except InvalidEmail as exc:
        raise Rejected(str(exc), code="email_invalid") from None
    failures = passwords.check_password(password, address)
    if failures:
        raise Rejected("Mot de passe refusé : " + " ".join(f.message for f in failures), code="password_invalid")
    chosen = sorted(set(roles))
    unknown = unknown_staff_roles(chosen)
    if not chosen or unknown:
        raise Rejected(
            f"Rôle(s) refusé(s) : {', '.join(unknown) or 'aucun'} ; rôles possibles : {', '.join(STAFF_ROLES)}.", code="role_invalid"
        )
    if not first_name.strip() or not last_name.strip():
        raise Rejected("Le prénom et le nom sont obligatoires.", code="missing")
    staff_roles = [r for r in chosen if is_staff_role(r)]
    taken = conflict(f"Un compte existe déjà avec l'adresse {address}.", code="email_taken")
    with deps.uow() as uow:
        if repo.find_by_email(uow.session, address) is not None:
            raise taken
        now = deps.clock.now()
        account = Account(
            email=address,
            password_hash=passwords.hash_password(password),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            status=ACTIVE,
            roles=list(staff_roles),
            is_staff=True,
            created_at=now,
            activated_at=now,
        )
        _add_new(uow, account, taken)
        uow.emit(AccountRolesChanged(account_id=account.id, email=address, entity_id=None, roles=staff_roles))
        staff_changed(uow, account, now)
        uow.commit()
        return account.id


# --- shared steps -------------------------------------------------------------------


def staff_changed(uow: UnitOfWork, account: Account, now: datetime, *, backfill: bool = False) -> None:
    """Tell the other services what a back-office account is now (``identity.staff.changed``):
    call it in the transaction of every change of a staff account's roles or status."""
    uow.emit(
        StaffChanged(
            account_id=account.id,
            roles=[r for r in account.roles if is_staff_role(r)],
            active=account.status == ACTIVE,
            as_of=now,
            backfill=backfill,
            first_name=account.first_name,
            last_name=account.last_name,
        )
    )


def announce_staff(deps: IdentityDeps) -> int:
    """At start: every back-office account, as a backfill (a consumer that already knows an
    account keeps what it knows). How many were announced."""
    with deps.uow() as uow:
        now = deps.clock.now()
        accounts = uow.session.exec(select(Account).where(col(Account.is_staff).is_(True))).all()
        for account in accounts:
            staff_changed(uow, account, now, backfill=True)
        uow.commit()
        return len(accounts)


def _pair_key(email: str, client: str) -> str:
    return f"login:pair:{email}|{client}"


def _known_key(email: str, client: str) -> str:
    return f"{throttle.KNOWN_PREFIX}{email}|{client}"


def _forget_failures(session: Session, email: str) -> None:
    """After the owner proved the mailbox (a new password): the account's failures go."""
    repo.clear(session, f"login:email:{email}")
    repo.clear_prefix(session, f"login:pair:{email}|")


def _authenticate(deps: IdentityDeps, uow: UnitOfWork, username: str, password: str, client: str) -> Account:
    """The account of a password form, whatever its status, under the login policy
    (docs/SECURITY.md, "Throttling and lock-out policy"):

    - the pair (e-mail, client address): 3 failures free, then a delay doubling from
      2 s up to 15 minutes before the next try (429 ``too_many_attempts``);
    - the client address, whatever the e-mail: 30 failures in 15 minutes;
    - the e-mail, whatever the address: past 10 failures in 15 minutes the account is
      locked for the addresses it was never used from (429 ``account_locked``, the same
      whether the account exists or not) and its owner is sent an unlock link.

    A wrong password counts against all three (committed before the refusal). On
    success, the pair's failures are forgotten and the address is known to the account
    for 30 days (the lock never applies to it)."""
    errors: FieldErrors = []
    if not username.strip():
        errors.append(field_error("username", "L'adresse électronique est obligatoire.", "missing"))
    if not password:
        errors.append(field_error("password", "Le mot de passe est obligatoire.", "missing"))
    if errors:
        raise invalid(*errors)
    session, now = uow.session, deps.clock.now()
    email = login_email(username)
    counted: list[tuple[str, throttle.Rule | throttle.Progressive]] = [
        (_pair_key(email, client), throttle.LOGIN_PAIR),
        (f"login:ip:{client}", throttle.LOGIN_ADDRESS),
    ]
    waits = [w for key, rule in counted if (w := repo.retry_after(session, key, rule, now))]
    if waits:
        raise throttle.too_many_attempts(max(waits))
    account_key = f"login:email:{email}"
    locked = repo.retry_after(session, account_key, throttle.LOGIN_ACCOUNT, now)
    if locked and not repo.remembered_since(session, _known_key(email, client), now - throttle.KNOWN_ADDRESS):
        _send_unlock(deps, uow, email, now)
        uow.commit()
        raise throttle.account_locked(locked)
    account = repo.find_by_email(session, email)
    if not passwords.verify_password(account.password_hash if account else None, password):
        for key, rule in [*counted, (account_key, throttle.LOGIN_ACCOUNT)]:
            repo.hit(session, key, rule, now)
        uow.commit()
        raise Unauthenticated("Adresse électronique ou mot de passe incorrect.", code="invalid_credentials")
    assert account is not None and account.password_hash is not None
    repo.clear(session, _pair_key(email, client))
    repo.remember(session, _known_key(email, client), now)
    return account


def _send_unlock(deps: IdentityDeps, uow: UnitOfWork, email: str, now: datetime) -> None:
    """The unlock link to the owner of a locked account (at most one per 15 minutes)."""
    account = repo.find_by_email(uow.session, email)
    key = f"unlock:email:{email}"
    if account is None or account.password_hash is None or repo.retry_after(uow.session, key, throttle.UNLOCK_MAILS, now):
        return
    repo.hit(uow.session, key, throttle.UNLOCK_MAILS, now)
    unlock_url, expires_at = _one_time_link(deps, uow, account, onetime.UNLOCK, now)
    uow.emit(
        AccountUnlockRequested(
            account_id=account.id, email=account.email, first_name=account.first_name, unlock_url=unlock_url, expires_at=expires_at
        )
    )


def unlock(deps: IdentityDeps, token: str, client: str) -> None:
    """The unlock link, opened on the device that wants to log in: its address becomes
    known to the account (the lock no longer applies to it) and its failures are forgotten."""
    with deps.uow() as uow:
        session, now = uow.session, deps.clock.now()
        _, account = repo.consume(session, token, (onetime.UNLOCK,), now)
        repo.clear(session, _pair_key(account.email, client))
        repo.remember(session, _known_key(account.email, client), now)
        uow.commit()


def _awaits_application(account: Account) -> bool:
    return awaits_application(is_staff=account.is_staff, status=account.status, application_submitted_at=account.application_submitted_at)


def _disabled_account() -> Forbidden:
    return Forbidden("Ce compte a été désactivé. Adressez-vous à l'administrateur de la plateforme.", code="disabled")


def _rejected_account() -> Forbidden:
    return Forbidden("Votre demande de compte a été refusée.", code="rejected")


def _mail_request(deps: IdentityDeps, uow: UnitOfWork, kind: str, raw_email: str, client: str) -> Account | None:
    """The account a mail is asked for (resend, forgot), counted against the address
    and the client; None when the address is malformed or either count is spent."""
    try:
        email = normalize_email(raw_email)
    except InvalidEmail:
        return None
    session, now = uow.session, deps.clock.now()
    keys = {f"{kind}:email:{email}": throttle.MAILS_PER_ADDRESS, f"mail:ip:{client}": throttle.MAIL_REQUESTS_PER_CLIENT}
    if any(repo.retry_after(session, k, rule, now) for k, rule in keys.items()):
        return None
    for k, rule in keys.items():
        repo.hit(session, k, rule, now)
    return repo.find_by_email(session, email)


def _decidable(uow: UnitOfWork, user: Principal, account_id: uuid.UUID) -> Account:
    """The request ``user`` may decide, locked: another entity's is not found, si_admin
    on a request to join an entity is forbidden, a decided one is a conflict."""
    account = uow.session.get(Account, account_id, with_for_update=True)
    if account is None or account.is_staff:
        raise not_found("account request")
    scope = Scope.of(user)
    orphaned = account.new_entity is False and account.entity_id is not None and not has_active_manager(uow.session, account.entity_id)
    covered = scope.covers(new_entity=account.new_entity, entity_id=str(account.entity_id) if account.entity_id else None)
    if not covered and not (scope.si_admin and orphaned):
        if scope.si_admin:
            raise forbidden("Cette demande est validée par le gestionnaire de son entité.")
        raise not_found("account request")
    if account.status != PENDING_VALIDATION:
        raise conflict(
            f"Cette demande n'attend pas de validation (état : {account.status}).", code="not_pending_validation", state=account.status
        )
    if account.new_entity and account.siret and _siret_verified(uow, account):
        raise conflict(
            f"Une autre demande pour le SIRET {account.siret} a déjà été acceptée : "
            "cette demande devient une demande de rattachement à l'entité vérifiée, que son gestionnaire examinera.",
            code="siret_already_verified",
            state=account.status,
        )
    return account


def _siret_verified(uow: UnitOfWork, account: Account) -> bool:
    """Another account was approved as the first of a new entity with this SIRET (its
    entity is verified; entities is about to move this competing request onto it)."""
    other = uow.session.exec(
        select(Account.id).where(
            Account.siret == account.siret,
            col(Account.new_entity).is_(True),
            col(Account.status).in_((ACTIVE, DISABLED, REMOVED)),
            Account.id != account.id,
        )
    ).first()
    return other is not None


def _email_taken() -> Conflict:
    return conflict(
        "Cette adresse ne peut pas être inscrite : si vous avez déjà un compte, connectez-vous ou demandez un nouveau mot de passe ; "
        "si vous attendez le courriel d'activation, demandez-le à nouveau.",
        code="email_taken",
    )


def _add_new(uow: UnitOfWork, account: Account, taken: Conflict | None = None) -> None:
    """Insert the account; the unique e-mail settles a race with another creation."""
    uow.session.add(account)
    try:
        uow.session.flush()
    except IntegrityError:
        raise taken or _email_taken() from None


def _one_time_link(
    deps: IdentityDeps, uow: UnitOfWork, account: Account, purpose: str, now: datetime | None = None
) -> tuple[str, datetime]:
    """A new one-time token for ``purpose`` as the portal link that carries it, and its expiry."""
    secret, expires_at = repo.issue_one_time(uow.session, account, purpose, now or deps.clock.now())
    return f"{deps.settings.public_url}{PAGES[purpose]}?token={quote(secret)}", expires_at


def _token(
    deps: IdentityDeps, account: Account, scope: str, ttl: timedelta, *, roles: list[str] | None = None, entity_id: uuid.UUID | None = None
) -> str:
    """A token signed with identity's key, on the real time (the verifiers check
    ``exp``/``iat`` against it), not the service's clock."""
    return issue_token(
        deps.keys.signing_key(),
        subject=account.id,
        issuer=deps.settings.jwt_issuer,
        audience=deps.settings.jwt_audience,
        ttl=ttl,
        scope=scope,
        email=account.email,
        name=account.name,
        roles=roles or (),
        entity_id=entity_id,
    )


def _onboarding_token(deps: IdentityDeps, account: Account) -> schemas.OnboardingToken:
    """The token that alone authorises the account's entity application."""
    ttl = deps.config.onboarding_token_ttl_seconds
    return schemas.OnboardingToken(onboarding_token=_token(deps, account, "onboarding", timedelta(seconds=ttl)), expires_in=ttl)
