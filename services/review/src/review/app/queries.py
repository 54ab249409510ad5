"""The read side: the back office's case list (route, CSV export and bench share it), one
case with everything around it, sessions and agendas, the dialogue, the public registry."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import aliased, load_only
from sqlmodel import Session, col, select

from certreg_contracts.calendar import paris_date
from certreg_runtime.auth import Principal
from certreg_runtime.db import is_postgres
from certreg_runtime.errors import not_found
from review.adapters import audit_log, registry_feed
from review.adapters.registry_feed import CERTIFIER, ROUTE_BITS
from review.adapters.tables import (
    AgendaItem,
    AuditEntry,
    Case,
    Certifier,
    CommissionSession,
    Decision,
    InfoRequest,
    Message,
    Opinion,
    RegistryChange,
    RegistryCode,
    RegistryEntry,
    RegistryRecord,
    StaffMember,
)
from review.app.deps import ReviewDeps
from review.app.renewals import Renewal, renewal_of
from review.app.transitions import visible_case
from review.domain import procedure, rules

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of a list and how many match: exactly ``total``, or, when
    ``total_is_lower_bound``, more than ``total`` (counting stopped there)."""

    items: list[T]
    total: int
    total_is_lower_bound: bool = False


# ---------------------------------------------------------------- the case list

# What a line of the case list shows (and the list query reads, nothing more).
LIST_FIELDS = (
    "filing_id",
    "entity_id",
    "repertoire",
    "title",
    "qualification_level",
    "status",
    "overdue",
    "due_date",
    "due_explanation",
    "assignee_id",
    "session_id",
    "registration_number",
    "submission_round",
    "opened_at",
    "updated_at",
    "organisation",
    "reference",
    "registration_type",
)
LIST_COLUMNS = tuple(sa.inspect(Case).columns[name] for name in LIST_FIELDS)
# What the list adds from review's directories: the certifier's SIRET, the assignee's name.
JOINED_COLUMNS: tuple[Any, ...] = (col(Certifier.siret).label("siret"), col(StaffMember.name).label("assignee_name"))

# ``?sort=``: the sortable columns (``-`` before the key for descending), each indexed with
# the id as tie-breaker (``ix_cases_sort_*``, ``ix_cases_status``).
SORTS: dict[str, Any] = {
    "deposited": Case.opened_at,
    "due": Case.due_date,
    "title": Case.title,
    "organisation": Case.organisation,
    "status": Case.status,
    "updated": Case.updated_at,
}
NULLABLE_SORTS = frozenset({"due", "organisation"})


@dataclass(frozen=True)
class CaseFilters:
    status: tuple[str, ...] = ()
    assignee: uuid.UUID | None = None
    unassigned: bool = False
    repertoire: str | None = None
    overdue: bool | None = None
    registration_type: str | None = None  # on_request | by_right
    q: str | None = None
    ids: tuple[uuid.UUID, ...] = ()  # a selection (the CSV of the cases ticked in a queue)
    sort: str | None = None  # a key of SORTS, "-" first for descending; None: overdue first, newest first


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(filters: CaseFilters) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if filters.status:
        where.append(col(Case.status).in_(filters.status) if len(filters.status) > 1 else col(Case.status) == filters.status[0])
    if filters.assignee is not None:
        where.append(col(Case.assignee_id) == filters.assignee)
    elif filters.unassigned:
        where.append(col(Case.assignee_id).is_(None))
    if filters.repertoire:
        where.append(col(Case.repertoire) == filters.repertoire)
    if filters.registration_type:
        where.append(col(Case.registration_type) == filters.registration_type)
    if filters.overdue is not None:
        where.append(col(Case.overdue) == filters.overdue)
    if searching(filters):
        where.append(col(Case.search).like(f"%{escape_like(search_term(filters.q or ''))}%", escape="\\"))
    if filters.ids:
        where.append(col(Case.filing_id).in_(filters.ids))
    return where


def searching(filters: CaseFilters) -> bool:
    """Whether the list looks for a text (``?q=`` not blank)."""
    return bool(filters.q and filters.q.strip())


def search_term(q: str) -> str:
    """What ``?q=`` looks for in ``Case.search``: lower-case; a SIRET or SIREN typed in
    groups ("123 456 789 00012") without its spaces."""
    term = " ".join(q.lower().split())
    return term.replace(" ", "") if term.replace(" ", "").isdigit() else term


ORDER = (col(Case.overdue).desc(), col(Case.opened_at).desc(), col(Case.filing_id).desc())


