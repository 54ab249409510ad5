"""The routing table and the recipients rules, on a fake directory."""

from __future__ import annotations

import uuid

from certreg_contracts.subscriptions import CONSUMERS
from certreg_contracts.types import PUBLIC_ROLES
from notifier.adapters.templating import TEMPLATES
from notifier.app.handlers import handlers
from notifier.domain import rules
from notifier.domain.rules import ROUTES, Recipient, plan
from services.notifier.tests.samples import sample_event


class FakeDirectory:
    def __init__(self) -> None:
        self.people: dict[uuid.UUID, tuple[Recipient, frozenset[str], uuid.UUID | None, str]] = {}
        self.following: dict[uuid.UUID, list[uuid.UUID]] = {}

    def add(self, email: str, roles: set[str], entity_id: uuid.UUID | None = None, status: str = "active") -> Recipient:
        account_id = uuid.uuid4()
        r = Recipient(email=email, account_id=account_id, first_name=email.split("@")[0].capitalize())
        self.people[account_id] = (r, frozenset(roles), entity_id, status)
        return r

    def person(self, account_id: uuid.UUID) -> Recipient | None:
        found = self.people.get(account_id)
        return found[0] if found else None

    def entity_members(self, entity_id: uuid.UUID, roles: frozenset[str] = PUBLIC_ROLES) -> list[Recipient]:
        return [r for r, rs, e, s in self.people.values() if e == entity_id and s == "active" and rs & roles]

    def staff(self, role: str) -> list[Recipient]:
        return [r for r, rs, _, s in self.people.values() if role in rs and s == "active"]

    def followers(self, filing_id: uuid.UUID) -> list[Recipient]:
        return [self.people[a][0] for a in self.following.get(filing_id, [])]


def emails(planned: list[rules.Planned]) -> dict[str, list[str]]:
    return {p.rule.template: sorted(r.email for r in p.recipients) for p in planned}


def test_the_table_binds_exactly_the_consumed_keys() -> None:
    assert set(ROUTES) == set(CONSUMERS["notifier"])
    assert handlers.routing_keys == sorted(CONSUMERS["notifier"])


def test_every_rule_has_its_template_file_and_every_template_is_used() -> None:
    files = {p.name.removesuffix(".j2") for p in TEMPLATES.glob("*.j2")}
    assert rules.templates() == files


def test_every_rule_tells_someone_somehow() -> None:
    for key, key_rules in ROUTES.items():
        assert key_rules, key
        for rule in key_rules:
            assert rule.in_app or rule.email, (key, rule.template)


def test_entity_events_go_to_the_active_members_of_that_entity_only() -> None:
    d = FakeDirectory()
    entity, other = uuid.uuid4(), uuid.uuid4()
    d.add("manager@a.fr", {"depositor", "entity_manager"}, entity)
    d.add("depositor@a.fr", {"depositor"}, entity)
    d.add("pending@a.fr", {"depositor"}, entity, status="pending_validation")
    d.add("other@b.fr", {"depositor"}, other)
    d.add("staff@fc.fr", {"reviewer"}, entity)  # a staff role is not a member
    event = sample_event("review.case.scheduled", entity_id=entity)
    assert emails(plan(event.routing_key, event, d)) == {"case_scheduled": ["depositor@a.fr", "manager@a.fr"]}


def test_validation_request_goes_to_every_si_admin_for_a_new_entity() -> None:
    d = FakeDirectory()
    entity = uuid.uuid4()
    d.add("admin1@fc.fr", {"si_admin"})
    d.add("admin2@fc.fr", {"si_admin", "director"})
    d.add("gone@fc.fr", {"si_admin"}, status="disabled")
    d.add("manager@a.fr", {"entity_manager"}, entity)
    event = sample_event("identity.account.validation_requested", validator="si_admin", entity_id=entity, email="new@a.fr")
    assert emails(plan(event.routing_key, event, d)) == {
        "account_validation_pending": ["new@a.fr"],
        "account_validation_requested": ["admin1@fc.fr", "admin2@fc.fr"],
    }


def test_validation_request_goes_to_the_entity_managers_of_an_existing_entity() -> None:
    d = FakeDirectory()
    entity = uuid.uuid4()
    d.add("admin@fc.fr", {"si_admin"})
    d.add("manager@a.fr", {"depositor", "entity_manager"}, entity)
    d.add("depositor@a.fr", {"depositor"}, entity)
    d.add("manager@b.fr", {"entity_manager"}, uuid.uuid4())
    event = sample_event("identity.account.validation_requested", validator="entity_manager", entity_id=entity, email="new@a.fr")
    assert emails(plan(event.routing_key, event, d))["account_validation_requested"] == ["manager@a.fr"]


