"""Every service's migrations build exactly the schema its models describe, on SQLite (the
embedded default) and on PostgreSQL: a table or column the code uses but no migration
creates would fail only where it is used, as a 500 in production."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from certreg.platform import definitions
from certreg_contracts.types import SERVICES
from certreg_runtime.db import create_db_engine
from certreg_runtime.migrations import upgrade
from certreg_runtime.service import ServiceDefinition

# Made in SQL by a migration (PostgreSQL only, but ix_registry_codes_list on every database), unseen by the models.
SQL_ONLY_INDEXES = {
    "ix_cases_search_trgm",
    "ix_registry_search_trgm",
    "ix_registry_entries_list",
    "ix_registry_entries_search_trgm",
    "ix_registry_entries_certifier_trgm",
    "ix_registry_codes_list",
    "ix_registry_entries_filters",
}


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'schema.db'}"
        return
    request.applymarker(pytest.mark.infra)
    postgres = request.getfixturevalue("postgres")
    name = f"schema_{uuid.uuid4().hex[:12]}"
    url: str = postgres.create_database(name)
    yield url
    postgres.drop_database(name)


def schema_differences(definition: ServiceDefinition, url: str) -> list[object]:
    engine = create_db_engine(url)
    try:
        upgrade(definition, engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), definition.metadata)
    finally:
        engine.dispose()
    return [d for d in diff if not _sql_only(d)]


def _sql_only(difference: object) -> bool:
    return (
        isinstance(difference, tuple)
        and difference[0] == "remove_index"
        and isinstance(difference[1], sa.Index)
        and difference[1].name in SQL_ONLY_INDEXES
    )


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrations_build_the_models_schema(service: str, database: str) -> None:
    assert schema_differences(definitions()[service], database) == []