def order_of(sort: str | None) -> tuple[Any, ...]:
    """The list's ORDER BY: the default (overdue first, newest first), or one sortable
    column with the id after it in the same direction, so that one index serves both
    directions. An empty value (no deadline, organisation not known yet) counts as the
    greatest on both databases: last ascending, first descending — PostgreSQL's own
    order, which its index scans give without sorting (SQLite is told explicitly)."""
    if not sort:
        return ORDER
    descending = sort.startswith("-")
    column = col(SORTS[sort.lstrip("-")])
    nullable = sort.lstrip("-") in NULLABLE_SORTS
    if descending:
        return (column.desc().nulls_first() if nullable else column.desc(), col(Case.filing_id).desc())
    return (column.asc().nulls_last() if nullable else column.asc(), col(Case.filing_id).asc())


def _with_names(select: Any) -> Any:
    return select.outerjoin(Certifier, col(Certifier.entity_id) == col(Case.entity_id)).outerjoin(
        StaffMember, col(StaffMember.account_id) == col(Case.assignee_id)
    )


CASE_COUNT_CAP = 1_000
"""The case list counts its matches up to this many (more: ``total_is_lower_bound``)."""


def list_cases(session: Session, filters: CaseFilters, *, limit: int = 50, offset: int = 0) -> Page[dict[str, Any]]:
    """One page of cases (overdue first, newest first, or ``filters.sort``) and how many match.

    Counting every match cost ~15 ms of each request at 100k cases (all of ``ix_cases_list``
    for the whole list), so the total is counted only when the page does not tell it, and
    then up to a cap, as the registry's search does (bench/bench_cases.py):
    - the page reads one case more than ``limit``: a page that ends the list gives its total
      without counting; a full page with a next one past ``CASE_COUNT_CAP`` gives "more than
      the page's end" without counting either (a deep page costs its page, not a count);
    - otherwise at most ``CASE_COUNT_CAP`` + 1 matching index entries are counted: past the
      cap the answer is "more than ``CASE_COUNT_CAP``", never a guess.
    ``total`` is thus never short of the page's end, so a next page is known to exist.

    A text search (``filters.q``) on PostgreSQL is planned with ``random_page_cost`` 1.1 for
    its transaction (the table and its indexes stay in memory, as the registry's search
    assumes): at the default (4, for disks) a text with a status walked the whole list's
    index in order, reading each case's row, rather than the status's own index (8 ms
    against 0.5 at 100k; the same for a repertoire). It takes effect only in a transaction
    (``case_page`` opens one for a text search)."""
    if searching(filters) and is_postgres(session.get_bind()):
        session.execute(sa.text("SELECT set_config('random_page_cost', '1.1', true)"))
    where = _where(filters)
    order = order_of(filters.sort)
    # Deferred join: the page's ids come from the index alone (deep offsets skip index
    # entries, not table rows), then only those rows are read.
    page = sa.select(col(Case.filing_id)).where(*where).order_by(*order).limit(limit + 1).offset(offset).subquery()
    rows = [
        dict(r)
        for r in session.execute(
            _with_names(sa.select(*LIST_COLUMNS, *JOINED_COLUMNS).join(page, page.c.filing_id == col(Case.filing_id))).order_by(*order)
        ).mappings()
    ]
    more, rows = len(rows) > limit, rows[:limit]
    if not more and (rows or offset == 0):
        return Page(rows, offset + len(rows))
    end = offset + limit
    if more and end >= CASE_COUNT_CAP:
        return Page(rows, end, True)
    cap = max(CASE_COUNT_CAP, end)
    counted = count_up_to(session, Case, where, cap)
    return Page(rows, min(counted, cap), counted > cap)


def count_up_to(session: Session, source: Any, where: list[sa.ColumnElement[bool]], cap: int) -> int:
    """How many rows of ``source`` match ``where``, reading at most ``cap`` + 1 of them: more
    than ``cap`` comes out as ``cap`` + 1 (the lists' capped totals)."""
    capped = sa.select(sa.literal(1)).select_from(source).where(*where).limit(cap + 1).subquery()
    return int(session.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one())


def iter_cases(session: Session, filters: CaseFilters, *, chunk: int = 1000) -> Iterator[dict[str, Any]]:
    """Every matching case in list order (CSV export), fetched in chunks."""
    result = session.execute(
        _with_names(sa.select(*LIST_COLUMNS, *JOINED_COLUMNS))
        .where(*_where(filters))
        .order_by(*order_of(filters.sort))
        .execution_options(yield_per=chunk)
    ).mappings()
    for row in result:
        yield dict(row)


