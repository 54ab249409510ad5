"""The mail transport: a row of the ``mails`` outbox made into a message, sent over SMTP
or written as an ``.eml`` file (the embedded mode's outbox folder)."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib

from certreg_runtime.clock import Clock
from notifier.adapters.tables import Mail
from notifier.config import NotifierConfig

# Mails carrying a one-time link (activation, reset, set-password): once delivered over
# SMTP, the stored copy loses its links, so that the outbox never keeps usable tokens.
SECRET_KINDS = frozenset({"account_registered", "account_activation_requested", "password_reset", "staff_created", "account_unlock"})
_LINK = re.compile(r"https?://[^\s<>\"']+")
REDACTED = "[lien masqué]"


def redact_links(text: str) -> str:
    return _LINK.sub(REDACTED, text)


def mail_domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "certreg.localhost"


def message_id(mail_id: uuid.UUID, mail_from: str) -> str:
    """Stable per mail row: a resend after a crash carries the same Message-ID."""
    return f"<{mail_id}@{mail_domain(mail_from)}>"


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes


def header_text(value: str | None) -> str:
    """A header's text on one line: control characters (CR and LF included, which would
    make the header refused, and the mail with it, at every try) become spaces (issue 11,
    point 15). Names are refused at input; this is for what an older row holds."""
    return " ".join("".join(" " if ch < " " or "\x7f" <= ch <= "\x9f" else ch for ch in value or "").split())


def sender(mail_from: str, service: str) -> str:
    """The From header: the configured « Name <address> », or the address under the service's name."""
    name, address = parseaddr(mail_from)
    return mail_from if name else formataddr((header_text(service), address))


def build_message(mail: Mail, attachments: list[Attachment], mail_from: str, service: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender(mail_from, service) if service else mail_from
    name = header_text(mail.to_name)
    msg["To"] = formataddr((name, mail.to_addr)) if name else mail.to_addr
    msg["Subject"] = header_text(mail.subject)
    msg["Date"] = format_datetime(mail.created_at)
    msg["Message-ID"] = message_id(mail.id, mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Certreg-Kind"] = mail.kind
    msg.set_content(mail.text_body)
    msg.add_alternative(mail.html_body, subtype="html")
    for attachment in attachments:
        msg.add_attachment(attachment.data, maintype="application", subtype="pdf", filename=attachment.filename)
    return msg


class Transport(Protocol):
    # True when a delivered mail has left the platform (its stored copy is then redacted).
    leaves_platform: bool

    async def deliver(self, mail_id: uuid.UUID, message: EmailMessage) -> None: ...


class SmtpTransport:
    leaves_platform = True

    def __init__(self, config: NotifierConfig) -> None:
        self.config = config

    async def deliver(self, mail_id: uuid.UUID, message: EmailMessage) -> None:
        c = self.config
        await aiosmtplib.send(
            message,
            hostname=c.smtp_host,
            port=c.smtp_port,
            username=c.smtp_username,
            password=c.smtp_password,
            start_tls=c.smtp_starttls,
            use_tls=c.smtp_port == 465,
            timeout=c.smtp_timeout_seconds,
        )


class OutboxFolder:
    """The embedded mode's outbox: one ``.eml`` file per mail, named so that the names
    sort by time; written once (a retry after a crash finds it)."""

    leaves_platform = False

    def __init__(self, folder: Path, clock: Clock) -> None:
        self.folder = folder
        self.clock = clock

    async def deliver(self, mail_id: uuid.UUID, message: EmailMessage) -> None:
        await asyncio.to_thread(self.write, mail_id, message)

    def write(self, mail_id: uuid.UUID, message: EmailMessage) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        existing = sorted(self.folder.glob(f"*-{mail_id}.eml"))
        if existing:
            return existing[0]
        stamp = self.clock.now().strftime("%Y%m%dT%H%M%S%f")
        target = self.folder / f"{stamp}-{mail_id}.eml"
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(message.as_bytes())
        os.replace(partial, target)
        return target


def transport(config: NotifierConfig, data_dir: Path, clock: Clock) -> Transport:
    """SMTP when a host is configured, else the local outbox folder."""
    if config.smtp_host:
        return SmtpTransport(config)
    return OutboxFolder(data_dir / "mail", clock)
