"""The notifier's HTTP API: the bell (own notifications), the decision letters (the
entity's members and staff), the mail outbox (SI administrator, embedded mail viewer)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlmodel import func, select

from certreg_runtime.api import CtxDep, CurrentUser, UowDep, roles
from certreg_runtime.errors import not_found
from notifier.adapters.tables import Letter, Mail, Notification
from notifier.letters import BUCKET

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Offset = Annotated[int, Query(ge=0)]


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    filing_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None
    read: bool


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    limit: int
    offset: int


class Count(BaseModel):
    count: int


class LetterOut(BaseModel):
    id: uuid.UUID
    filing_id: uuid.UUID
    kind: str
    title: str
    filename: str
    sha256: str
    size: int
    created_at: datetime
    content_url: str


class LetterList(BaseModel):
    items: list[LetterOut]


class MailOut(BaseModel):
    id: uuid.UUID
    to: str
    subject: str
    kind: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    text: str
    attachments: int


class MailPage(BaseModel):
    items: list[MailOut]
    total: int
    limit: int
    offset: int


def _notification(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id, kind=n.kind, title=n.title, body=n.body, link=n.link, filing_id=n.filing_id,
        created_at=n.created_at, read_at=n.read_at, read=n.read_at is not None,
    )  # fmt: skip


def _letter(letter: Letter) -> LetterOut:
    return LetterOut(
        id=letter.id, filing_id=letter.filing_id, kind=letter.kind, title=letter.title, filename=letter.filename,
        sha256=letter.sha256, size=letter.size, created_at=letter.created_at,
        content_url=f"/api/notifier/letters/{letter.id}/content",
    )  # fmt: skip


def router() -> APIRouter:
    r = APIRouter(tags=["notifier"])

    @r.get("/notifications", response_model=NotificationPage, summary="My in-app notifications, newest first")
    def list_notifications(
        user: CurrentUser, uow: UowDep, unread: bool | None = None, limit: Limit = 20, offset: Offset = 0
    ) -> NotificationPage:
        where = [Notification.account_id == user.account_id]
        if unread is True:
            where.append(Notification.read_at.is_(None))  # type: ignore[union-attr]
        elif unread is False:
            where.append(Notification.read_at.is_not(None))  # type: ignore[union-attr]
        total = uow.session.exec(select(func.count()).select_from(Notification).where(*where)).one()
        rows = uow.session.exec(
            select(Notification)
            .where(*where)
            .order_by(Notification.created_at.desc(), Notification.id.desc())  # type: ignore[attr-defined]
            .limit(limit)
            .offset(offset)
        ).all()
        return NotificationPage(items=[_notification(n) for n in rows], total=total, limit=limit, offset=offset)

    @r.get("/notifications/unread-count", response_model=Count, summary="How many of my notifications are unread")
    def unread_count(user: CurrentUser, uow: UowDep) -> Count:
        count = uow.session.exec(
            select(func.count()).select_from(Notification).where(Notification.account_id == user.account_id, Notification.read_at.is_(None))  # type: ignore[union-attr]
        ).one()
        return Count(count=count)

    @r.post("/notifications/{notification_id}/read", status_code=204, summary="Mark one of my notifications read")
    def mark_read(notification_id: uuid.UUID, user: CurrentUser, uow: UowDep, ctx: CtxDep) -> Response:
        n = uow.session.get(Notification, notification_id)
        if n is None or n.account_id != user.account_id:
            raise not_found("notification")
        if n.read_at is None:
            n.read_at = ctx.clock.now()
            uow.session.add(n)
            uow.commit()
        return Response(status_code=204)

    @r.post("/notifications/read-all", status_code=204, summary="Mark all my notifications read")
    def mark_all_read(user: CurrentUser, uow: UowDep, ctx: CtxDep) -> Response:
        uow.session.execute(
            sa.update(Notification)
            .where(Notification.account_id == user.account_id, Notification.read_at.is_(None))  # type: ignore[arg-type,union-attr]
            .values(read_at=ctx.clock.now())
        )
        uow.commit()
        return Response(status_code=204)

    @r.get("/letters", response_model=LetterList, summary="Decision letters of a filing (or of my entity)")
    def list_letters(user: CurrentUser, uow: UowDep, filing_id: uuid.UUID | None = None) -> LetterList:
        query = select(Letter).order_by(Letter.created_at.desc())  # type: ignore[attr-defined]
        if filing_id is not None:
            query = query.where(Letter.filing_id == filing_id)
        if not user.is_staff:
            if user.entity_id is None:
                return LetterList(items=[])
            query = query.where(Letter.entity_id == user.entity_id)
        return LetterList(items=[_letter(letter) for letter in uow.session.exec(query.limit(200)).all()])

    @r.get("/letters/{letter_id}/content", summary="Download a decision letter (PDF)", response_class=StreamingResponse)
    def letter_content(letter_id: uuid.UUID, user: CurrentUser, uow: UowDep, ctx: CtxDep) -> StreamingResponse:
        letter = uow.session.get(Letter, letter_id)
        if letter is None or not user.may_see_entity(letter.entity_id) or ctx.blobs is None:
            raise not_found("letter")
        return StreamingResponse(
            ctx.blobs.iter_chunks(ctx.bucket(BUCKET), letter.object_key),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{letter.filename}"',
                "Content-Length": str(letter.size),
                "X-Content-Type-Options": "nosniff",
            },
        )

    @r.get("/outbox", response_model=MailPage, summary="Mails sent or pending, newest first (embedded mail viewer)")
    def outbox(user: roles("si_admin"), uow: UowDep, limit: Limit = 50, offset: Offset = 0) -> MailPage:  # type: ignore[valid-type]
        total = uow.session.exec(select(func.count()).select_from(Mail)).one()
        rows = uow.session.exec(
            select(Mail).order_by(Mail.created_at.desc(), Mail.id.desc()).limit(limit).offset(offset)  # type: ignore[attr-defined]
        ).all()
        items = [
            MailOut(
                id=m.id,
                to=m.to_addr,
                subject=m.subject,
                kind=m.kind,
                status=m.status,
                attempts=m.attempts,
                last_error=m.last_error,
                created_at=m.created_at,
                sent_at=m.sent_at,
                text=m.text_body,
                attachments=len(json.loads(m.attachments or "[]")),
            )
            for m in rows
        ]
        return MailPage(items=items, total=total, limit=limit, offset=offset)

    return r
