"""Every moment a service stores reads back aware, in UTC, on SQLite too (issue 13, point
14: times sent without a zone were shown as local time): each model column of a date and
time is ``certreg_runtime.db.UtcDateTime``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

from certreg.platform import definitions
from certreg_runtime.db import UtcDateTime

# The runtime's own bookkeeping, never sent to a client.
RUNTIME_TABLES = {"outbox", "inbox", "idempotency_keys"}


def test_every_moment_column_is_utc_aware():
    plain = [
        f"{name}.{table.name}.{column.name}"
        for name, definition in definitions().items()
        for table in definition.metadata.tables.values()
        if table.name not in RUNTIME_TABLES
        for column in table.columns
        if isinstance(column.type, sa.DateTime)  # a TypeDecorator is not its impl's subclass
    ]
    assert plain == []


def test_sqlite_gives_the_moment_back_aware_in_utc(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    table = sa.Table("t", sa.MetaData(), sa.Column("at", UtcDateTime()))
    table.metadata.create_all(engine)
    paris = datetime(2026, 12, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"at": paris}])
        back = conn.execute(sa.select(table.c.at)).scalar_one()
    assert back == paris and back.tzinfo == UTC and back.isoformat() == "2026-12-01T09:30:00+00:00"
