"""``certreg admin create``: a back-office account created directly in identity's
database (the bootstrap of the first SI administrator)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from certreg_contracts.events.identity import AccountRolesChanged
from certreg_runtime.db import create_db_engine
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.migrations import upgrade
from certreg_runtime.settings import Settings
from identity import operations as ops
from identity.adapters.tables import Account, metadata
from identity.domain import passwords
from identity.domain.accounts import ACTIVE, STAFF_ROLES, InvalidEmail, normalize_email


class AdminError(SystemExit):
    """Refused, with a message for the operator (the CLI prints it and exits 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def create_staff_account(settings: Settings, *, email: str, password: str, first_name: str, last_name: str, roles: list[str]) -> uuid.UUID:
    """Create an active back-office account. Emits ``identity.account.roles_changed``
    through the outbox so that the notifier's directory learns the staff member."""
    try:
        address = normalize_email(email)
    except InvalidEmail as exc:
        raise AdminError(str(exc)) from None
    failures = passwords.check_password(password, address)
    if failures:
        raise AdminError("Mot de passe refusé : " + " ".join(f.message for f in failures))
    chosen = sorted(set(roles))
    unknown = [r for r in chosen if r not in STAFF_ROLES]
    if not chosen or unknown:
        raise AdminError(f"Rôle(s) refusé(s) : {', '.join(unknown) or 'aucun'} ; rôles possibles : {', '.join(STAFF_ROLES)}.")
    if not first_name.strip() or not last_name.strip():
        raise AdminError("Le prénom et le nom sont obligatoires.")

    from identity.service import definition

    engine = create_db_engine(settings.database_url_for("identity"))
    try:
        upgrade(definition(), engine)
        with UnitOfWork(engine, metadata, "identity") as uow:
            if ops.find_by_email(uow.session, address) is not None:
                raise AdminError(f"Un compte existe déjà avec l'adresse {address}.")
            now = datetime.now(UTC)
            account = Account(
                email=address,
                password_hash=passwords.hash_password(password),
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                status=ACTIVE,
                roles=chosen,
                is_staff=True,
                created_at=now,
                activated_at=now,
            )
            uow.session.add(account)
            try:
                uow.session.flush()
            except IntegrityError:
                raise AdminError(f"Un compte existe déjà avec l'adresse {address}.") from None
            uow.emit(AccountRolesChanged(account_id=account.id, email=address, entity_id=None, roles=chosen))  # type: ignore[arg-type]
            uow.commit()
            return account.id
    finally:
        engine.dispose()
