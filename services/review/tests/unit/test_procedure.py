"""The state machine: every allowed transition, every other one refused, roles enforced."""

import itertools

import pytest

from certreg_contracts.types import CASE_STATUSES, TERMINAL_CASE_STATUSES
from review.domain import procedure
from review.domain.procedure import TRANSITIONS, IllegalTransition, NotOnTrack, RoleNotAllowed, transition

ALL_ROLES = ("reviewer", "instructor", "commission", "director", "depositor", "system", "si_admin")
OUTCOMES = {
    "completeness": ("complete", "incomplete"),
    "admissibility": ("admissible", "inadmissible"),
    "opinion": ("favourable", "unfavourable", "adjourned"),
    "correct_opinion": ("favourable", "unfavourable", "adjourned"),
}


@pytest.mark.parametrize("t", TRANSITIONS, ids=lambda t: f"{t.action}:{t.source}->{t.target}")
def test_every_allowed_transition_for_each_of_its_roles(t):
    for role, track in itertools.product(t.roles, t.tracks):
        assert transition(t.action, t.source, {role}, t.outcome, track=track).target == t.target


@pytest.mark.parametrize("track", procedure.TRACKS)
def test_every_other_state_is_refused_with_its_state(track):
    allowed = {(t.action, t.source, t.outcome) for t in TRANSITIONS if track in t.tracks}
    checked = off_track = 0
    for action in procedure.ACTIONS:
        roles = procedure.roles_for(action)
        for state, outcome in itertools.product(CASE_STATUSES, OUTCOMES.get(action, (None,))):
            if (action, state, outcome) in allowed:
                continue
            with pytest.raises(IllegalTransition) as refused:
                transition(action, state, roles, outcome, track=track)
            assert refused.value.state == state
            if action not in procedure.TRACK_ACTIONS[track]:
                assert isinstance(refused.value, NotOnTrack) and refused.value.code == "by_right_path"
                off_track += 1
            checked += 1
    assert checked > 200  # the table is small; the refusals are many
    assert (off_track > 0) == (track == "by_right")


def test_a_registration_by_right_skips_admissibility_instruction_and_commission():
    def run(*steps):
        state = "received"
        for action, role, outcome in steps:
            state = transition(action, state, {role}, outcome, track="by_right").target
        return state

    assert run(("completeness", "reviewer", "complete"), ("register", "director", None), ("publish", "director", None)) == "registered"
    assert run(("completeness", "reviewer", "incomplete"), ("resubmit", "depositor", None)) == "received"
    assert procedure.allowed_actions("completeness_ok", {"reviewer", "director"}, "by_right") == [
        "declare_inadmissible",
        "register",
        "suspend",
    ]
    for action in ("admissibility", "assign", "ready", "schedule", "opinion", "refuse", "withdraw_admissibility"):
        with pytest.raises(NotOnTrack, match="Enregistrement de droit"):
            transition(action, "completeness_ok", procedure.roles_for(action), track="by_right")
    # on request, a complete dossier is never registered before the commission's opinion
    with pytest.raises(IllegalTransition):
        transition("register", "completeness_ok", {"director"})
    assert procedure.banner_of("completeness_ok", "by_right") != procedure.banner_of("completeness_ok")


@pytest.mark.parametrize("t", TRANSITIONS, ids=lambda t: f"{t.action}:{t.source}")
def test_roles_outside_the_action_are_refused(t):
    for role in set(ALL_ROLES) - procedure.roles_for(t.action):
        with pytest.raises(RoleNotAllowed):
            transition(t.action, t.source, {role}, t.outcome)


def test_role_of_another_transition_of_the_same_action_is_not_enough():
    # commission may schedule; so may the system, but neither may register.
    with pytest.raises(RoleNotAllowed):
        transition("register", "favourable", {"commission", "system"})
    with pytest.raises(RoleNotAllowed):
        transition("abandon", "awaiting_complement", {"instructor"})


def test_journeys():
    def run(*steps):
        state = "received"
        for action, role, outcome in steps:
            state = transition(action, state, {role}, outcome).target
        return state

    assert (
        run(
            ("completeness", "reviewer", "complete"),
            ("admissibility", "reviewer", "admissible"),
            ("assign", "director", None),
            ("request", "instructor", None),
            ("answer", "depositor", None),
            ("ready", "instructor", None),
            ("schedule", "commission", None),
            ("opinion", "commission", "adjourned"),
            ("return_to_commission", "system", None),
            ("schedule", "system", None),
            ("opinion", "commission", "favourable"),
            ("register", "director", None),
            ("publish", "director", None),
        )
        == "registered"
    )
    assert run(("completeness", "reviewer", "incomplete"), ("resubmit", "depositor", None)) == "received"
    assert (
        run(("completeness", "reviewer", "complete"), ("admissibility", "reviewer", "inadmissible"), ("resubmit", "depositor", None))
        == "received"
    )


def test_a_favourable_opinion_may_be_refused_an_unfavourable_never_registered():
    assert transition("refuse", "favourable", {"director"}).target == "refused"
    with pytest.raises(IllegalTransition):
        transition("register", "unfavourable", {"director"})


def test_withdrawal_is_possible_before_the_decision_only():
    for state in procedure.BEFORE_DECISION:
        assert transition("withdraw", state, {"depositor"}).target == "withdrawn"
    for state in ("registered", "refused", "abandoned", "withdrawn", "admissibility_withdrawn"):
        with pytest.raises(IllegalTransition):
            transition("withdraw", state, {"depositor"})


def test_admissibility_withdrawal_only_after_admissibility():
    for state in procedure.AFTER_ADMISSIBILITY:
        assert transition("withdraw_admissibility", state, {"director"}).target == "admissibility_withdrawn"
    for state in ("received", "incomplete", "completeness_ok", "inadmissible", "registered"):
        with pytest.raises(IllegalTransition):
            transition("withdraw_admissibility", state, {"director"})


def test_reassignment_keeps_the_state():
    assert transition("assign", "awaiting_complement", {"reviewer"}).target == "awaiting_complement"


def test_terminal_states_have_no_way_out():
    for t in TRANSITIONS:
        assert t.source not in TERMINAL_CASE_STATUSES


def test_allowed_actions_for_buttons():
    assert procedure.allowed_actions("received", {"reviewer"}) == ["completeness", "suspend"]
    assert procedure.allowed_actions("under_instruction", {"instructor"}) == ["ready", "request"]
    assert "abandon" in procedure.allowed_actions("awaiting_complement", {"director"})


def test_editable_items():
    assert procedure.editable_items("incomplete", missing=["criminal_record", "title"]) == ["criminal_record", "title"]
    assert set(procedure.editable_items("inadmissible")) >= {"title", "competence_framework", "summary"}
    assert procedure.editable_items("adjourned") == list(procedure.EVERYTHING)
    assert procedure.editable_items("awaiting_complement", requested=["standards"]) == ["standards", "answer"]
    for state in ("received", "under_instruction", "registered", "scheduled"):
        assert procedure.editable_items(state) == []


def test_the_commission_corrects_its_opinion_until_the_decision_and_moves_a_scheduled_case():
    for before in procedure.OPINIONS:
        for after in procedure.OPINIONS:
            assert transition("correct_opinion", before, {"commission"}, after).target == after
    for state in ("scheduled", "ready_for_commission", "registered", "refused"):
        with pytest.raises(IllegalTransition):
            transition("correct_opinion", state, {"commission"}, "favourable")
    assert transition("reschedule", "scheduled", {"commission"}).target == "scheduled"
    with pytest.raises(RoleNotAllowed):
        transition("reschedule", "scheduled", {"system"})
