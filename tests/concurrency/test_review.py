"""Review: two staff (or two clicks) on one step of one case — one transition, one
history (the audit chain's entries consecutive, each starting where the last ended)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from review.adapters.tables import CommissionSession

from .conftest import ROUNDS, Served, report

N = 4


def history(served: Served, filing_id: str) -> list[str]:
    """The case's actions, in order; its audit entries form one history and each change
    of state was announced once (``review.case.status_changed``, committed with it)."""
    timeline = served.timeline(filing_id)
    changes = [e for e in timeline if e[3] is not None and e[2] != e[3]]
    announced = served.p.emitted("review", "review.case.status_changed", filing_id=filing_id)
    assert len(announced) == len(changes), (announced, timeline)
    return [e[1] for e in timeline]


async def one_step_at_once(served: Served, filing_id: str, step: str, body: Any, headers: dict[str, str]) -> list[int]:
    answers = await served.at_once([("POST", f"/api/review/cases/{filing_id}/{step}", {"json": body, "headers": headers})] * N)
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * (N - 1), [(a.status_code, a.text) for a in answers]
    return codes


async def test_simultaneous_completeness_checks_make_one_transition(served: Served) -> None:
    statuses = []
    for filing_id in await served.cases():
        body = {"complete": True, "missing": [], "message": ""}
        statuses.append(await one_step_at_once(served, filing_id, "completeness", body, served.staff("reviewer")))
        assert history(served, filing_id).count("completeness") == 1
    report("review completeness", served.mode, ROUNDS, N, statuses)


async def test_simultaneous_admissibility_decisions_make_one_transition(served: Served) -> None:
    statuses = []
    for filing_id in await served.cases(served.complete):
        statuses.append(await one_step_at_once(served, filing_id, "admissibility", {"admissible": True}, served.staff("reviewer")))
        assert history(served, filing_id).count("admissibility") == 1
    report("review admissibility", served.mode, ROUNDS, N, statuses)


async def test_simultaneous_assignments_start_instruction_once(served: Served) -> None:
    """Giving a case to an instructor again is allowed (a reassignment, 200): the same
    assignment sent N times at once is N reassignments in a row, one of which (the
    first) starts the instruction."""
    statuses = []
    for filing_id in await served.cases(served.admissible):
        body = {"instructor_id": str(served.instructor_id)}
        call = ("POST", f"/api/review/cases/{filing_id}/assignment", {"json": body, "headers": served.staff("reviewer")})
        answers = await served.at_once([call] * N)
        codes = [a.status_code for a in answers]
        statuses.append(codes)
        assert codes == [200] * N, [a.text for a in answers]
        timeline = served.timeline(filing_id)
        assigned = [e for e in timeline if e[1] == "assign"]
        assert len(assigned) == N
        assert [(e[2], e[3]) for e in assigned] == [("admissible", "under_instruction")] + [("under_instruction", "under_instruction")] * (
            N - 1
        )
        assert history(served, filing_id).count("assign") == N
    report("review assignment", served.mode, ROUNDS, N, statuses)


async def test_simultaneous_decisions_register_once(served: Served) -> None:
    statuses = []
    numbers = []
    filing_ids = await served.cases()
    await served.favourable(filing_ids)
    for filing_id in filing_ids:
        call = (
            "POST",
            f"/api/review/cases/{filing_id}/decision",
            {"json": {"register": True, "motivation": "Conforme."}, "headers": served.staff("director")},
        )
        answers = await served.at_once([call] * N)
        codes = sorted(a.status_code for a in answers)
        statuses.append(codes)
        assert codes == [200] + [409] * (N - 1), [(a.status_code, a.text) for a in answers]
        numbers.append(next(a for a in answers if a.status_code == 200).json()["registration_number"])
        assert history(served, filing_id).count("register") == 1
    assert len(set(numbers)) == len(numbers), numbers
    report("review decision", served.mode, ROUNDS, N, statuses)


async def test_simultaneous_sessions_on_one_date_make_one_session(served: Served) -> None:
    """Two commission members scheduling the same day at once (issue 15): one session,
    the others a clear 409 — the unique date settles the race (an IntegrityError on the
    insert, answered 409 ``concurrent_update`` by the web layer, never a 500)."""
    statuses = []
    for _ in range(ROUNDS):
        day = served.today() + timedelta(days=random.randint(400, 4000))
        while day.month == 8 or served.p.rows("review", CommissionSession, date=day):
            day += timedelta(days=1)
        call = ("POST", "/api/review/sessions", {"json": {"date": day.isoformat()}, "headers": served.staff("commission")})
        answers = await served.at_once([call] * N)
        codes = sorted(a.status_code for a in answers)
        statuses.append(codes)
        assert codes == [201] + [409] * (N - 1), [(a.status_code, a.text) for a in answers]
        assert all(a.json()["code"] in ("session_exists", "concurrent_update") for a in answers if a.status_code == 409)
        created = next(a for a in answers if a.status_code == 201).json()
        assert [str(s.id) for s in served.p.rows("review", CommissionSession, date=day)] == [created["id"]]
        assert len(served.p.emitted("review", "review.session.created", date=day.isoformat())) == 1
    report("review session creation", served.mode, ROUNDS, N, statuses)
