"""Pure parts of the mail sender: back-off, Message-ID, link redaction."""

import itertools
import uuid
from datetime import timedelta

from notifier.adapters.mailer import message_id, redact_links
from notifier.config import NotifierConfig


def test_back_off_grows_then_caps_at_an_hour() -> None:
    config = NotifierConfig()
    delays = [config.retry_delay(n) for n in range(1, 12)]
    assert delays[0] == timedelta(seconds=30) and delays[1] == timedelta(seconds=60)
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert delays[-1] == timedelta(hours=1)


def test_message_id_is_stable_and_in_the_sender_domain() -> None:
    mail_id = uuid.uuid4()
    assert message_id(mail_id, "France compétences <no-reply@certreg.example>") == f"<{mail_id}@certreg.example>"
    assert message_id(mail_id, "no-reply@certreg.example") == message_id(mail_id, "x <no-reply@certreg.example>")


def test_redaction_removes_every_link() -> None:
    text = 'Activer : https://certreg.example/activation?token=abc\n<a href="https://x.example/?t=1">ici</a>'
    redacted = redact_links(text)
    assert "token" not in redacted and "t=1" not in redacted and redacted.count("[lien masqué]") == 2
