"""The entities service's definition: what it owns and how it is wired."""

from functools import partial
from pathlib import Path

from fastapi import APIRouter
from sqlmodel import col

from certreg_runtime.service import BackgroundTask, ServiceContext, ServiceDefinition
from entities.adapters.tables import Document, metadata
from entities.api.routes import router
from entities.app.handlers import handlers
from entities.config import EntitiesConfig
from entities.jobs import draft_expiry


def routers(ctx: ServiceContext) -> list[APIRouter]:
    return [router]


def background(ctx: ServiceContext) -> list[BackgroundTask]:
    return [partial(draft_expiry.run, ctx.deps, ctx.config)]


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="entities",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        routers=routers,
        handlers=handlers,
        config=EntitiesConfig,
        background=background,
        buckets=("documents",),
        blob_rows={"documents": [col(Document.object_key)]},
        description="The entity registry: entities, SIRET, legal pieces and membership applications.",
    )
