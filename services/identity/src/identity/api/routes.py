"""The identity routes of API.md, mounted under ``/api/identity``."""

from __future__ import annotations

import ipaddress
import re
import uuid
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from certreg_contracts.events.identity import (
    AccountActivated,
    AccountActivationRequested,
    AccountApproved,
    AccountRegistered,
    AccountRejected,
    PasswordResetRequested,
)
from certreg_contracts.events.identity import (
    StaffCreated as StaffCreatedEvent,
)
from certreg_runtime.api import CtxDep, CurrentUser, UowDep, roles
from certreg_runtime.auth import Principal
from certreg_runtime.errors import ApiError, conflict, field_error, forbidden, invalid, not_found
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.service import ServiceContext
from certreg_runtime.tokens import issue_token
from identity import operations as ops
from identity.adapters.keys import KeyRing
from identity.adapters.tables import Account
from identity.api import schemas
from identity.domain import onetime, passwords, throttle
from identity.domain.accounts import (
    ACTIVE,
    PENDING_ACTIVATION,
    PENDING_VALIDATION,
    REJECTED,
    STAFF_ROLES,
    STATUSES,
    InvalidEmail,
    Scope,
    normalize_email,
    roles_on_approval,
)

ONBOARDING_TTL = timedelta(hours=2)
MAX_NAME = 100
PHONE = re.compile(r"^\+?[0-9 .()-]{6,25}$")


ViewT = TypeVar("ViewT", bound=BaseModel)


def keyring(ctx: ServiceContext) -> KeyRing:
    return ctx.extras["keyring"]


def client_ip(request: Request) -> str:
    """The client's address. The gateway appends the address it saw to X-Forwarded-For;
    that (last) value is trusted only when the peer is on a private network."""
    peer = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(peer)
        trusted = address.is_private or address.is_loopback
    except ValueError:
        trusted = False
    if trusted:
        forwarded = request.headers.getlist("x-forwarded-for")
        if forwarded:
            last = forwarded[-1].split(",")[-1].strip()
            if last:
                return last
    return peer or "unknown"


