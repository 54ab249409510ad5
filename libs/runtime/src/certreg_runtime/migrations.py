"""Alembic, one history per service. Each service's ``migrations/env.py`` calls
``run_env()``; ``upgrade`` and ``revision`` drive it programmatically."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from certreg_runtime.db import ensure_database

if TYPE_CHECKING:
    from certreg_runtime.service import ServiceDefinition

log = logging.getLogger(__name__)


def _config(definition: ServiceDefinition, engine: Engine | None = None, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(definition.migrations))
    cfg.set_main_option("version_table", "alembic_version")
    cfg.attributes["target_metadata"] = definition.metadata
    if engine is not None:
        cfg.attributes["engine"] = engine
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(definition: ServiceDefinition, engine: Engine) -> None:
    ensure_database(engine.url.render_as_string(hide_password=False))
    command.upgrade(_config(definition, engine), "head")


def revision(definition: ServiceDefinition, url: str, message: str) -> None:
    """Autogenerate a migration from the difference between the models and ``url``."""
    from certreg_runtime.db import create_db_engine

    engine = create_db_engine(url)
    upgrade(definition, engine)
    command.revision(_config(definition, engine), message=message, autogenerate=True)


def run_env() -> None:
    """The body of every service's ``migrations/env.py``."""
    from alembic import context

    cfg = context.config
    metadata = cfg.attributes["target_metadata"]
    engine: Engine = cfg.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


def create_messaging_tables() -> None:
    """The outbox and inbox as every service's first migration creates them (their first
    version, frozen: a later change to these tables is a migration of its own)."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("routing_key", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["published_at", "id"], unique=False)


def drop_messaging_tables() -> None:
    from alembic import op

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
    op.drop_table("outbox")
    op.drop_table("inbox")


def create_idempotency_table() -> None:
    """The table of ``certreg_runtime.idempotency`` as a service's migration first creates it
    (frozen like the messaging tables: a later change is a migration of its own)."""
    import sqlalchemy as sa
    from alembic import op

    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_keys_expires_at", ["expires_at"], unique=False)


def drop_idempotency_table() -> None:
    from alembic import op

    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_keys_expires_at")
    op.drop_table("idempotency_keys")
