"""The identity service's definition: what it owns and how it is wired."""

from pathlib import Path

from certreg_runtime.service import ServiceContext, ServiceDefinition
from fastapi import APIRouter

from identity.adapters.keys import KeyRing
from identity.adapters.tables import metadata


def routers(ctx: ServiceContext) -> list[APIRouter]:
    from identity.api.routes import router

    return [router()]


def handlers(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    from identity.handlers import handlers as build

    return build(ctx)


def on_start(ctx: ServiceContext) -> None:
    """Ensure a signing key exists; publish the public keys to the other services of
    this process (``ctx.extras["jwks"]``) and to the JWKS route."""
    ring = KeyRing(ctx.engine)
    ring.ensure()
    ctx.extras["keyring"] = ring
    ctx.extras["jwks"] = ring


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="identity",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        routers=routers,
        handlers=handlers,
        on_start=on_start,
        description="Accounts, credentials, activation and reset tokens, roles, account validation, JWT issuing (JWKS).",
    )
