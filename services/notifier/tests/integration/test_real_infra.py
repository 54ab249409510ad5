"""The notifier on the real infrastructure: PostgreSQL, RabbitMQ, S3 and an SMTP server."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest

from certreg_testing.infra import unique_namespace
from services.notifier.tests.integration.test_service import pdf_text
from services.notifier.tests.samples import registration, sample_event

pytestmark = pytest.mark.infra


@pytest.fixture
def real(notifier_factory, postgres, amqp_url, s3, smtp_sink):
    return lambda: notifier_factory(
        database_url=postgres.database_url_template(),
        amqp_url=amqp_url,
        bus_namespace=unique_namespace(),
        bucket_prefix=f"t{uuid.uuid4().hex[:10]}",
        **s3.settings(),
        **smtp_sink.settings(),
    )


async def test_activation_mail_over_smtp(real, smtp_sink) -> None:
    to = f"{uuid.uuid4().hex[:8]}@example.org"
    async with real() as n:
        envelope = await n.publish(
            sample_event("identity.account.registered", email=to, activation_url="http://certreg.test/activation?token=abc")
        )
        msg = await smtp_sink.wait_for_async(to, "Activez")
        assert "http://certreg.test/activation?token=abc" in msg.get_body(("plain",)).get_content()
        assert msg.get_body(("html",)) is not None
        # the same event again (a redelivery): the inbox makes it a no-op
        await n.redeliver(envelope)
        await n.publish(sample_event("identity.account.password_reset_requested", email=to))
        await smtp_sink.wait_for_async(to, "mot de passe")
        assert len([m for m in smtp_sink.messages(to) if "Activez" in m["Subject"]]) == 1


async def test_registration_letter_in_s3_attached_to_the_mail(real, smtp_sink, wait) -> None:
    to = f"{uuid.uuid4().hex[:8]}@example.org"
    entity, filing = uuid.uuid4(), uuid.uuid4()
    account = uuid.uuid4()
    async with real() as n:
        await n.publish(sample_event("identity.account.approved", account_id=account, email=to, entity_id=entity, roles=["depositor"]))
        await smtp_sink.wait_for_async(to, "validé")
        # The dossier's number, kept from the submission (PostgreSQL: the migration's column).
        await n.publish(sample_event("filings.filing.submitted", filing_id=filing, entity_id=entity, reference="2026-000654"))
        receipt = await smtp_sink.wait_for_async(to, "Accusé de réception")
        assert receipt["Subject"].endswith("(dossier n° 2026-000654)")
        # Adjourned first (issue 13, point 6): its letter is in S3 and attached too.
        await n.publish(sample_event("review.case.opinion_given", filing_id=filing, entity_id=entity, repertoire="rs"))
        adjourned = await smtp_sink.wait_for_async(to, "ajournement")
        [attachment] = list(adjourned.iter_attachments())
        assert attachment.get_filename() == "avis-ajournement-2027-02-15.pdf"
        assert "Date limite d'envoi du dossier amélioré 15 février 2027" in pdf_text(attachment.get_content())
        await n.publish(
            registration(
                filing_id=filing, entity_id=entity, repertoire="rs", registration_number="RS6789", registration_end=dt.date(2029, 12, 1)
            )
        )
        msg = await smtp_sink.wait_for_async(to, "RS6789")
        assert msg["Subject"].endswith("(dossier n° 2026-000654)")
        [attachment] = list(msg.iter_attachments())
        pdf = attachment.get_content()
        assert pdf.startswith(b"%PDF") and "Numéro de dossier 2026-000654" in pdf_text(pdf)
        headers = n.auth(account, entity_id=entity)
        letter, adjournment = (await n.client.get(f"/api/notifier/letters?filing_id={filing}", headers=headers)).json()["items"]
        assert adjournment["kind"] == "adjournment" and adjournment["title"] == "Avis d'ajournement de la commission"
        assert letter["sha256"] == hashlib.sha256(pdf).hexdigest()
        content = await n.client.get(letter["content_url"], headers=headers)
        assert content.status_code == 200 and content.content == pdf
        bell = (await n.client.get("/api/notifier/notifications", headers=headers)).json()
        assert [i["kind"] for i in bell["items"]] == ["case_registered", "case_opinion", "filing_submitted", "account_approved"]
