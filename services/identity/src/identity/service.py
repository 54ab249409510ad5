"""The identity service's definition: what it owns and how it is wired."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from fastapi import APIRouter

from certreg_runtime.clock import clock_from_settings
from certreg_runtime.db import create_db_engine
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.migrations import upgrade
from certreg_runtime.service import BackgroundTask, ServiceContext, ServiceDefinition
from certreg_runtime.settings import Settings, service_config
from identity.adapters.keys import KeyRing
from identity.adapters.tables import metadata
from identity.api import account_requests, accounts, members, passwords, staff, tokens
from identity.app import commands
from identity.app.deps import IdentityDeps, build_deps
from identity.app.handlers import handlers
from identity.config import IdentityConfig
from identity.domain import passwords as password_hashing
from identity.jobs import throttle_purge


def on_start(ctx: ServiceContext) -> None:
    """Ensure a signing key exists; publish the public keys to the other services of
    this process (``ctx.extras["jwks"]``) and to the JWKS route; announce the staff."""
    config: IdentityConfig = ctx.config
    password_hashing.configure_gate(config.password_hashing_slots, config.password_hashing_queue, config.password_hashing_wait_seconds)
    keys: KeyRing = ctx.deps.keys
    keys.ensure()
    ctx.extras["jwks"] = keys
    # What the back office's accounts are, for services that started knowing none
    # (review's directory of instructors): a backfill, never overriding newer news.
    commands.announce_staff(ctx.deps)


def routers(ctx: ServiceContext) -> list[APIRouter]:
    return [accounts.router, tokens.router, passwords.router, account_requests.router, staff.router, members.router]


def background(ctx: ServiceContext) -> list[BackgroundTask]:
    return [partial(throttle_purge.run, ctx.deps)]


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="identity",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        routers=routers,
        handlers=handlers,
        deps=build_deps,
        config=IdentityConfig,
        on_start=on_start,
        background=background,
        description="Accounts, credentials, activation and reset tokens, roles, account validation, JWT issuing (JWKS).",
    )


@contextmanager
def standalone(settings: Settings) -> Iterator[IdentityDeps]:
    """Identity's dependencies outside the running service (``certreg admin``): its
    database, migrated; no bus (the service's relay publishes what is written to the
    outbox)."""
    engine = create_db_engine(settings.database_url_for("identity"))
    try:
        upgrade(definition(), engine)
        yield IdentityDeps(
            "identity",
            settings,
            clock_from_settings(settings.clock_offset_file),
            None,
            partial(UnitOfWork, engine, metadata, "identity"),
            keys=KeyRing(engine),
            config=service_config(IdentityConfig, settings),
        )
    finally:
        engine.dispose()
