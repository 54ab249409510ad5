"""The review service's definition: what it owns and how it is wired."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fastapi import APIRouter
from sqlmodel import col

from certreg_runtime.service import BackgroundTask, ServiceContext, ServiceDefinition
from review.adapters.tables import CaseNote, metadata
from review.api import cases, decisions, exports, messages, notes, partners, registry, requests, sessions
from review.app.deps import build_deps
from review.app.handlers import handlers
from review.app.notes import BUCKET
from review.config import ReviewConfig
from review.jobs import sweeper


def routers(ctx: ServiceContext) -> list[APIRouter]:
    # exports before registry: /registry/export.xml is not a registration number.
    return [
        cases.router,
        requests.router,
        sessions.router,
        decisions.router,
        messages.router,
        notes.router,
        exports.router,
        partners.router,
        registry.router,
    ]


def background(ctx: ServiceContext) -> list[BackgroundTask]:
    return [partial(sweeper.run_forever, ctx.deps)]


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="review",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        routers=routers,
        handlers=handlers,
        deps=build_deps,
        config=ReviewConfig,
        background=background,
        # the experts' reports filed with external opinions' answers (issue 13, point 8)
        buckets=(BUCKET,),
        blob_rows={BUCKET: [col(CaseNote.answer_object_key)]},
        description="The procedure: control, instruction, deadlines, commission, decisions, registry, dialogue.",
    )
