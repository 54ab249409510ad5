"""Events of the identity service: accounts, activation, validation, staff, roles.

The URLs carry single-use tokens: only the notifier reads them, to put them in an e-mail.
"""

import uuid
from typing import Literal

from pydantic import AwareDatetime

from certreg_contracts.envelope import Event
from certreg_contracts.types import Role


class AccountRegistered(Event):
    """An account was created (or created again while still pending activation).

    Emitted by identity on POST /accounts. Consumed by the notifier, which sends the
    activation e-mail with ``activation_url``.
    """

    routing_key = "identity.account.registered"
    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    activation_url: str
    expires_at: AwareDatetime


class AccountActivationRequested(Event):
    """The person asked for the activation e-mail again (a new link; the old one is dead).

    Emitted by identity on POST /activation/resend for an account pending activation.
    Consumed by the notifier, which sends the activation e-mail again.
    """

    routing_key = "identity.account.activation_requested"
    account_id: uuid.UUID
    email: str
    first_name: str
    activation_url: str
    expires_at: AwareDatetime


class AccountActivated(Event):
    """The person followed the activation link.

    Emitted by identity on POST /activation. ``status`` is the account's status after
    activation: ``pending_validation`` for a depositor, ``active`` for staff.
    Consumed by the notifier (confirmation e-mail).
    """

    routing_key = "identity.account.activated"
    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    entity_id: uuid.UUID | None = None
    status: Literal["pending_validation", "active"]


class AccountValidationRequested(Event):
    """An activated account with a submitted entity application waits for validation.

    Emitted by identity once the account is activated and its entity application
    submitted (``entities.application.submitted``). ``validator`` says who decides: the
    SI administrator for the first account of a new entity, the entity manager
    otherwise. Consumed by the notifier (tells the person, and alerts the validators).
    """

    routing_key = "identity.account.validation_requested"
    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    entity_id: uuid.UUID
    validator: Literal["si_admin", "entity_manager"]


class AccountApproved(Event):
    """An account request was approved; the person can log in.

    Emitted by identity on POST /account-requests/{id}/approve. The first account of a
    new entity gets ``entity_manager`` among ``roles``. Consumed by entities (the
    application is accepted, the member recorded) and the notifier (e-mail).
    """

    routing_key = "identity.account.approved"
    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    entity_id: uuid.UUID
    roles: list[Role]
    decided_by: uuid.UUID
    decided_at: AwareDatetime


class AccountRejected(Event):
    """An account request was rejected.

    Emitted by identity on POST /account-requests/{id}/reject. Consumed by entities
    (the application is closed, a new entity left without member is dropped) and the
    notifier (e-mail with the reason).
    """

    routing_key = "identity.account.rejected"
    account_id: uuid.UUID
    email: str
    first_name: str
    entity_id: uuid.UUID | None = None
    reason: str
    decided_by: uuid.UUID
    decided_at: AwareDatetime


class AccountWithdrawn(Event):
    """A sign-up never activated was replaced by a new sign-up of the same address
    (issue 11, point 3): the old account is closed, its links and onboarding token dead.

    Emitted by identity on POST /accounts for an address pending activation. Consumed by
    entities (the account's applications are withdrawn and its onboarding token refused).
    """

    routing_key = "identity.account.withdrawn"
    account_id: uuid.UUID
    withdrawn_at: AwareDatetime


class AccountUnlockRequested(Event):
    """Logins to an account failed from many addresses: it is locked for the addresses
    it was never used from, and its owner gets a link that lifts the lock.

    Emitted by identity on POST /token (at most once per 15 minutes per account).
    Consumed by the notifier, which sends the mail with ``unlock_url``.
    """

    routing_key = "identity.account.unlock_requested"
    account_id: uuid.UUID
    email: str
    first_name: str
    unlock_url: str
    expires_at: AwareDatetime


class PasswordResetRequested(Event):
    """Someone asked to reset the password of an existing, active account.

    Emitted by identity on POST /password/forgot (only when the account exists; the
    HTTP answer is the same either way). Consumed by the notifier (e-mail with the link).
    """

    routing_key = "identity.account.password_reset_requested"
    account_id: uuid.UUID
    email: str
    first_name: str
    reset_url: str
    expires_at: AwareDatetime


class StaffCreated(Event):
    """The SI administrator created a back-office account.

    Emitted by identity on POST /staff. Consumed by the notifier, which sends the
    e-mail with ``set_password_url``.
    """

    routing_key = "identity.staff.created"
    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    roles: list[Role]
    set_password_url: str
    expires_at: AwareDatetime


class AccountRolesChanged(Event):
    """The roles of an account changed; ``roles`` is the full new set.

    Emitted by identity when an administrator (or an entity manager for its entity)
    changes roles, when a manager hands the management over, and when a member is
    removed from its entity (``entity_id`` the entity, ``roles`` empty). Consumed by the
    notifier (tells the person) and entities (the entity's memberships).
    """

    routing_key = "identity.account.roles_changed"
    account_id: uuid.UUID
    email: str
    entity_id: uuid.UUID | None = None
    roles: list[Role]


class StaffChanged(Event):
    """A back-office account as it is now: its roles, and whether it may act (``active``).

    Emitted by identity whenever a back-office account is created (not yet active), gets
    its password (active), is made active by ``certreg admin create``, changes roles, is
    disabled or enabled; and at identity's start for every back-office account, with
    ``backfill`` (which only tells a consumer of accounts it does not know yet). Consumed
    by review, which assigns a case only to an active instructor and shows the agent's name
    in its work queues. A consumer keeps, per account, the state of the newest ``as_of``
    (deliveries are not ordered).
    """

    routing_key = "identity.staff.changed"
    account_id: uuid.UUID
    roles: list[Role]
    active: bool
    as_of: AwareDatetime
    backfill: bool = False
    # The agent's name as the back office shows it (« Prénom Nom »); absent from events
    # emitted before it existed.
    first_name: str | None = None
    last_name: str | None = None
