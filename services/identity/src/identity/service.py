"""The identity service's definition: what it owns and how it is wired."""

from pathlib import Path

from fastapi import APIRouter

from certreg_runtime.service import ServiceContext, ServiceDefinition
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


def background(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    """Forget throttling hits that no rule looks at any more (the longest window is 1 h)."""
    import asyncio
    from datetime import timedelta

    import sqlalchemy as sa

    from identity.adapters.tables import ThrottleHit

    def sweep() -> None:
        with ctx.uow() as uow:
            uow.session.execute(sa.delete(ThrottleHit).where(ThrottleHit.at < ctx.clock.now() - timedelta(hours=2)))  # type: ignore[arg-type]
            uow.commit()

    async def loop() -> None:
        while True:
            await asyncio.to_thread(sweep)
            await asyncio.sleep(600)

    return [loop]


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="identity",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        routers=routers,
        handlers=handlers,
        on_start=on_start,
        background=background,
        description="Accounts, credentials, activation and reset tokens, roles, account validation, JWT issuing (JWKS).",
    )
