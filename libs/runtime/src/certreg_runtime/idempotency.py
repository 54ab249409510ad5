"""Idempotency keys: a client that sends a state-changing request again (it lost the
answer, the gateway answered 503, the user clicked twice) gets the first answer back,
and the change is made once.

- The client sends ``Idempotency-Key: <1 to 255 visible ASCII characters>`` (the portal:
  one random key per user action, reused on its own retries).
- A key belongs to the caller (``scope``: their account) and to one request: the
  operation, its path ids and its body (``fingerprint``).
- The first *successful* answer (status and JSON body) is kept in the same transaction as
  the change it reports (``Once.keep``, called by the command just before its commit):
  the change and its answer commit together or not at all. A request that fails changes
  nothing and keeps nothing, so sending it again runs it again.
- The same key with the same request replays the kept answer (header
  ``Idempotent-Replayed: true``), without running the command; with another request it
  is refused (422 ``idempotency_key_reused``).
- Two requests with one key at once: one commits; the other fails on the key (or on the
  state the first changed) and then finds the kept answer, which it replays.
- Keys are kept ``KEEP_FOR`` (24 hours), then purged (``purge_expired``, run by every
  service whose database has the table).

A service adds the table with ``add_idempotency_table(metadata)``; a route takes the
header (``certreg_runtime.api.IdempotencyKeyHeader``) and calls ``answer_once``."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from certreg_runtime.auth import Principal
from certreg_runtime.errors import DomainError, field_error, invalid
from certreg_runtime.messaging import UnitOfWork

log = logging.getLogger(__name__)

TABLE = "idempotency_keys"
HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)


def add_idempotency_table(metadata: sa.MetaData) -> None:
    sa.Table(
        TABLE,
        metadata,
        sa.Column("scope", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


_keys = sa.table(
    TABLE,
    sa.column("scope", sa.String()),
    sa.column("key", sa.String()),
    sa.column("fingerprint", sa.String()),
    sa.column("status", sa.Integer()),
    sa.column("body", sa.Text()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("expires_at", sa.DateTime(timezone=True)),
)


def _now() -> datetime:
    return datetime.now(UTC)


def fingerprint(operation: str, *request: Any) -> str:
    """The request a key was first used for: its operation, path ids and body."""
    parts = [operation, *(r.model_dump(mode="json") if isinstance(r, BaseModel) else r for r in request)]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def checked_key(key: str) -> str:
    if not _KEY.match(key):
        raise invalid(
            field_error(
                HEADER,
                "La clé d’idempotence doit compter de 1 à 255 caractères ASCII visibles (un identifiant aléatoire, par exemple un UUID).",
                "idempotency_key",
                where="header",
            )
        )
    return key


@dataclass
class Once(Generic[R, M]):
    """One request's key, as its route saw it: whose, which request, and how the
    command's result becomes the answer (``render``, with the route's ``status``)."""

    scope: str
    key: str
    fingerprint: str
    status: int
    render: Callable[[R], M]
    answer: M | None = field(default=None, init=False)

    def keep(self, uow: UnitOfWork, result: R) -> None:
        """In the command's transaction, just before its commit: the answer, built from
        what the transaction wrote, kept with the change it reports."""
        self.answer = self.render(result)
        now = _now()
        # The same key past its time, not purged yet, makes way.
        uow.session.execute(_keys.delete().where(_keys.c.scope == self.scope, _keys.c.key == self.key, _keys.c.expires_at <= now))
        uow.session.execute(
            _keys.insert().values(
                scope=self.scope,
                key=self.key,
                fingerprint=self.fingerprint,
                status=self.status,
                body=self.answer.model_dump_json(),
                created_at=now,
                expires_at=now + KEEP_FOR,
            )
        )


class Replay(Exception):
    """The kept answer of a request already made (``certreg_runtime.web`` sends it)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _kept(uow_factory: Callable[[], UnitOfWork], once: Once[Any, Any]) -> Replay | None:
    """The answer kept for ``once``'s key (422 if it was first used for another request)."""
    with uow_factory() as uow:
        row = uow.session.execute(
            sa.select(_keys.c.fingerprint, _keys.c.status, _keys.c.body).where(
                _keys.c.scope == once.scope, _keys.c.key == once.key, _keys.c.expires_at > _now()
            )
        ).first()
    if row is None:
        return None
    if row.fingerprint != once.fingerprint:
        raise invalid(
            field_error(
                HEADER,
                "Cette clé d’idempotence a déjà servi pour une autre requête : utilisez une nouvelle clé pour une nouvelle action.",
                "idempotency_key_reused",
                where="header",
            ),
            code="idempotency_key_reused",
        )
    return Replay(row.status, row.body)


def answer_once(
    uow_factory: Callable[[], UnitOfWork],
    user: Principal,
    key: str | None,
    operation: str,
    request: tuple[Any, ...],
    status: int,
    render: Callable[[R], M],
    command: Callable[[Once[R, M] | None], R],
) -> M:
    """The route's answer: ``render(command(once))``, or the kept answer of the first
    request made with ``key`` (raised as ``Replay``). Without a key, the command runs."""
    if key is None:
        return render(command(None))
    once: Once[R, M] = Once(f"account:{user.account_id}", checked_key(key), fingerprint(operation, *request), status, render)
    if (replay := _kept(uow_factory, once)) is not None:
        raise replay
    try:
        command(once)
    except (DomainError, IntegrityError):
        # A request with the same key may have committed meanwhile (the key, or the
        # state it changed, is what failed): its answer is this one's.
        if (replay := _kept(uow_factory, once)) is not None:
            log.info("idempotency key of %s used by a concurrent request: its answer replayed", operation)
            raise replay from None
        raise
    if once.answer is None:  # pragma: no cover - a command given a key keeps its answer
        raise RuntimeError(f"{operation} was given an idempotency key but did not keep its answer")
    return once.answer


def purge_expired(engine: sa.Engine, now: datetime | None = None) -> int:
    """Delete the keys past their time; returns how many."""
    with engine.begin() as conn:
        done = conn.execute(_keys.delete().where(_keys.c.expires_at <= (now or _now())).returning(_keys.c.key))
        return len(done.all())


__all__ = [
    "HEADER",
    "KEEP_FOR",
    "TABLE",
    "Once",
    "Replay",
    "add_idempotency_table",
    "answer_once",
    "fingerprint",
    "purge_expired",
]
