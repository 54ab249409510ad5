"""The embedded database (SQLite) also refuses audit changes, and the check catches a
change made behind its back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from certreg_runtime.db import create_db_engine
from certreg_runtime.migrations import upgrade
from review.adapters import audit_log
from review.domain.actor import SYSTEM_ACTOR
from review.jobs import audit_check
from review.service import definition


def test_tampered_row_breaks_the_chain(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    upgrade(definition(), engine)
    first, second = uuid.uuid4(), uuid.uuid4()
    with Session(engine) as session:
        for filing_id in (first, second):
            for action in ("open", "completeness", "admissibility", "assign"):
                audit_log.append(session, filing_id, datetime.now(UTC), SYSTEM_ACTOR, action, reason="ok")
        session.commit()
    assert audit_check.check_all(engine) == (2, {})
    with engine.begin() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        conn.execute(sa.text("UPDATE audit_entries SET reason = 'x'"))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER audit_entries_no_delete"))
        conn.execute(sa.text("DELETE FROM audit_entries WHERE filing_id = :f AND seq = 3"), {"f": str(second)})
    checked, broken = audit_check.check_all(engine)
    assert checked == 2 and list(broken) == [str(second)] and broken[str(second)].seq == 4
    engine.dispose()
