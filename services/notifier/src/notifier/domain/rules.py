"""Who is told what, as data: each consumed routing key maps to the notifications it
causes (recipients rule, template, in-app notification or not, e-mail or not).

Pure Python: the rules read people through a ``Directory`` (SQL in the service, a fake
in the unit tests).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from certreg_contracts.types import PUBLIC_ROLES, STAFF_ROLES


@dataclass(frozen=True)
class Recipient:
    email: str
    account_id: uuid.UUID | None = None
    first_name: str = ""
    last_name: str = ""
    # A back-office account: its links go to the back office (``/back-office/…``), a
    # depositor's to the portal.
    staff: bool = False

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Directory(Protocol):
    def person(self, account_id: uuid.UUID) -> Recipient | None:
        """An active or pending person by account id (None if unknown)."""

    def entity_members(self, entity_id: uuid.UUID, roles: frozenset[str] = PUBLIC_ROLES) -> list[Recipient]:
        """The active members of an entity having one of ``roles``."""

    def staff(self, role: str) -> list[Recipient]:
        """The active back-office accounts having ``role``."""

    def followers(self, filing_id: uuid.UUID) -> list[Recipient]:
        """The active staff following a case (assigned instructor, request authors)."""


RecipientsRule = Callable[[Any, Directory], list[Recipient]]


def event_address(event: Any, directory: Directory) -> list[Recipient]:
    """The address the event carries (the directory may not know it yet)."""
    known = directory.person(event.account_id)
    roles = set(getattr(event, "roles", None) or ())
    return [
        Recipient(
            email=event.email,
            account_id=event.account_id,
            first_name=getattr(event, "first_name", "") or (known.first_name if known else ""),
            last_name=getattr(event, "last_name", "") or (known.last_name if known else ""),
            staff=bool(roles & STAFF_ROLES) if roles else bool(known and known.staff),
        )
    ]


def entity_members(event: Any, directory: Directory) -> list[Recipient]:
    """The active depositors and entity managers of the event's entity."""
    return directory.entity_members(event.entity_id)


def entity_managers(event: Any, directory: Directory) -> list[Recipient]:
    return directory.entity_members(event.entity_id, frozenset({"entity_manager"}))


def validators(event: Any, directory: Directory) -> list[Recipient]:
    """Who validates an account request: every SI administrator for the first account of
    a new entity, the entity's managers otherwise."""
    if event.validator == "si_admin":
        return directory.staff("si_admin")
    return [r for r in entity_managers(event, directory) if r.account_id != event.account_id]


def _person(attr: str) -> RecipientsRule:
    def rule(event: Any, directory: Directory) -> list[Recipient]:
        found = directory.person(getattr(event, attr))
        return [found] if found else []

    rule.__name__ = attr
    rule.__doc__ = f"The account named by the event's ``{attr}``."
    return rule


opened_by = _person("opened_by")
instructor = _person("instructor_id")


def commission(event: Any, directory: Directory) -> list[Recipient]:
    return directory.staff("commission")


def other_side(event: Any, directory: Directory) -> list[Recipient]:
    """A message goes to the other side: the entity when staff wrote, the staff following
    the case (else the reviewers) when the depositor wrote. Never to its author."""
    if event.author_side == "staff":
        found = directory.entity_members(event.entity_id)
    else:
        found = directory.followers(event.filing_id) or directory.staff("reviewer")
    return [r for r in found if r.account_id != event.author_id]


@dataclass(frozen=True)
class Rule:
    recipients: RecipientsRule
    template: str
    in_app: bool = True
    email: bool = True
    # Only when this holds for the event (several rules of one key choose between them).
    when: Callable[[Any], bool] | None = None
    # A letter rendered, stored and attached: "registration" | "refusal" | "adjournment".
    letter: str | None = None

    def applies(self, event: Any) -> bool:
        return self.when is None or bool(self.when(event))


# Statuses whose transition has its own, more detailed event: the bell shows that one.
STATUSES_WITH_OWN_EVENT = frozenset(
    {
        "received",
        "incomplete",
        "completeness_ok",
        "inadmissible",
        "admissible",
        "awaiting_complement",
        "ready_for_commission",
        "scheduled",
        "adjourned",
        "favourable",
        "unfavourable",
        "registered",
        "refused",
        "abandoned",
        "admissibility_withdrawn",
        "withdrawn",
    }
)


class _Channels(TypedDict):
    in_app: bool
    email: bool


E: _Channels = {"in_app": False, "email": True}  # e-mail only
B: _Channels = {"in_app": True, "email": False}  # bell only