def test_events_carrying_an_address_use_it_even_if_the_directory_does_not_know_it() -> None:
    d = FakeDirectory()
    for key in (
        "identity.account.registered",
        "identity.account.activation_requested",
        "identity.account.password_reset_requested",
        "identity.staff.created",
        "identity.account.approved",
        "identity.account.rejected",
    ):
        event = sample_event(key, email="unknown@x.fr")
        planned = plan(key, event, d)
        assert [r.email for p in planned for r in p.recipients] == ["unknown@x.fr"], key
        assert planned[0].recipients[0].account_id == event.model_dump()["account_id"]


def test_request_answered_goes_to_the_instructor_who_asked() -> None:
    d = FakeDirectory()
    instructor = d.add("instructor@fc.fr", {"instructor"})
    d.add("other@fc.fr", {"instructor"})
    event = sample_event("review.request.answered", opened_by=instructor.account_id)
    assert emails(plan(event.routing_key, event, d)) == {"request_answered": ["instructor@fc.fr"]}


def test_overdue_request_tells_the_depositors_and_the_instructor() -> None:
    d = FakeDirectory()
    entity = uuid.uuid4()
    d.add("depositor@a.fr", {"depositor"}, entity)
    instructor = d.add("instructor@fc.fr", {"instructor"})
    event = sample_event("review.request.overdue", entity_id=entity, opened_by=instructor.account_id)
    assert emails(plan(event.routing_key, event, d)) == {
        "request_overdue": ["depositor@a.fr"],
        "request_overdue_staff": ["instructor@fc.fr"],
    }


def test_a_message_goes_to_the_other_side_never_to_its_author() -> None:
    d = FakeDirectory()
    entity, filing = uuid.uuid4(), uuid.uuid4()
    author = d.add("author@a.fr", {"depositor"}, entity)
    d.add("colleague@a.fr", {"depositor"}, entity)
    instructor = d.add("instructor@fc.fr", {"instructor"})
    d.add("reviewer@fc.fr", {"reviewer"})
    from_staff = sample_event(
        "review.message.posted", entity_id=entity, filing_id=filing, author_side="staff", author_id=instructor.account_id
    )
    assert emails(plan(from_staff.routing_key, from_staff, d)) == {"message_posted": ["author@a.fr", "colleague@a.fr"]}
    from_depositor = sample_event(
        "review.message.posted", entity_id=entity, filing_id=filing, author_side="depositor", author_id=author.account_id
    )
    # nobody follows the case yet: the reviewers are told
    assert emails(plan(from_depositor.routing_key, from_depositor, d)) == {"message_posted": ["reviewer@fc.fr"]}
    assert instructor.account_id is not None
    d.following[filing] = [instructor.account_id]
    assert emails(plan(from_depositor.routing_key, from_depositor, d)) == {"message_posted": ["instructor@fc.fr"]}


def test_status_changes_ring_the_bell_only_when_no_dedicated_event_does() -> None:
    d = FakeDirectory()
    entity = uuid.uuid4()
    d.add("depositor@a.fr", {"depositor"}, entity)
    covered = sample_event("review.case.status_changed", entity_id=entity, status="incomplete")
    assert plan(covered.routing_key, covered, d) == []
    uncovered = sample_event("review.case.status_changed", entity_id=entity, status="under_instruction")
    [planned] = plan(uncovered.routing_key, uncovered, d)
    assert planned.rule.in_app and not planned.rule.email


def test_completeness_and_admissibility_choose_their_template() -> None:
    d = FakeDirectory()
    entity = uuid.uuid4()
    d.add("depositor@a.fr", {"depositor"}, entity)
    for key, field, yes, no in (
        ("review.case.completeness_checked", "complete", "case_complete", "case_incomplete"),
        ("review.case.admissibility_decided", "admissible", "case_admissible", "case_inadmissible"),
    ):
        assert list(emails(plan(key, sample_event(key, entity_id=entity, **{field: True}), d))) == [yes]
        assert list(emails(plan(key, sample_event(key, entity_id=entity, **{field: False}), d))) == [no]


def test_recipients_are_told_once_even_when_a_rule_finds_them_twice() -> None:
    d = FakeDirectory()
    entity = uuid.uuid4()
    d.add("same@a.fr", {"depositor"}, entity)
    d.add("SAME@a.fr", {"entity_manager"}, entity)
    event = sample_event("review.case.abandoned", entity_id=entity)
    assert [r.email.lower() for p in plan(event.routing_key, event, d) for r in p.recipients] == ["same@a.fr"]


def test_decisions_carry_their_letter() -> None:
    assert [r.letter for r in ROUTES["review.case.registered"]] == ["registration"]
    assert [r.letter for r in ROUTES["review.case.refused"]] == ["refusal"]