def pending_publications(deps: ReviewDeps) -> Iterator[dict[str, Any]]:
    """The registrations decided and not yet published in the Journal officiel (the
    ``awaiting_publication`` cases with their decision), oldest decision first: the list
    the back office sends for publication (issue 12, point 5)."""
    with deps.uow() as uow:
        result = uow.session.execute(
            _with_names(
                sa.select(
                    *LIST_COLUMNS,
                    *JOINED_COLUMNS,
                    col(Decision.decision_date).label("decision_date"),
                    col(Decision.years).label("years"),
                ).join(Decision, col(Decision.filing_id) == col(Case.filing_id))
            )
            .where(col(Case.status) == "awaiting_publication")
            .order_by(col(Decision.decision_date), col(Case.registration_number), col(Case.filing_id))
            .execution_options(yield_per=500)
        ).mappings()
        for row in result:
            yield dict(row)


def case_page(deps: ReviewDeps, filters: CaseFilters, *, limit: int, offset: int) -> Page[dict[str, Any]]:
    # A text search plans with its own setting (list_cases): in a transaction, so that it
    # holds for the list's statements only; any other list reads without one.
    with deps.uow() if searching(filters) else deps.reads() as uow:
        return list_cases(uow.session, filters, limit=limit, offset=offset)


def all_cases(deps: ReviewDeps, filters: CaseFilters) -> Iterator[dict[str, Any]]:
    """The export's rows, read while they are sent (the session closes with the iterator)."""
    with deps.uow() as uow:
        yield from iter_cases(uow.session, filters)


# ---------------------------------------------------------------- one case


@dataclass(frozen=True)
class CaseDetail:
    """A case and everything its page shows."""

    case: Case
    session: CommissionSession | None
    requests: list[InfoRequest]
    opinion: Opinion | None
    opinion_session_date: date | None
    decision: Decision | None
    timeline: list[AuditEntry]
    renewal: Renewal | None = None
    today: date | None = None

    def allowed_actions(self, roles: frozenset[str] | set[str]) -> list[str]:
        """What ``roles`` may do now: the procedure's actions, less an opinion the case's
        session has already given (a case scheduled again there is moved, not re-examined)."""
        actions = procedure.allowed_actions(self.case.status, roles, self.case.registration_type)
        if self.opinion is not None and self.opinion.session_id == self.case.session_id and self.case.status == "scheduled":
            actions = [a for a in actions if a != "opinion"]
        return actions


def latest_opinion(session: Session, filing_id: uuid.UUID) -> Opinion | None:
    return session.exec(select(Opinion).where(Opinion.filing_id == filing_id).order_by(col(Opinion.given_at).desc()).limit(1)).first()


def case_detail(session: Session, case: Case, today: date | None = None) -> CaseDetail:
    requests = session.exec(select(InfoRequest).where(InfoRequest.filing_id == case.filing_id).order_by(col(InfoRequest.opened_at))).all()
    opinion = latest_opinion(session, case.filing_id)
    opinion_session = session.get(CommissionSession, opinion.session_id) if opinion else None
    return CaseDetail(
        case=case,
        session=session.get(CommissionSession, case.session_id) if case.session_id else None,
        requests=list(requests),
        opinion=opinion,
        opinion_session_date=opinion_session.date if opinion_session else None,
        decision=session.get(Decision, case.filing_id),
        timeline=audit_log.timeline(session, case.filing_id),
        renewal=renewal_of(session, case),
        today=today,
    )


def get_case(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID) -> CaseDetail:
    with deps.uow() as uow:
        return case_detail(uow.session, visible_case(uow, user, filing_id), paris_date(deps.clock.now()))


# ---------------------------------------------------------------- commission


@dataclass(frozen=True)
class SessionSummary:
    session: CommissionSession
    agenda_count: int


@dataclass(frozen=True)
class AgendaEntry:
    case: Case
    added_at: datetime
    opinion: Opinion | None


@dataclass(frozen=True)
class Agenda:
    session: SessionSummary
    entries: list[AgendaEntry]


def session_summary(session: Session, sess: CommissionSession) -> SessionSummary:
    count = session.execute(sa.select(sa.func.count()).select_from(AgendaItem).where(col(AgendaItem.session_id) == sess.id)).scalar_one()
    return SessionSummary(sess, int(count))


