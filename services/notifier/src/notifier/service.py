"""The notifier service's definition: what it owns and how it is wired."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import APIRouter
from sqlmodel import col

from certreg_runtime.service import BackgroundTask, ServiceContext, ServiceDefinition
from notifier.adapters.tables import Letter, metadata
from notifier.api import letters, notifications, outbox
from notifier.app.deps import LETTERS, build_deps
from notifier.app.handlers import handlers
from notifier.config import NotifierConfig
from notifier.jobs import letter_maker, mail_sender


def routers(ctx: ServiceContext) -> list[APIRouter]:
    return [notifications.router, letters.router, outbox.router]


def background(ctx: ServiceContext) -> list[BackgroundTask]:
    return [partial(mail_sender.run, ctx.deps), partial(letter_maker.run, ctx.deps)]


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="notifier",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        routers=routers,
        handlers=handlers,
        deps=build_deps,
        config=NotifierConfig,
        background=background,
        buckets=(LETTERS,),
        blob_rows={LETTERS: [col(Letter.object_key)]},
        description="E-mails (SMTP), in-app notifications and decision letters (PDF).",
    )
