"""The filings service's definition: what it owns and how it is wired."""

from pathlib import Path

from fastapi import APIRouter

from certreg_runtime.service import ServiceContext, ServiceDefinition
from filings.adapters.tables import metadata
from filings.api import documents, filings, receipts
from filings.app.handlers import handlers


def routers(ctx: ServiceContext) -> list[APIRouter]:
    return [filings.router, documents.router, receipts.router]


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
