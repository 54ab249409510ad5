"""The review service's definition: what it owns and how it is wired."""

from pathlib import Path

from fastapi import APIRouter

from certreg_runtime.service import BackgroundTask, ServiceContext, ServiceDefinition
from review.adapters.tables import metadata


def routers(ctx: ServiceContext) -> list[APIRouter]:
    from review.api import cases, registry

    return [cases.router(), registry.router()]


def handlers(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    from review.handlers import handlers as build

    return build(ctx)


def background(ctx: ServiceContext) -> list[BackgroundTask]:
    from review.sweeper import run_forever

    async def deadline_sweeper() -> None:
        await run_forever(ctx)

    return [deadline_sweeper]


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="review",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        routers=routers,
        handlers=handlers,
        background=background,
        description="The procedure: control, instruction, deadlines, commission, decisions, registry, dialogue.",
    )
