"""Every service's migrations build exactly the schema its models describe, on SQLite (the
embedded default) and on PostgreSQL: a table or column the code uses but no migration
creates would fail only where it is used, as a 500 in production."""

from __future__ import annotations

import json
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


def test_review_moves_the_access_routes_into_the_search_entries(database: str) -> None:
    """Migration d2f4a6c8e0b1 on published records: each entry gets its fiche's access routes as
    bits (two routes, one, none), and the route code rows go; the other codes stay."""
    from alembic import command

    from certreg_runtime.migrations import _config
    from review.adapters.registry_feed import ROUTE_BITS

    definition = definitions()["review"]
    engine = create_db_engine(database)
    try:
        command.upgrade(_config(definition, engine), "c7e9a1b3d5f0")
        fiches = {
            "RNCP1": {"access_routes": [{"route": "vae", "jury": "J"}, {"route": "apprenticeship", "jury": "J"}]},
            "RNCP2": {"access_routes": [{"route": "initial_training", "jury": "J"}]},
            "RNCP3": {},
        }
        with engine.begin() as conn:
            for n, (number, fiche) in enumerate(fiches.items(), 1):
                key = {"number": number, "repertoire": "rncp", "sequence_value": n}
                conn.execute(
                    sa.text(
                        "INSERT INTO registry_records (number, repertoire, sequence_value, filing_id, title, search, is_cqp,"
                        " entity_id, decision_date, registration_start, registration_end, status, activities, competences,"
                        " competence_blocks, assessment_methods, fiche, published_at, updated_at)"
                        " VALUES (:number, :repertoire, :sequence_value, :filing_id, 'T', 't', false, :entity_id,"
                        " '2026-01-01', '2026-01-01', '2029-01-01', 'active', '[]', '[]', '[]', '[]', :fiche,"
                        " '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00')"
                    ),
                    {**key, "filing_id": str(uuid.uuid4()), "entity_id": str(uuid.uuid4()), "fiche": json.dumps(fiche)},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO registry_entries (number, repertoire, sequence_value, status, registration_start,"
                        " registration_end, certifier_name, search) VALUES (:number, :repertoire, :sequence_value, 'active',"
                        " '2026-01-01', '2029-01-01', '', 't')"
                    ),
                    key,
                )
                conn.execute(sa.text("INSERT INTO registry_codes VALUES ('nsf', '326', :number, :repertoire, :sequence_value)"), key)
        upgrade(definition, engine)
        with engine.connect() as conn:
            routes: dict[str, int] = dict(conn.execute(sa.text("SELECT number, routes FROM registry_entries")).tuples().all())
            kinds = conn.execute(sa.text("SELECT kind, count(*) FROM registry_codes GROUP BY kind")).all()
    finally:
        engine.dispose()
    assert routes == {"RNCP1": ROUTE_BITS["vae"] | ROUTE_BITS["apprenticeship"], "RNCP2": ROUTE_BITS["initial_training"], "RNCP3": 0}
    assert [tuple(k) for k in kinds] == [("nsf", 3)]
