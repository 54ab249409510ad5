"""On real PostgreSQL: the migrations create what the models use."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from certreg_runtime.db import create_db_engine
from certreg_runtime.migrations import upgrade
from notifier.adapters.tables import metadata
from notifier.service import definition

pytestmark = pytest.mark.infra


@pytest.fixture
def engine(postgres: Any) -> Iterator[sa.Engine]:
    name = f"notifier_{uuid.uuid4().hex[:12]}"
    engine = create_db_engine(postgres.create_database(name))
    upgrade(definition(), engine)
    yield engine
    engine.dispose()
    postgres.drop_database(name)


def test_the_migrations_create_every_table_and_column_of_the_models(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