ROUTES: dict[str, tuple[Rule, ...]] = {
    # identity: accounts
    "identity.account.registered": (Rule(event_address, "account_registered", **E),),
    "identity.account.activation_requested": (Rule(event_address, "account_activation_requested", **E),),
    "identity.account.activated": (Rule(event_address, "account_activated", **E),),
    "identity.account.validation_requested": (
        Rule(event_address, "account_validation_pending", **E),
        Rule(validators, "account_validation_requested"),
    ),
    "identity.account.approved": (Rule(event_address, "account_approved"),),
    "identity.account.rejected": (Rule(event_address, "account_rejected", **E),),
    "identity.account.password_reset_requested": (Rule(event_address, "password_reset", **E),),
    "identity.account.unlock_requested": (Rule(event_address, "account_unlock", **E),),
    "identity.account.roles_changed": (Rule(event_address, "roles_changed"),),
    "identity.staff.created": (Rule(event_address, "staff_created", **E),),
    # entities
    "entities.entity.verified": (Rule(entity_managers, "entity_verified", **B),),
    # filings
    "filings.filing.submitted": (Rule(entity_members, "filing_submitted"),),
    # review: the procedure
    "review.case.opened": (Rule(entity_members, "case_opened", **B),),
    "review.case.status_changed": (
        Rule(entity_members, "case_status_changed", **B, when=lambda e: e.status not in STATUSES_WITH_OWN_EVENT),
    ),
    "review.case.completeness_checked": (
        Rule(entity_members, "case_incomplete", when=lambda e: not e.complete),
        Rule(entity_members, "case_complete", **B, when=lambda e: e.complete),
    ),
    "review.case.admissibility_decided": (
        Rule(entity_members, "case_admissible", when=lambda e: e.admissible),
        Rule(entity_members, "case_inadmissible", when=lambda e: not e.admissible),
    ),
    "review.case.instructor_assigned": (Rule(instructor, "case_assigned"),),
    "review.request.opened": (Rule(entity_members, "request_opened"),),
    "review.request.answered": (Rule(opened_by, "request_answered"),),
    "review.request.reminder_due": (Rule(entity_members, "request_reminder"),),
    "review.registration.renewal_reminder_due": (Rule(entity_members, "renewal_reminder"),),
    "review.request.overdue": (
        Rule(entity_members, "request_overdue"),
        Rule(opened_by, "request_overdue_staff"),
    ),
    "review.case.abandoned": (Rule(entity_members, "case_abandoned"),),
    "review.case.admissibility_withdrawn": (Rule(entity_members, "case_admissibility_withdrawn"),),
    "review.case.ready_for_commission": (Rule(entity_members, "case_ready_for_commission", **B),),
    "review.session.created": (Rule(commission, "session_created", **B),),
    "review.case.scheduled": (Rule(entity_members, "case_scheduled"),),
    "review.case.opinion_given": (
        Rule(entity_members, "case_opinion", when=lambda e: e.opinion != "adjourned"),
        Rule(entity_members, "case_opinion", when=lambda e: e.opinion == "adjourned", letter="adjournment"),
    ),
    "review.case.returned_to_commission": (Rule(entity_members, "case_returned_to_commission"),),
    "review.case.registered": (Rule(entity_members, "case_registered", letter="registration"),),
    "review.case.refused": (Rule(entity_members, "case_refused", letter="refusal"),),
    "review.case.withdrawn": (Rule(entity_members, "case_withdrawn"),),
    "review.case.withdrawal_refused": (Rule(entity_members, "case_withdrawal_refused"),),
    "review.case.submission_refused": (Rule(entity_members, "case_submission_refused"),),
    "review.message.posted": (Rule(other_side, "message_posted"),),
}


def templates() -> set[str]:
    return {rule.template for rules in ROUTES.values() for rule in rules}


@dataclass(frozen=True)
class Planned:
    rule: Rule
    recipients: list[Recipient]


def plan(routing_key: str, event: Any, directory: Directory) -> list[Planned]:
    """The notifications an event causes: for each applicable rule, its recipients
    (without duplicates, and without anyone lacking an address)."""
    planned = []
    for rule in ROUTES.get(routing_key, ()):
        if not rule.applies(event):
            continue
        seen: set[str] = set()
        recipients = []
        for r in rule.recipients(event, directory):
            key = r.email.lower()
            if not r.email or key in seen:
                continue
            seen.add(key)
            recipients.append(r)
        planned.append(Planned(rule, recipients))
    return planned
