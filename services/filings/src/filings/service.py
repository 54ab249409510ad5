"""The filings service's definition: what it owns and how it is wired."""

from pathlib import Path

from certreg_runtime.service import ServiceContext, ServiceDefinition
from fastapi import APIRouter

from filings.adapters.tables import metadata


def routers(ctx: ServiceContext) -> list[APIRouter]:
    return []


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="filings",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        routers=routers,
    )
