"""The notifier service's definition: what it owns and how it is wired."""

from pathlib import Path

from fastapi import APIRouter

from certreg_runtime.service import BackgroundTask, ServiceContext, ServiceDefinition
from notifier.adapters.tables import metadata
from notifier.api.routes import router
from notifier.handlers import handlers
from notifier.letters import BUCKET
from notifier.mailer import sender_of


def routers(ctx: ServiceContext) -> list[APIRouter]:
    return [router()]


def background(ctx: ServiceContext) -> list[BackgroundTask]:
    return [sender_of(ctx).run]


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="notifier",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        routers=routers,
        handlers=handlers,
        background=background,
        buckets=(BUCKET,),
        description="E-mails (SMTP), in-app notifications and decision letters (PDF).",
    )
