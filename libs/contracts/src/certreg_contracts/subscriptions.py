"""Who consumes what: each consuming service and the routing keys its queue is bound to.

Explicit routing keys (no wildcards), so that a typo fails the contract tests and the
AsyncAPI document can list each channel's consumers. A service binds its queue to
exactly ``CONSUMERS[service]``.
"""

CONSUMERS: dict[str, list[str]] = {
    "identity": [
        "entities.application.submitted",
        "entities.entity.verified",
    ],
    "entities": [
        "identity.account.approved",
        "identity.account.rejected",
        "identity.account.withdrawn",
        "identity.account.roles_changed",
    ],
    "filings": [
        "review.case.status_changed",
        "review.request.opened",
        "review.case.withdrawal_refused",
        "review.case.submission_refused",
        "review.case.registered",
    ],
    "review": [
        "filings.filing.submitted",
        "filings.filing.withdrawal_requested",
        "entities.entity.verified",
        "entities.entity.corrected",
        "identity.staff.changed",
    ],
    "notifier": [
        "identity.account.registered",
        "identity.account.activation_requested",
        "identity.account.activated",
        "identity.account.validation_requested",
        "identity.account.approved",
        "identity.account.rejected",
        "identity.account.password_reset_requested",
        "identity.account.unlock_requested",
        "identity.account.roles_changed",
        "identity.staff.created",
        "entities.entity.verified",
        "filings.filing.submitted",
        "review.case.opened",
        "review.case.status_changed",
        "review.case.completeness_checked",
        "review.case.admissibility_decided",
        "review.case.instructor_assigned",
        "review.request.opened",
        "review.request.answered",
        "review.request.reminder_due",
        "review.request.overdue",
        "review.case.abandoned",
        "review.case.admissibility_withdrawn",
        "review.case.ready_for_commission",
        "review.session.created",
        "review.case.scheduled",
        "review.case.opinion_given",
        "review.case.returned_to_commission",
        "review.case.registered",
        "review.case.refused",
        "review.case.withdrawn",
        "review.case.withdrawal_refused",
        "review.case.submission_refused",
        "review.message.posted",
        "review.registration.renewal_reminder_due",
    ],
}


def consumers_of(routing_key: str) -> list[str]:
    """The services whose queue receives ``routing_key``, sorted."""
    return sorted(service for service, keys in CONSUMERS.items() if routing_key in keys)
