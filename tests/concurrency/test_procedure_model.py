"""A model-based test of the procedure (issue 15, point 4): hypothesis drives random
sequences of actions — by random roles, sometimes two at once (in the embedded mode once
its SQLite locks rows, issue 15 point 1) — through the gateway of an embedded platform,
and after each step, once every event is handled, checks what must always hold:

- the filing and its case agree (status, withdrawal, no withdrawal left unanswered) and
  each case's audit chain verifies;
- registration numbers are unique and consecutive per repertoire, and only registered
  cases have one;
- a final state never changes;
- each step the depositor must know about produced exactly one notification of its kind
  for them (decisions of review's staff, the answer to a withdrawal, a refused round).

A role that may not act gets 403, a state that does not allow the action 409 (or 422
for input the state makes invalid), never a 5xx. Bounded for CI: ``CERTREG_MODEL_EXAMPLES``
× ``CERTREG_MODEL_STEPS`` (4 × 12 by default)."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import uuid
from collections import Counter
from collections.abc import Awaitable, Coroutine, Iterator
from concurrent.futures import Future
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from certreg_contracts.legal_dates import working_day_from
from certreg_contracts.types import TERMINAL_CASE_STATUSES
from certreg_testing.platform import embedded_platform
from certreg_testing.procedure import (
    SUBMISSION_REFUSED,
    WITHDRAWAL_OUTCOMES,
    Office,
    at_once,
    check_agreement,
    settle_everywhere,
    sqlite_locks_rows,
)

T = TypeVar("T")

EXAMPLES = int(os.environ.get("CERTREG_MODEL_EXAMPLES", "4"))
STEPS = int(os.environ.get("CERTREG_MODEL_STEPS", "12"))
MAX_FILINGS = 3  # per example

ROLES = ("depositor", "reviewer", "instructor", "commission", "director", "si_admin")
# Who may do what (the others get 403), from review's procedure table and filings' routes.
ALLOWED = {
    "withdraw": {"depositor"},
    "submit": {"depositor"},
    "complete": {"reviewer"},
    "incomplete": {"reviewer"},
    "admissible": {"reviewer"},
    "inadmissible": {"reviewer"},
    "assign": {"reviewer", "director"},
    "request": {"instructor"},
    "ready": {"instructor"},
    "favourable": {"commission"},
    "unfavourable": {"commission"},
    "adjourned": {"commission"},
    "register": {"director"},
    "publish": {"director"},
    "refuse": {"director"},
    "abandon": {"director"},
    "withdraw_admissibility": {"director"},
}
ACTIONS = tuple(ALLOWED)
# The notification the depositor gets for each step of review's staff that succeeds.
TOLD = {
    "incomplete": "case_incomplete",
    "admissible": "case_admissible",
    "inadmissible": "case_inadmissible",
    "request": "request_opened",
    "favourable": "case_opinion",
    "unfavourable": "case_opinion",
    "adjourned": "case_opinion",
    "publish": "case_registered",  # the decision (register) waits for the Journal officiel: told then
    "refuse": "case_refused",
    "abandon": "case_abandoned",
    "withdraw_admissibility": "case_admissibility_withdrawn",
}
TRACKED = {*TOLD.values(), *WITHDRAWAL_OUTCOMES, SUBMISSION_REFUSED}
# The steps that move a case on from each state (a withdrawal possible almost everywhere).
NEXT: dict[str, tuple[str, ...]] = {
    "received": ("complete", "complete", "incomplete", "withdraw"),
    "incomplete": ("submit",),
    "completeness_ok": ("admissible", "admissible", "inadmissible"),
    "inadmissible": ("submit",),
    "admissible": ("assign",),
    "under_instruction": ("ready", "ready", "ready", "request", "withdraw_admissibility"),
    "awaiting_complement": ("submit", "abandon", "withdraw"),
    "ready_for_commission": ("favourable", "favourable", "unfavourable", "adjourned"),
    "scheduled": ("favourable", "unfavourable", "adjourned"),
    "adjourned": ("submit",),
    "favourable": ("register", "register", "refuse", "withdraw"),
    "unfavourable": ("refuse",),
    "awaiting_publication": ("publish",),
}


class LoopThread:
    """An event loop of its own in a thread: the platform lives there, the state
    machine's (synchronous) rules hand it coroutines and wait for them."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="model-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Running:
    """The embedded platform, started once for every example of the test."""

    def __init__(self, folder: Path) -> None:
        self.loop = LoopThread()
        self._context = embedded_platform(folder)
        p = self.loop.run(self._context.__aenter__())
        self.office = self.loop.run(Office(p).open())

    def close(self) -> None:
        self.loop.run(self._context.__aexit__(None, None, None))
        self.loop.stop()


