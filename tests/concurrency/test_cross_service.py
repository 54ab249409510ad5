"""Two services, one procedure (issue 15, point 2): a depositor's action in filings
against a decision in review on the same case — withdraw vs register, refuse, abandon;
an answer vs abandonment; an improved dossier vs the return to the commission as it was.

Each pair is tried in three orders, ROUNDS times each, on a platform embedded (SQLite,
in-process bus) and on PostgreSQL and RabbitMQ: the depositor first, the staff first
(each time the second acts while the first one's events are still between the
services), and both at once (threads released by one barrier). Once everything is
handled: filing and case show the same state, a withdrawn dossier has no registration
number, a registered one is not withdrawn, the audit chain holds, and the depositor was
told once how their request ended. ``-s`` prints the outcomes."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import httpx
import pytest

from certreg_testing.infra import unique_namespace
from certreg_testing.platform import embedded_platform
from certreg_testing.procedure import (
    SUBMISSION_REFUSED,
    WITHDRAWAL_OUTCOMES,
    Office,
    SettledView,
    at_once,
    check_agreement,
    in_order,
    sqlite_locks_rows,
)

ROUNDS = int(os.environ.get("CERTREG_TEST_ARBITRATION_ROUNDS", "1"))
"""Each order of each pair is tried this many times, in each mode (CI: once; more by hand)."""
ORDERS = ("depositor_first", "staff_first", "simultaneous")


@pytest.fixture(scope="module", params=["embedded", "infra"])
async def office(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Office]:
    """The module's tests once in each mode (one platform per mode, made before the
    per-test namespace cleanup starts counting: the platform's bus outlives each test)."""
    settings: dict[str, Any] = {}
    if request.param == "embedded" and not sqlite_locks_rows():
        pytest.skip("the embedded mode's SQLite does not lock rows read FOR UPDATE yet (issue 15, point 1)")
    if request.param == "infra":
        postgres, amqp_url = request.getfixturevalue("postgres"), request.getfixturevalue("amqp_url")
        settings = {"database_url": postgres.database_url_template(), "amqp_url": amqp_url, "bus_namespace": unique_namespace()}
    async with embedded_platform(tmp_path_factory.mktemp(f"arbitration-{request.param}"), **settings) as p:
        yield await Office(p).open()


async def race(order: str, depositor: Callable[[], Awaitable[httpx.Response]], staff: Callable[[], Awaitable[Any]]) -> list[Any]:
    """The depositor's and the staff's action in ``order``; the answers (depositor's first)."""
    if order == "simultaneous":
        return await at_once([depositor, staff])
    if order == "depositor_first":
        return await in_order([depositor, staff])
    staff_answer, depositor_answer = await in_order([staff, depositor])
    return [depositor_answer, staff_answer]


def raced(action: Callable[[str], Awaitable[Any]], filing_id: str) -> Callable[[], Awaitable[Any]]:
    return partial(action, filing_id)


async def races(
    cases: list[str],
    depositor: Callable[[str], Callable[[], Awaitable[httpx.Response]]],
    staff: Callable[[str], Callable[[], Awaitable[Any]]],
) -> list[list[Any]]:
    """One race per case, the order by the case's place (each order ROUNDS times); the
    races of different cases run together (they share nothing but the platform)."""
    return list(await asyncio.gather(*(race(ORDERS[i % len(ORDERS)], depositor(f), staff(f)) for i, f in enumerate(cases))))


def status_of(answer: Any) -> int:
    if isinstance(answer, httpx.Response):
        return answer.status_code
    if isinstance(answer, Exception):
        raise answer
    return 200  # the sweeper: it answers with a report


def report(pair: str, office: Office, outcomes: Counter[str]) -> None:
    mode = "infra" if office.p.settings.amqp_url else "embedded"
    total = sum(outcomes.values())
    print(f"\ncross-service {pair} [{mode}]: {total} races ({ROUNDS} per order × {len(ORDERS)} orders) -> {dict(sorted(outcomes.items()))}")


def withdrawal_told_once(view: SettledView, withdraw: int) -> None:
    """A withdrawal filings took (202) ends in exactly one notification saying how; one it
    refused at once (409: the case was already final) in none — the answer said it."""
    told = {kind: view.notifications.get(kind, 0) for kind in WITHDRAWAL_OUTCOMES}
    if withdraw == 202:
        expected = "case_withdrawn" if view.case_status == "withdrawn" else "case_withdrawal_refused"
        assert told == {k: int(k == expected) for k in WITHDRAWAL_OUTCOMES}, (view.case_status, view.notifications)
    else:
        assert withdraw == 409 and sum(told.values()) == 0, (withdraw, view.notifications)


async def prepared(office: Office, setup: Callable[[str], Awaitable[None]]) -> list[str]:
    """ROUNDS cases per order, made together, each taken through ``setup``."""

    async def one() -> str:
        filing_id = await office.case()
        await setup(filing_id)
        return filing_id

    return list(await asyncio.gather(*(one() for _ in range(ROUNDS * len(ORDERS)))))


