"""What the notifier's API answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


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
