"""The filings service's definition: what it owns and how it is wired."""

from pathlib import Path

from fastapi import APIRouter

from certreg_runtime.service import ServiceContext, ServiceDefinition
from filings.adapters.tables import metadata


def routers(ctx: ServiceContext) -> list[APIRouter]:
    from filings.api.routes import build_router

    return [build_router(ctx)]


def handlers(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    from filings.handlers import handlers as build

    return build(ctx)


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="filings",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        routers=routers,
        handlers=handlers,
        buckets=("documents", "receipts"),
        description="Registration requests (filings): drafts, pieces, submission with a sworn statement, withdrawal.",
    )