async def withdraw_against(
    office: Office, pair: str, setup: Callable[[str], Awaitable[None]], staff: Callable[[str], Awaitable[Any]]
) -> None:
    outcomes: Counter[str] = Counter()
    cases = await prepared(office, setup)
    answers = await races(cases, partial(raced, office.withdraw), partial(raced, staff))
    for i, (filing_id, (withdraw, decision)) in enumerate(zip(cases, answers, strict=True)):
        order = ORDERS[i % len(ORDERS)]
        w, d = status_of(withdraw), status_of(decision)
        assert w in (202, 409) and d in (200, 409), (withdraw, decision)
        view = await office.view(filing_id)
        check_agreement(view)
        assert view.case_status in ("withdrawn", "awaiting_publication", "refused", "abandoned"), view.case_status
        assert (d == 200) == (view.case_status != "withdrawn"), (d, view.case_status)
        withdrawal_told_once(view, w)
        outcomes[f"{order}:{view.case_status}"] += 1
    report(pair, office, outcomes)


async def test_withdrawal_against_registration(office: Office) -> None:
    await withdraw_against(
        office, "withdraw vs register", lambda f: office.to_opinion(f, "favourable"), lambda f: office.decide(f, register=True)
    )


async def test_withdrawal_against_refusal(office: Office) -> None:
    await withdraw_against(
        office, "withdraw vs refuse", lambda f: office.to_opinion(f, "unfavourable"), lambda f: office.decide(f, register=False)
    )


async def test_withdrawal_against_abandonment(office: Office) -> None:
    async def overdue(filing_id: str) -> None:
        await office.to_awaiting(filing_id, overdue=False)

    async def abandon(filing_id: str) -> httpx.Response:
        if not overdue_set:
            office.p.advance_clock(days=3)  # every request of the batch overdue: the director may declare abandonment
            overdue_set.append(True)
        return await office.abandon(filing_id)

    overdue_set: list[bool] = []
    await withdraw_against(office, "withdraw vs abandon", overdue, abandon)


def submission_told(view: SettledView, submit: int) -> bool:
    """A round filings took (202) is either the case's round now, or refused by review
    with exactly one notification saying why; True when it was taken."""
    refused = view.notifications.get(SUBMISSION_REFUSED, 0)
    if submit != 202:
        assert submit == 409 and refused == 0, (submit, view.notifications)
        return False
    taken = bool(view.case_round == view.filing["submission_round"])
    assert refused == (0 if taken else 1), (view.case_round, view.filing["submission_round"], view.notifications)
    if not taken:
        assert "submission_refused" in view.actions
    return taken


async def test_an_answer_against_abandonment(office: Office) -> None:
    outcomes: Counter[str] = Counter()
    cases = await prepared(office, lambda f: office.to_awaiting(f, overdue=False))
    office.p.advance_clock(days=3)  # every request overdue: the director may declare the cases abandoned
    answers = await races(cases, partial(raced, office.submit), partial(raced, office.abandon))
    for i, (filing_id, (answer, abandon)) in enumerate(zip(cases, answers, strict=True)):
        order = ORDERS[i % len(ORDERS)]
        a, d = status_of(answer), status_of(abandon)
        assert a in (202, 409) and d in (200, 409), (answer, abandon)
        view = await office.view(filing_id)
        check_agreement(view)
        taken = submission_told(view, a)
        # One of the two won: abandoned (the answer refused or never sent), or back under instruction.
        assert (view.case_status, taken, d) in (("abandoned", False, 200), ("under_instruction", True, 409)), (view.case_status, a, d)
        outcomes[f"{order}:{view.case_status}"] += 1
    report("answer vs abandon", office, outcomes)


async def test_an_improved_dossier_against_the_return_to_commission(office: Office) -> None:
    """The sweeper's step for one adjourned dossier past its deadline, against the
    depositor's improved dossier."""
    outcomes: Counter[str] = Counter()
    cases = await prepared(office, lambda f: office.to_opinion(f, "adjourned"))
    office.p.advance_clock(days=3)  # the deadline for an improved dossier has passed
    answers = await races(cases, partial(raced, office.submit), partial(raced, office.return_to_commission))
    for i, (filing_id, (improved, returned)) in enumerate(zip(cases, answers, strict=True)):
        order = ORDERS[i % len(ORDERS)]
        s = status_of(improved)
        status_of(returned)
        assert s in (202, 409), improved
        view = await office.view(filing_id)
        check_agreement(view)
        taken = submission_told(view, s)
        assert view.case_status in ("ready_for_commission", "scheduled"), view.case_status
        last_move = [e["action"] for e in view.audit if e["action"] in ("improve", "return_to_commission")]
        assert last_move == (["improve"] if taken else ["return_to_commission"]), (view.actions, s)
        outcomes[f"{order}:{'improved' if taken else 'returned'}"] += 1
    report("improve vs return to commission", office, outcomes)