RUNNING: Running | None = None
SEEN: Counter[str] = Counter()  # what the runs did that changed something, and the final states reached


class Procedure(RuleBasedStateMachine):
    filings = Bundle("filings")

    def __init__(self) -> None:
        super().__init__()
        assert RUNNING is not None
        self.running = RUNNING
        self.office = RUNNING.office
        self.mine: list[str] = []
        self.final: dict[str, str] = {}  # filing -> the final state first seen
        self.expected: dict[str, Counter[str]] = {}  # filing -> notifications owed, by kind
        self.depositor_steps: dict[str, list[int]] = {}  # filing -> answers to its withdrawals/submissions
        # filing -> the due date of its last request: each new one is due later, since the
        # bell does not ring again for a text it already shows unread (the same dossier,
        # the same due date: notifier's _new_to), and the model owes one per request.
        self.last_due: dict[str, date] = {}

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.running.loop.run(coro)

    # ------------------------------------------------------------------ making filings

    def _new(self) -> str:
        filing_id = self.run(self.office.case())
        self.mine.append(filing_id)
        self.expected[filing_id] = Counter()
        return filing_id

    @initialize(target=filings, start=st.sampled_from(("received", "under_instruction", "awaiting_complement", "adjourned", "favourable")))
    def first_filing(self, start: str) -> str:
        """The first case starts anywhere in the procedure (random steps from the start
        rarely get past the formal control)."""
        filing_id = self._new()
        o = self.office
        if start == "under_instruction":
            self.run(o.to_instruction(filing_id))
        elif start == "awaiting_complement":
            self.run(o.to_awaiting(filing_id, overdue=False))
        elif start in ("adjourned", "favourable"):
            self.run(o.to_opinion(filing_id, start))
        told = {"under_instruction": ["admissible"], "awaiting_complement": ["admissible", "request"]}
        for action in told.get(start, ["admissible", start] if start != "received" else []):
            self.expected[filing_id][TOLD[action]] += 1
        return filing_id

    @precondition(lambda self: len(self.mine) < MAX_FILINGS)
    @rule(target=filings)
    def another_filing(self) -> str:
        return self._new()

    # ------------------------------------------------------------------ acting

    def _call(self, filing_id: str, action: str, role: str) -> Awaitable[httpx.Response]:
        """The request ``action`` makes, sent with ``role``'s token."""
        o, c = self.office, self.office.client
        headers = o.depositor if role == "depositor" else o.staff(role)
        today = o.today()
        review = f"/api/review/cases/{filing_id}"
        if action == "withdraw":
            return c.post(f"/api/filings/{filing_id}/withdraw", json={}, headers=headers)
        if action == "submit":
            return c.post(f"/api/filings/{filing_id}/submit", json={"sworn_statement": True}, headers=headers)
        if action in ("complete", "incomplete"):
            body: dict[str, Any] = {"complete": action == "complete", "missing": [], "message": ""}
            if action == "incomplete":
                body.update(missing=["summary"], message="Le résumé est à préciser.", due_date=(today + timedelta(days=10)).isoformat())
            return c.post(f"{review}/completeness", json=body, headers=headers)
        if action in ("admissible", "inadmissible"):
            body = {"admissible": action == "admissible"}
            if action == "inadmissible":
                body["recommendations"] = "Reprenez le référentiel d'évaluation."
            return c.post(f"{review}/admissibility", json=body, headers=headers)
        if action == "assign":
            return c.post(f"{review}/assignment", json={"instructor_id": str(o.instructor_id)}, headers=headers)
        if action == "request":
            # After any earlier request's (its first may come from the start state, due the
            # first working day from two days after it was opened, never later than this).
            soonest = today + timedelta(days=2)
            previous = self.last_due.get(filing_id, working_day_from(soonest))
            due = self.last_due[filing_id] = working_day_from(max(soonest, previous + timedelta(days=1)))
            body = {"items": [{"question": "Combien de promotions ?"}], "message": "Une précision.", "due_date": due.isoformat()}
            return c.post(f"{review}/requests", json=body, headers=headers)
        if action == "ready":
            return c.post(f"{review}/ready", headers=headers)
        if action in ("favourable", "unfavourable", "adjourned"):
            return self._opinion(filing_id, action, headers)
        if action in ("register", "refuse"):
            body = {"register": action == "register", "motivation": "Décision motivée."}
            return c.post(f"{review}/decision", json=body, headers=headers)
        if action == "publish":
            body = {"jo_date": today.isoformat(), "jo_reference": "JORF n°1 texte n° 1", "effective_date": today.isoformat()}
            return c.post(f"{review}/publication", json=body, headers=headers)
        if action == "abandon":
            return c.post(f"{review}/abandon", json={"reason": "Sans réponse."}, headers=headers)
        assert action == "withdraw_admissibility"
        return c.post(f"{review}/withdraw-admissibility", json={"reason": "Données falsifiées."}, headers=headers)

    async def _opinion(self, filing_id: str, opinion: str, headers: dict[str, str]) -> httpx.Response:
        """Put on today's session's agenda (if ready), then the opinion."""
        o = self.office
        session = await o.session_today()
        await o.client.post(f"/api/review/sessions/{session}/agenda", json={"filing_id": filing_id}, headers=headers)
        body: dict[str, Any] = {"filing_id": filing_id, "opinion": opinion}
        if opinion != "favourable":
            body["reasons"] = [{"criterion": "qualite_referentiels", "text": "À préciser."}]
        if opinion == "adjourned":
            body["resubmission_due"] = (o.today() + timedelta(days=2)).isoformat()
        return await o.client.post(f"/api/review/sessions/{session}/opinions", json=body, headers=headers)

    def _judge(self, filing_id: str, action: str, role: str, response: httpx.Response) -> None:
        """The answer fits the role and the state; what the depositor is owed is noted."""
        code = response.status_code
        assert code < 500, f"{action} by {role}: {code} {response.text}"
        if role not in ALLOWED[action]:
            assert code in (403, 409), f"{action} by {role}: {code} {response.text}"  # 409: a draft-side check may come first
            return
        not_theirs = code == 403 and response.json().get("code") == "not_assignee"  # an instructor acts on their cases only
        assert code in (200, 201, 202, 409, 422) or not_theirs, f"{action} by {role}: {code} {response.text}"
        if code >= 300:
            return
        SEEN[action] += 1
        if action in TOLD:
            self.expected[filing_id][TOLD[action]] += 1
        if action in ("withdraw", "submit"):
            self.depositor_steps.setdefault(filing_id, []).append(code)

    def _act(self, filing_id: str, action: str, role: str) -> None:
        response = self.run(self._send(filing_id, action, role))
        self._judge(filing_id, action, role, response)

    async def _send(self, filing_id: str, action: str, role: str) -> httpx.Response:
        return await self._call(filing_id, action, role)

    @rule(filing=filings, action=st.sampled_from(ACTIONS), role=st.sampled_from(ROLES))
    def act(self, filing: str, action: str, role: str) -> None:
        """Anyone tries anything."""
        self._act(filing, action, role)

    @rule(filing=filings, action=st.sampled_from(ACTIONS))
    def act_as_allowed(self, filing: str, action: str) -> None:
        """The one who may, tries (so that the procedure moves on)."""
        self._act(filing, action, sorted(ALLOWED[action])[0])

    @rule(filing=filings, pick=st.integers(0, 11))
    def advance(self, filing: str, pick: int) -> None:
        """The one who may takes the case one step on from where it is (else a random
        walk rarely gets past the formal control)."""
        from review.adapters.tables import Case

        [case] = self.office.p.rows("review", Case, filing_id=uuid.UUID(filing))
        choices = NEXT.get(case.status, ("withdraw",))
        action = choices[pick % len(choices)]
        self._act(filing, action, sorted(ALLOWED[action])[0])

    @precondition(lambda self: sqlite_locks_rows())  # two writers at once need SQLite's row locking (issue 15, point 1)
    @rule(
        filing=filings,
        depositor=st.sampled_from(("withdraw", "submit", "submit")),
        staff=st.sampled_from(("register", "refuse", "abandon", "withdraw_admissibility", "request", "favourable", "adjourned")),
    )
    def at_the_same_time(self, filing: str, depositor: str, staff: str) -> None:
        """The depositor and review's staff act on the same case at once."""
        staff_role = sorted(ALLOWED[staff])[0]
        answers = self.run(at_once([lambda: self._send(filing, depositor, "depositor"), lambda: self._send(filing, staff, staff_role)]))
        for (action, role), answer in zip(((depositor, "depositor"), (staff, staff_role)), answers, strict=True):
            assert isinstance(answer, httpx.Response), answer
            self._judge(filing, action, role, answer)

    @rule(days=st.sampled_from((1, 3)))
    def time_passes(self, days: int) -> None:
        """Deadlines pass; the sweeper runs (adjourned dossiers go back as they are)."""
        self.office.p.advance_clock(days=days)
        self.run(self.office.sweep())

    # ------------------------------------------------------------------ what must hold

    @invariant()
    def everything_agrees(self) -> None:
        if not self.mine:
            return
        views = self.run(self._views())
        for filing_id, view in views.items():
            check_agreement(view)
            # A final state never changes.
            if filing_id in self.final:
                assert view.case_status == self.final[filing_id], (filing_id, self.final[filing_id], view.case_status)
            elif view.case_status in TERMINAL_CASE_STATUSES:
                self.final[filing_id] = view.case_status
                SEEN[f"final:{view.case_status}"] += 1
            # One notification for each step the depositor must know about.
            owed = self.expected[filing_id]
            told = {kind: view.notifications.get(kind, 0) for kind in TRACKED}
            withdrawals = sum(told[k] for k in WITHDRAWAL_OUTCOMES)
            accepted_withdrawals = self.depositor_steps.get(filing_id, []).count(202)
            # 202 answers withdraw (request) and submit alike: what the depositor is owed is
            # one withdrawal outcome per withdrawal request, checked from the audit trail.
            asked = view.actions.count("withdraw") + view.actions.count("withdrawal_refused")
            assert withdrawals == asked, (filing_id, told, view.actions)
            assert withdrawals <= accepted_withdrawals, (filing_id, told, self.depositor_steps.get(filing_id))
            assert told[SUBMISSION_REFUSED] == view.actions.count("submission_refused"), (filing_id, told, view.actions)
            for kind in TOLD.values():
                assert told[kind] == owed[kind], (filing_id, kind, told[kind], owed[kind], view.actions)
        numbers = self.run(self._numbers())
        for repertoire, found in numbers.items():
            values = sorted(int(re.sub(r"\D", "", n)) for n in found)
            assert len(values) == len(set(values)), (repertoire, found)
            assert values == list(range(values[0], values[0] + len(values))), (repertoire, found)

    async def _views(self) -> dict[str, Any]:
        o = self.office
        await settle_everywhere(o.p)
        views = {}
        for filing_id in self.mine:
            filing = (await o.client.get(f"/api/filings/{filing_id}", headers=o.depositor)).json()
            views[filing_id] = o.settled_view(filing_id, filing)
        return views

    async def _numbers(self) -> dict[str, list[str]]:
        from review.adapters.tables import Case

        found: dict[str, list[str]] = {}
        for case in self.office.p.rows("review", Case):
            if case.registration_number is not None:
                assert case.status in ("awaiting_publication", "registered"), (case.filing_id, case.status, case.registration_number)
                found.setdefault(case.repertoire, []).append(case.registration_number)
        return found


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    global RUNNING
    RUNNING = Running(tmp_path)
    try:
        yield RUNNING
    finally:
        RUNNING.close()
        RUNNING = None


def test_the_procedure_holds_whatever_is_done(running: Running) -> None:
    run_state_machine_as_test(
        Procedure,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            # The platform outlives each example: replaying or shrinking one does not start
            # from the same world, so a failure is reported as found, steps printed.
            phases=(Phase.explicit, Phase.generate),
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    done = dict(sorted(SEEN.items()))
    print(f"\nprocedure model: {EXAMPLES} examples × up to {STEPS} steps, invariants after each step; done: {done}")
