"""Rows shaped as the API's answers."""

from __future__ import annotations

import json

from notifier.adapters.tables import Letter, Mail, Notification
from notifier.api.schemas import LetterOut, MailOut, NotificationOut


def notification_out(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id, kind=n.kind, title=n.title, body=n.body, link=n.link, filing_id=n.filing_id,
        created_at=n.created_at, read_at=n.read_at, read=n.read_at is not None,
    )  # fmt: skip


def letter_out(letter: Letter) -> LetterOut:
    return LetterOut(
        id=letter.id, filing_id=letter.filing_id, kind=letter.kind, title=letter.title, filename=letter.filename,
        sha256=letter.sha256, size=letter.size, created_at=letter.created_at,
        content_url=f"/api/notifier/letters/{letter.id}/content",
    )  # fmt: skip


def mail_out(m: Mail) -> MailOut:
    return MailOut(
        id=m.id, to=m.to_addr, subject=m.subject, kind=m.kind, status=m.status, attempts=m.attempts, last_error=m.last_error,
        created_at=m.created_at, sent_at=m.sent_at, text=m.text_body, attachments=len(json.loads(m.attachments or "[]")),
    )  # fmt: skip
