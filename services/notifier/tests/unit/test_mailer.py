"""Pure parts of the mail sender: back-off, Message-ID, link redaction."""

import itertools
import uuid
from datetime import timedelta

from notifier.adapters.mailer import message_id, redact_links, sender
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


def test_the_sender_is_shown_under_the_service_name_unless_one_is_configured() -> None:
    """Issue 13, point 14: never « certreg » as the sender's name by default."""
    assert NotifierConfig().mail_from == "no-reply@certreg.localhost"
    assert sender("no-reply@certreg.example", "Certif Pro") == "Certif Pro <no-reply@certreg.example>"
    assert sender("France compétences <no-reply@certreg.example>", "Certif Pro") == "France compétences <no-reply@certreg.example>"


def test_redaction_removes_every_link() -> None:
    text = 'Activer : https://certreg.example/activation?token=abc\n<a href="https://x.example/?t=1">ici</a>'
    redacted = redact_links(text)
    assert "token" not in redacted and "t=1" not in redacted and redacted.count("[lien masqué]") == 2