def too_many(seconds: int) -> JSONResponse:
    minutes = max(1, -(-seconds // 60))
    return JSONResponse(
        {"detail": f"Trop de tentatives. Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}.", "code": "too_many_attempts"},
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


def login_key(email: str) -> str:
    return f"login:email:{email}"


def authenticate(request: Request, ctx: ServiceContext, uow: UnitOfWork, username: str, password: str) -> Account | JSONResponse:
    """The account of an OAuth2 password form (``username`` is the e-mail), whatever its
    status; a 429 response while the e-mail or the client address is throttled. A wrong
    password counts against both and is a 401; missing fields are a 422. The caller
    clears the e-mail's failures once it accepts the login."""
    errors: list[dict[str, Any]] = []
    if not username.strip():
        errors.append(field_error("username", "L'adresse électronique est obligatoire.", "missing"))
    if not password:
        errors.append(field_error("password", "Le mot de passe est obligatoire.", "missing"))
    if errors:
        raise invalid(*errors)
    session, now = uow.session, ctx.clock.now()
    try:
        email = normalize_email(username)
    except InvalidEmail:
        email = username.strip().lower()[:300]
    keys = [login_key(email), f"login:ip:{client_ip(request)}"]
    waits = [w for k in keys if (w := ops.retry_after(session, k, throttle.LOGIN_FAILURES, now))]
    if waits:
        return too_many(max(waits))
    account = ops.find_by_email(session, email)
    if not passwords.verify_password(account.password_hash if account else None, password):
        for k in keys:
            ops.hit(session, k, throttle.LOGIN_FAILURES, now)
        uow.commit()
        raise ApiError(401, "Adresse électronique ou mot de passe incorrect.", code="invalid_credentials")
    assert account is not None and account.password_hash is not None
    return account


def onboarding_token_for(ctx: ServiceContext, account: Account) -> str:
    """The token that alone authorises the account's entity application (2 h)."""
    return issue_token(
        keyring(ctx).signing_key(),
        subject=account.id,
        issuer=ctx.settings.jwt_issuer,
        audience=ctx.settings.jwt_audience,
        ttl=ONBOARDING_TTL,
        scope="onboarding",
        email=account.email,
        name=account.name,
    )


def token_error(exc: onetime.TokenRejected) -> ApiError:
    return ApiError(400, exc.message, code=exc.code)


def required_text(errors: list[dict[str, Any]], field: str, value: str, label: str, max_length: int = MAX_NAME) -> str:
    value = (value or "").strip()
    if not value:
        errors.append(field_error(field, f"{label} est obligatoire.", "missing"))
    elif len(value) > max_length:
        errors.append(field_error(field, f"{label} ne doit pas dépasser {max_length} caractères.", "too_long"))
    return value


def checked_email(errors: list[dict[str, Any]], raw: str, field: str = "email") -> str:
    try:
        return normalize_email(raw)
    except InvalidEmail as exc:
        errors.append(field_error(field, str(exc), "email_invalid"))
        return ""


def password_errors(password: str, email: str, field: str) -> list[dict[str, Any]]:
    if not password:
        return [field_error(field, "Le mot de passe est obligatoire.", "missing")]
    return [field_error(field, f.message, f.code) for f in passwords.check_password(password, email or None)]


def existing_conflict(account: Account) -> ApiError:
    if account.status == PENDING_ACTIVATION:
        return conflict(
            "Un compte attend déjà son activation avec cette adresse : vous pouvez redemander le courriel d'activation.",
            code="activation_pending",
            state=account.status,
        )
    return conflict("Un compte existe déjà avec cette adresse.", code="email_taken")


def account_view(model: type[ViewT], account: Account) -> ViewT:
    """``Me``, ``AccountRequest``…: the account's fields under the names the view shares
    with the table (the id is ``account_id``)."""
    return model.model_validate({**account.model_dump(), "account_id": account.id, "roles": list(account.roles)})


def request_view(account: Account) -> schemas.AccountRequest:
    return account_view(schemas.AccountRequest, account)


def validator_scope(user: Principal) -> Scope:
    manager_of = str(user.entity_id) if user.has_any("entity_manager") and user.entity_id else None
    return Scope(si_admin=user.has_any("si_admin"), manager_of=manager_of)


Validator = roles("si_admin", "entity_manager")
SiAdmin = roles("si_admin")
StaffReader = roles("si_admin", "reviewer", "director")


def has_role(role: str) -> sa.ColumnElement[bool]:
    """Accounts whose JSON ``roles`` list holds ``role`` (a known role name: no LIKE
    metacharacter), on SQLite and PostgreSQL alike."""
    return sa.cast(col(Account.roles), sa.Text).like(f'%"{role}"%')


def router() -> APIRouter:
    api = APIRouter(tags=["identity"])

    # --- account creation and activation ----------------------------------------

    @api.post("/accounts", status_code=201, response_model=schemas.AccountCreated)
    def create_account(body: schemas.AccountCreate, ctx: CtxDep, uow: UowDep) -> schemas.AccountCreated:
        errors: list[dict[str, Any]] = []
        email = checked_email(errors, body.email)
        errors += password_errors(body.password, email, "password")
        first_name = required_text(errors, "first_name", body.first_name, "Le prénom")
        last_name = required_text(errors, "last_name", body.last_name, "Le nom")
        phone = body.phone.strip()
        if phone and not PHONE.match(phone):
            errors.append(field_error("phone", "Le numéro de téléphone n'est pas valide.", "phone_invalid"))
        job_title = body.job_title.strip()
        if len(job_title) > 200:
            errors.append(field_error("job_title", "La fonction ne doit pas dépasser 200 caractères.", "too_long"))
        if errors:
            raise invalid(*errors)
        session = uow.session
        existing = ops.find_by_email(session, email)
        if existing is not None:
            raise existing_conflict(existing)
        now = ctx.clock.now()
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
        session.add(account)
        try:
            session.flush()
        except IntegrityError:
            raise conflict("Un compte existe déjà avec cette adresse.", code="email_taken") from None
        secret, expires_at = ops.issue_one_time(session, account, onetime.ACTIVATION, now)
        uow.emit(
            AccountRegistered(
                account_id=account.id,
                email=email,
                first_name=first_name,
                last_name=last_name,
                activation_url=ops.link(ctx.settings, onetime.ACTIVATION, secret),
                expires_at=expires_at,
            )
        )
        uow.commit()
        return schemas.AccountCreated(
            account_id=account.id,
            status=account.status,
            onboarding_token=onboarding_token_for(ctx, account),
            onboarding_expires_in=int(ONBOARDING_TTL.total_seconds()),
        )

    @api.post("/activation", response_model=schemas.ActivationResult)
    def activate(body: schemas.TokenBody, ctx: CtxDep, uow: UowDep) -> schemas.ActivationResult:
        now = ctx.clock.now()
        try:
            _, account = ops.consume(uow.session, body.token, (onetime.ACTIVATION,), now)
        except onetime.TokenRejected as exc:
            raise token_error(exc) from None
        if account.status != PENDING_ACTIVATION:  # pragma: no cover - tokens are revoked on activation
            raise token_error(onetime.TokenRejected("token_used"))
        account.status = PENDING_VALIDATION
        account.activated_at = now
        uow.session.add(account)
        uow.emit(
            AccountActivated(
                account_id=account.id,
                email=account.email,
                first_name=account.first_name,
                last_name=account.last_name,
                entity_id=account.entity_id,
                status=PENDING_VALIDATION,
            )
        )
        ops.request_validation_if_ready(uow, account)
        uow.commit()
        return schemas.ActivationResult(status=account.status)

    @api.post("/activation/resend", status_code=202)
    def resend_activation(body: schemas.EmailBody, request: Request, ctx: CtxDep, uow: UowDep) -> dict[str, str]:
        """Always 202, whether the address is known or not."""
        answer = {"detail": "Si un compte attend son activation avec cette adresse, un nouveau courriel a été envoyé."}
        try:
            email = normalize_email(body.email)
        except InvalidEmail:
            return answer
        session, now = uow.session, ctx.clock.now()
        keys = {f"resend:email:{email}": throttle.MAILS_PER_ADDRESS, f"mail:ip:{client_ip(request)}": throttle.MAIL_REQUESTS_PER_CLIENT}
        if any(ops.retry_after(session, k, rule, now) for k, rule in keys.items()):
            return answer
        for k, rule in keys.items():
            ops.hit(session, k, rule, now)
        account = ops.find_by_email(session, email)
        if account is not None and account.status == PENDING_ACTIVATION and not account.is_staff:
            secret, expires_at = ops.issue_one_time(session, account, onetime.ACTIVATION, now)
            uow.emit(
                AccountActivationRequested(
                    account_id=account.id,
                    email=account.email,
                    first_name=account.first_name,
                    activation_url=ops.link(ctx.settings, onetime.ACTIVATION, secret),
                    expires_at=expires_at,
                )
            )
        uow.commit()
        return answer

    # --- login --------------------------------------------------------------------

    @api.post("/token", response_model=schemas.AccessToken)
    def token(
        request: Request,
        ctx: CtxDep,
        uow: UowDep,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
    ) -> Any:
        """OAuth2 password grant: ``username`` is the e-mail."""
        account = authenticate(request, ctx, uow, username, password)
        if isinstance(account, JSONResponse):
            return account
        if account.status == REJECTED:
            raise ApiError(403, "Votre demande de compte a été refusée.", code="rejected")
        if ops.awaits_application(account):
            raise ApiError(
                403,
                "La déclaration de votre organisme n'a pas été envoyée : reprenez-la pour que votre demande de compte soit examinée.",
                code="application_missing",
            )
        if account.status == PENDING_ACTIVATION:
            raise ApiError(403, "Votre compte n'est pas encore activé : suivez le lien reçu par courriel.", code="not_activated")
        if account.status == PENDING_VALIDATION:
            raise ApiError(403, "Votre demande de compte attend sa validation.", code="pending_validation")
        session = uow.session
        ops.clear(session, login_key(account.email))
        if passwords.needs_rehash(account.password_hash or ""):
            account.password_hash = passwords.hash_password(password)
            session.add(account)
        uow.commit()
        ttl = ctx.settings.access_token_ttl_seconds
        access = issue_token(
            keyring(ctx).signing_key(),
            subject=account.id,
            issuer=ctx.settings.jwt_issuer,
            audience=ctx.settings.jwt_audience,
            ttl=timedelta(seconds=ttl),
            scope="access",
            email=account.email,
            name=account.name,
            roles=account.roles,
            entity_id=account.entity_id,
        )
        return schemas.AccessToken(access_token=access, token_type="bearer", expires_in=ttl)

    @api.post("/onboarding-token", response_model=schemas.OnboardingToken)
    def onboarding_token(
        request: Request,
        ctx: CtxDep,
        uow: UowDep,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
    ) -> Any:
        """A new onboarding token, for a person who lost theirs before submitting their
        entity application (same form and throttling as ``/token``)."""
        account = authenticate(request, ctx, uow, username, password)
        if isinstance(account, JSONResponse):
            return account
        if account.status == REJECTED:
            raise ApiError(403, "Votre demande de compte a été refusée.", code="rejected")
        if not ops.awaits_application(account):
            raise conflict(
                "La déclaration de votre organisme a déjà été envoyée : connectez-vous une fois votre compte validé.",
                code="application_submitted",
                state=account.status,
            )
        ops.clear(uow.session, login_key(account.email))
        uow.commit()
        return schemas.OnboardingToken(
            onboarding_token=onboarding_token_for(ctx, account),
            expires_in=int(ONBOARDING_TTL.total_seconds()),
        )

    @api.get("/.well-known/jwks.json")
    def jwks_document(ctx: CtxDep, response: Response) -> dict[str, Any]:
        response.headers["Cache-Control"] = "public, max-age=300"
        return keyring(ctx)()

    @api.get("/me", response_model=schemas.Me)
    def me(user: CurrentUser, uow: UowDep) -> schemas.Me:
        account = uow.session.get(Account, user.account_id)
        if account is None:
            raise not_found("account")
        return account_view(schemas.Me, account)

    # --- passwords ----------------------------------------------------------------

    @api.post("/password/forgot", status_code=202)
    def forgot_password(body: schemas.EmailBody, request: Request, ctx: CtxDep, uow: UowDep) -> dict[str, str]:
        """Always 202: the answer never tells whether the address has an account."""
        answer = {"detail": "Si un compte existe avec cette adresse, un courriel de réinitialisation a été envoyé."}
        try:
            email = normalize_email(body.email)
        except InvalidEmail:
            return answer
        session, now = uow.session, ctx.clock.now()
        keys = {f"forgot:email:{email}": throttle.MAILS_PER_ADDRESS, f"mail:ip:{client_ip(request)}": throttle.MAIL_REQUESTS_PER_CLIENT}
        if any(ops.retry_after(session, k, rule, now) for k, rule in keys.items()):
            return answer
        for k, rule in keys.items():
            ops.hit(session, k, rule, now)
        account = ops.find_by_email(session, email)
        if account is not None and account.status in (ACTIVE, PENDING_VALIDATION) and account.password_hash:
            secret, expires_at = ops.issue_one_time(session, account, onetime.PASSWORD_RESET, now)
            uow.emit(
                PasswordResetRequested(
                    account_id=account.id,
                    email=account.email,
                    first_name=account.first_name,
                    reset_url=ops.link(ctx.settings, onetime.PASSWORD_RESET, secret),
                    expires_at=expires_at,
                )
            )
        uow.commit()
        return answer

    @api.post("/password/reset", status_code=204)
    def reset_password(body: schemas.PasswordReset, ctx: CtxDep, uow: UowDep) -> Response:
        """Consumes a password_reset or a set_password token (staff's first password)."""
        session, now = uow.session, ctx.clock.now()
        try:
            token_row, account = ops.consume(session, body.token, (onetime.PASSWORD_RESET, onetime.SET_PASSWORD), now)
        except onetime.TokenRejected as exc:
            raise token_error(exc) from None
        errors = password_errors(body.new_password, account.email, "new_password")
        if errors:
            raise invalid(*errors)  # the token stays unused: nothing was committed
        account.password_hash = passwords.hash_password(body.new_password)
        ops.revoke(session, account.id, onetime.PASSWORD_RESET, onetime.SET_PASSWORD)
        ops.clear(session, f"login:email:{account.email}")
        if token_row.purpose == onetime.SET_PASSWORD and account.status == PENDING_ACTIVATION:
            account.status = ACTIVE
            account.activated_at = now
            uow.emit(
                AccountActivated(
                    account_id=account.id,
                    email=account.email,
                    first_name=account.first_name,
                    last_name=account.last_name,
                    entity_id=account.entity_id,
                    status=ACTIVE,
                )
            )
        session.add(account)
        uow.commit()
        return Response(status_code=204)

    # --- account requests (validation) ------------------------------------------

    @api.get("/account-requests", response_model=schemas.AccountRequests)
    def account_requests(
        user: Validator,
        uow: UowDep,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> schemas.AccountRequests:
        scope = validator_scope(user)
        clauses = []
        if scope.si_admin:
            clauses.append(col(Account.new_entity).is_(True))
        if scope.manager_of:
            clauses.append(sa.and_(col(Account.new_entity).is_(False), col(Account.entity_id) == uuid.UUID(scope.manager_of)))
        if not clauses:
            return schemas.AccountRequests(items=[], total=0, limit=limit, offset=offset)
        where = sa.and_(
            col(Account.status) == PENDING_VALIDATION,
            col(Account.entity_id).is_not(None),
            sa.or_(*clauses),
        )
        total = uow.session.exec(select(func.count()).select_from(Account).where(where)).one()
        rows = uow.session.exec(
            select(Account).where(where).order_by(col(Account.application_submitted_at), col(Account.id)).offset(offset).limit(limit)
        ).all()
        return schemas.AccountRequests(items=[request_view(a) for a in rows], total=total, limit=limit, offset=offset)

    def decidable(user: Principal, uow: UowDep, account_id: uuid.UUID) -> Account:
        account = uow.session.get(Account, account_id, with_for_update=True)
        if account is None or account.is_staff:
            raise not_found("account request")
        scope = validator_scope(user)
        if not scope.covers(new_entity=account.new_entity, entity_id=str(account.entity_id) if account.entity_id else None):
            if scope.si_admin:
                raise forbidden("Cette demande est validée par le gestionnaire de son entité.")
            raise not_found("account request")
        if account.status != PENDING_VALIDATION:
            raise conflict(
                f"Cette demande n'attend pas de validation (état : {account.status}).", code="not_pending_validation", state=account.status
            )
        return account

    @api.post("/account-requests/{account_id}/approve", response_model=schemas.AccountRequest)
    def approve(
        account_id: uuid.UUID, user: Validator, ctx: CtxDep, uow: UowDep, body: schemas.Decision | None = None
    ) -> schemas.AccountRequest:
        account = decidable(user, uow, account_id)
        now = ctx.clock.now()
        assert account.entity_id is not None and account.new_entity is not None
        account.status = ACTIVE
        account.roles = roles_on_approval(account.new_entity)
        account.decided_by = user.account_id
        account.decided_at = now
        account.decision_reason = ((body.reason if body else "") or "").strip()[:2000] or None
        uow.session.add(account)
        uow.emit(
            AccountApproved(
                account_id=account.id,
                email=account.email,
                first_name=account.first_name,
                last_name=account.last_name,
                entity_id=account.entity_id,
                roles=account.roles,  # type: ignore[arg-type]
                decided_by=user.account_id,
                decided_at=now,
            )
        )
        uow.commit()
        return request_view(account)

    @api.post("/account-requests/{account_id}/reject", response_model=schemas.AccountRequest)
    def reject(account_id: uuid.UUID, body: schemas.Decision, user: Validator, ctx: CtxDep, uow: UowDep) -> schemas.AccountRequest:
        errors: list[dict[str, Any]] = []
        reason = required_text(errors, "reason", body.reason, "Le motif du refus", max_length=2000)
        if errors:
            raise invalid(*errors)
        account = decidable(user, uow, account_id)
        now = ctx.clock.now()
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

    # --- staff --------------------------------------------------------------------

    @api.get("/staff", response_model=schemas.StaffList)
    def list_staff(
        user: StaffReader,
        uow: UowDep,
        role: str | None = None,
        status: str | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> schemas.StaffList:
        """The back-office accounts (e.g. the instructors a case may be assigned to),
        by name; only the active ones unless ``status`` is given."""
        errors: list[dict[str, Any]] = []
        if role is not None and role not in STAFF_ROLES:
            errors.append(field_error("role", f"Rôle inconnu (rôles possibles : {', '.join(STAFF_ROLES)}).", "role_invalid", where="query"))
        if status is not None and status not in STATUSES:
            errors.append(
                field_error("status", f"État inconnu (états possibles : {', '.join(STATUSES)}).", "status_invalid", where="query")
            )
        if errors:
            raise invalid(*errors)
        where = [col(Account.is_staff).is_(True), col(Account.status) == (status or ACTIVE)]
        if role is not None:
            where.append(has_role(role))
        total = uow.session.exec(select(func.count()).select_from(Account).where(*where)).one()
        rows = uow.session.exec(
            select(Account)
            .where(*where)
            .order_by(func.lower(col(Account.last_name)), func.lower(col(Account.first_name)), col(Account.id))
            .offset(offset)
            .limit(limit)
        ).all()
        items = [
            schemas.StaffMember(
                account_id=a.id, email=a.email, first_name=a.first_name, last_name=a.last_name, roles=list(a.roles), status=a.status
            )
            for a in rows
        ]
        return schemas.StaffList(items=items, total=total, limit=limit, offset=offset)

    @api.post("/staff", status_code=201, response_model=schemas.StaffCreated)
    def create_staff(body: schemas.StaffCreate, user: SiAdmin, ctx: CtxDep, uow: UowDep) -> schemas.StaffCreated:
        errors: list[dict[str, Any]] = []
        email = checked_email(errors, body.email)
        first_name = required_text(errors, "first_name", body.first_name, "Le prénom")
        last_name = required_text(errors, "last_name", body.last_name, "Le nom")
        staff_roles = sorted(set(body.roles))
        unknown = [r for r in staff_roles if r not in STAFF_ROLES]
        if not staff_roles:
            errors.append(field_error("roles", "Choisissez au moins un rôle.", "missing"))
        elif unknown:
            errors.append(
                field_error("roles", f"Rôle inconnu : {', '.join(unknown)} (rôles possibles : {', '.join(STAFF_ROLES)}).", "role_invalid")
            )
        if errors:
            raise invalid(*errors)
        session, now = uow.session, ctx.clock.now()
        existing = ops.find_by_email(session, email)
        if existing is not None:
            raise conflict("Un compte existe déjà avec cette adresse.", code="email_taken")
        account = Account(
            email=email,
            password_hash=None,
            first_name=first_name,
            last_name=last_name,
            status=PENDING_ACTIVATION,
            roles=staff_roles,
            is_staff=True,
            created_at=now,
        )
        session.add(account)
        try:
            session.flush()
        except IntegrityError:
            raise conflict("Un compte existe déjà avec cette adresse.", code="email_taken") from None
        secret, expires_at = ops.issue_one_time(session, account, onetime.SET_PASSWORD, now)
        uow.emit(
            StaffCreatedEvent(
                account_id=account.id,
                email=email,
                first_name=first_name,
                last_name=last_name,
                roles=staff_roles,  # type: ignore[arg-type]
                set_password_url=ops.link(ctx.settings, onetime.SET_PASSWORD, secret),
                expires_at=expires_at,
            )
        )
        uow.commit()
        return schemas.StaffCreated(account_id=account.id, email=email, status=account.status, roles=staff_roles)

    return api