def load_session(session: Session, session_id: uuid.UUID) -> CommissionSession:
    found = session.get(CommissionSession, session_id)
    if found is None:
        raise not_found("session")
    return found


def sessions(deps: ReviewDeps, *, upcoming: bool, limit: int, offset: int, for_filing: uuid.UUID | None = None) -> list[SessionSummary]:
    """Sessions by date; ``for_filing``: only those the case may be put on (not the one it
    is on, none that already gave an opinion on it)."""
    with deps.uow() as uow:
        query = select(CommissionSession)
        if upcoming:
            query = query.where(col(CommissionSession.date) >= paris_date(deps.clock.now()))
        if for_filing is not None:
            examined = select(col(Opinion.session_id)).where(col(Opinion.filing_id) == for_filing)
            query = query.where(col(CommissionSession.id).not_in(examined))
            current = uow.session.exec(select(col(Case.session_id)).where(col(Case.filing_id) == for_filing)).first()
            if current is not None:
                query = query.where(col(CommissionSession.id) != current)
        rows = uow.session.exec(query.order_by(col(CommissionSession.date)).limit(limit).offset(offset)).all()
        return [session_summary(uow.session, s) for s in rows]


def agenda(deps: ReviewDeps, session_id: uuid.UUID) -> Agenda:
    with deps.uow() as uow:
        sess = load_session(uow.session, session_id)
        items = uow.session.exec(select(AgendaItem).where(AgendaItem.session_id == sess.id).order_by(col(AgendaItem.added_at))).all()
        entries = []
        for item in items:
            case = uow.session.get(Case, item.filing_id)
            opinion = uow.session.exec(select(Opinion).where(Opinion.session_id == sess.id, Opinion.filing_id == item.filing_id)).first()
            if case is not None:
                entries.append(AgendaEntry(case, item.added_at, opinion))
        return Agenda(session_summary(uow.session, sess), entries)


# ---------------------------------------------------------------- dialogue


def messages(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, *, limit: int, offset: int) -> list[Message]:
    with deps.uow() as uow:
        case = visible_case(uow, user, filing_id)
        rows = uow.session.exec(
            select(Message).where(Message.filing_id == case.filing_id).order_by(col(Message.posted_at)).limit(limit).offset(offset)
        ).all()
        return list(rows)


# ---------------------------------------------------------------- public registry


@dataclass(frozen=True)
class RegistryFilters:
    """The public registry's search: text, repertoire, level, state on the day, certifier
    (name or SIRET), NSF and ROME codes, an access route; each given filter narrows the list."""

    q: str | None = None
    repertoire: str | None = None
    level: int | None = None
    state: str | None = None  # active | expired | withdrawn
    certifier: str | None = None  # a SIRET (14 digits) or part of a name
    nsf: str | None = None
    rome: str | None = None
    access_route: str | None = None  # certreg_contracts.events.filings.ACCESS_ROUTES


@dataclass(frozen=True)
class RegistrySearch:
    """The registry's search as a query: ``source`` (the entries, or the codes filtered by
    joined together, and the entries when a condition needs them), its conditions, and the
    list's sort key (RNCP then RS, newest number first: ``order``)."""

    source: Any
    number: Any
    where: list[sa.ColumnElement[bool]]
    repertoire: Any
    sequence_value: Any

    @property
    def order(self) -> list[Any]:
        return [self.repertoire, self.sequence_value.desc()]


def _record_filters(filters: RegistryFilters, today: date, t: Any) -> list[sa.ColumnElement[bool]]:
    """The level, state and access-route conditions on ``t``: the search entries, or a code's
    rows, which carry the same columns (RegistryCode)."""
    where: list[sa.ColumnElement[bool]] = []
    if filters.level is not None:
        where.append(col(t.qualification_level) == filters.level)
    if filters.state == "active":
        where += [col(t.status) == "active", col(t.registration_end) >= today, col(t.registration_start) <= today]
    elif filters.state == "expired":
        # expired, written down by the sweeper or not yet (see rules.record_state)
        where.append(sa.or_(col(t.status) == "expired", sa.and_(col(t.status) == "active", col(t.registration_end) < today)))
    elif filters.state:
        where.append(col(t.status) == filters.state)
    if filters.access_route:
        # A third of the records each: a bit of the row, read with its other filters.
        where.append(col(t.routes).op("&")(ROUTE_BITS[filters.access_route]) != 0)
    return where


