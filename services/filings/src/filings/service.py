"""The filings service's definition: what it owns and how it is wired."""

from pathlib import Path

from fastapi import APIRouter
from sqlmodel import col

from certreg_runtime.service import ServiceContext, ServiceDefinition
from filings.adapters.tables import Document, Receipt, metadata
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
        blob_rows={"documents": [col(Document.object_key)], "receipts": [col(Receipt.object_key)]},
        description="Registration requests (filings): drafts, pieces, submission with a sworn statement, withdrawal.",
    )