def registry_search(filters: RegistryFilters, today: date) -> RegistrySearch:
    """A code filter (NSF, ROME, a certifier's SIRET) reads ``registry_codes``, whose rows carry
    their record's sort key (the number's own: repertoire and sequence value) and its level,
    state and access routes: the most selective code's rows are the list, in its order from
    ix_registry_codes_list, filtered there by level, state and route (PostgreSQL: from the
    index alone), so that a page stops at its last row instead of joining every record with
    that code and sorting them; the entries are joined only for a text (the words, a
    certifier's name).
    The order is the same as the entries' (the copy equals the record's, and the key is unique),
    every record has its entry and every code row its record's filter columns
    (review.adapters.registry_feed.record_change)."""
    e = RegistryEntry
    on_entry: list[sa.ColumnElement[bool]] = []
    codes: list[tuple[str, str]] = []
    if filters.certifier and filters.certifier.strip():
        # Any certifier of the fiche, the filer or a co-certifier: by SIRET (registry_codes),
        # or by part of a name (one name a line in the entry; the words typed made one line).
        who = " ".join(filters.certifier.split())
        if who.isdigit() and len(who) == 14:
            codes.append((CERTIFIER, who))
        else:
            on_entry.append(col(e.certifier_name).like(f"%{escape_like(who.lower())}%", escape="\\"))
    if filters.q and filters.q.strip():
        on_entry.append(col(e.search).like(f"%{escape_like(filters.q.strip().lower())}%", escape="\\"))
    # most selective first: a SIRET (a few records), a ROME code (~1 500 codes), an NSF code (~100)
    codes += [(kind, code) for kind, code in (("rome", filters.rome), ("nsf", filters.nsf)) if code]
    if not codes:
        where = _record_filters(filters, today, e) + on_entry + ([col(e.repertoire) == filters.repertoire] if filters.repertoire else [])
        return RegistrySearch(e, col(e.number), where, col(e.repertoire), col(e.sequence_value))
    first = aliased(RegistryCode, name=f"code_{codes[0][0]}")
    source: Any = first
    where = [col(first.kind) == codes[0][0], col(first.code) == codes[0][1], *_record_filters(filters, today, first)]
    for kind, code in codes[1:]:
        other = aliased(RegistryCode, name=f"code_{kind}")
        source = sa.join(source, other, col(other.number) == col(first.number))
        where += [col(other.kind) == kind, col(other.code) == code]
    if filters.repertoire:
        where.append(col(first.repertoire) == filters.repertoire)
    if on_entry:
        source = sa.join(source, e, col(e.number) == col(first.number))
    return RegistrySearch(source, col(first.number), where + on_entry, col(first.repertoire), col(first.sequence_value))


REGISTRY_COUNT_CAP = 1_000
"""The registry search counts its matches up to this many (more: ``total_is_lower_bound``)."""

SUMMARY = load_only(
    *(
        getattr(RegistryRecord, name)
        for name in (
            "number",
            "repertoire",
            "sequence_value",
            "title",
            "qualification_level",
            "is_cqp",
            "entity_id",
            "certifier_siret",
            "certifier_name",
            "decision_date",
            "registration_start",
            "registration_end",
            "status",
            "jo_date",
            "jo_reference",
            "renews",
            "renewed_by",
        )
    )
)
"""What a page of the registry shows of each record (review.api.views.record_summary): not its
frameworks and fiche (JSON, ~2 KB a record), which only the record's own page reads."""


@dataclass(frozen=True)
class RegistryResult:
    """A page of the registry, and how many records match: exactly ``total``, or, when
    ``total_is_lower_bound``, more than ``total`` (counting stopped there)."""

    records: list[RegistryRecord]
    total: int
    total_is_lower_bound: bool = False


def list_registry(session: Session, filters: RegistryFilters, today: date, *, limit: int = 50, offset: int = 0) -> RegistryResult:
    """A page of the registry and its total, both read from the narrow search entries and
    codes (registry_search), in one pass; then the page's records by their numbers.

    The total is counted up to a cap: at most cap + 1 matching rows are read, cap =
    max(REGISTRY_COUNT_CAP, offset + limit), so that a broad search (the whole registry, a
    repertoire, a state: tens of thousands of rows) costs a bounded scan instead of all of
    them, on SQLite as on PostgreSQL. Past the cap the answer is "more than ``cap``", never a
    guess; ``cap`` is at least the page's end, so a next page is always known to exist.
    The page and the count are one query: the first cap + 1 matches in the list's order, the
    page cut from them and ``count(*) OVER ()`` counting them, so that a search whose matches
    are found by reading a few thousand rows (a text or an NSF code with a state, a level or a
    route) reads them once, not once for the page and again for its count (bench_registry.py).
    Only a page past the end (no row to carry the count) is counted on its own."""
    if is_postgres(session.get_bind()):
        # An interactive search: latency over throughput (parallel workers cost more to start
        # than these scans take, and a busy server has no core to give them).
        # The search's narrow tables stay in memory (a few MB at 100k records): a row looked up
        # by index costs about what a row read in sequence does. At the default (4, for disks)
        # a code's records (2 213 of an NSF code) were counted with the state's 33 622 entries
        # by hashing them all rather than by looking up each of the 2 213 (bench_registry.py).
        # Both for this transaction only (SET LOCAL), in one round trip.
        session.execute(
            sa.text("SELECT set_config('max_parallel_workers_per_gather', '0', true), set_config('random_page_cost', '1.1', true)")
        )
    search = registry_search(filters, today)
    cap = max(REGISTRY_COUNT_CAP, offset + limit)
    # Materialised (PostgreSQL): planned for all its rows. As a plain subquery it was planned for
    # the page's 50 only, as if the count over it did not need the rest: a text with a state
    # then walked the whole list in order (100 ms at a load of 10 on 2 cores) instead of sorting
    # the 1 700 rows its trigram and state indexes give (6 ms).
    first = (
        sa.select(search.number.label("number"), search.repertoire.label("repertoire"), search.sequence_value.label("sequence_value"))
        .select_from(search.source)
        .where(*search.where)
        .order_by(*search.order)
        .limit(cap + 1)
        .cte("first")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    page = (
        sa.select(first.c.number, sa.func.count().over().label("counted"))
        .order_by(first.c.repertoire, first.c.sequence_value.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = session.execute(page).all()
    numbers = [r.number for r in rows]
    if rows or offset == 0:
        counted = int(rows[0].counted) if rows else 0
    else:
        counted = count_up_to(session, search.source, search.where, cap)
    total, lower_bound = min(counted, cap), counted > cap
    found = (
        {r.number: r for r in session.exec(select(RegistryRecord).options(SUMMARY).where(col(RegistryRecord.number).in_(numbers)))}
        if numbers
        else {}
    )
    return RegistryResult([found[n] for n in numbers if n in found], total, lower_bound)


def registry_page(deps: ReviewDeps, filters: RegistryFilters, *, limit: int, offset: int) -> RegistryResult:
    today = paris_date(deps.clock.now())
    with deps.uow() as uow:
        return list_registry(uow.session, filters, today, limit=limit, offset=offset)


def registry_record(deps: ReviewDeps, number: str) -> RegistryRecord:
    """One published record by its exact number (its prefix in any case): RNCP34825."""
    exact = rules.normalise_number(number)
    if exact is None:
        raise not_found("registration")
    with deps.uow() as uow:
        found = uow.session.get(RegistryRecord, exact)
    if found is None:
        raise not_found("registration")
    return found


def all_records(deps: ReviewDeps, repertoire: str | None, since: datetime | None = None, *, page: int = 500) -> Iterator[RegistryRecord]:
    """Every published record (changed since ``since``, when given), by repertoire and number,
    read ``page`` rows at a time while it is sent: one short transaction per page (keyset
    pagination), so memory stays flat and no connection is held while the client reads."""
    after: tuple[str, int] | None = None
    while True:
        query = select(RegistryRecord)
        if repertoire:
            query = query.where(RegistryRecord.repertoire == repertoire)
        if since is not None:
            query = query.where(col(RegistryRecord.updated_at) >= since)
        if after is not None:
            query = query.where(sa.tuple_(col(RegistryRecord.repertoire), col(RegistryRecord.sequence_value)) > sa.tuple_(*after))
        with deps.uow() as uow:
            rows = list(uow.session.exec(query.order_by(col(RegistryRecord.repertoire), col(RegistryRecord.sequence_value)).limit(page)))
            for row in rows:
                uow.session.expunge(row)
        yield from rows
        if len(rows) < page:
            return
        after = (rows[-1].repertoire, rows[-1].sequence_value)


def registry_changes(deps: ReviewDeps, after: int, limit: int) -> list[RegistryChange]:
    """The registry's change feed after the entry ``after``, oldest first."""
    with deps.uow() as uow:
        return registry_feed.changes_after(uow.session, after, limit)
