"""The notifier running on the in-process bus, SQLite and the local blob store (the
embedded mode): mails to the ``.eml`` outbox, the bell, letters, scopes."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid

from certreg_testing.infra import SmtpSink, free_port
from services.notifier.tests.samples import registration, sample_event


def pdf_text(pdf: bytes) -> str:
    import pypdf

    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())


async def approve(n, email: str, entity_id: uuid.UUID, roles=("depositor",), first_name: str = "Camille") -> uuid.UUID:
    account = uuid.uuid4()
    await n.publish(
        sample_event(
            "identity.account.approved", account_id=account, email=email, entity_id=entity_id, roles=list(roles), first_name=first_name
        )
    )
    return account


async def staff(n, email: str, roles: list[str]) -> uuid.UUID:
    account = uuid.uuid4()
    await n.publish(sample_event("identity.staff.created", account_id=account, email=email, roles=roles))
    await n.publish(sample_event("identity.account.activated", account_id=account, email=email, status="active", entity_id=None))
    return account


async def test_activation_mail_is_written_to_the_embedded_outbox(notifier_factory, wait) -> None:
    async with notifier_factory() as n:
        await n.publish(
            sample_event(
                "identity.account.registered",
                email="camille@example.org",
                activation_url="http://certreg.test/activation?token=t0k3n",
                expires_at=dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC),
            )
        )
        await n.settle()
        [msg] = await wait(lambda: n.eml("camille@example.org"))
        assert "Activez" in msg["Subject"]
        [sent_by] = msg["From"].addresses  # the address alone configured: the service's name shown
        assert sent_by.display_name == "Enregistrement des certifications professionnelles"
        assert sent_by.addr_spec == "no-reply@certreg.localhost"
        [row] = n.mail_rows("camille@example.org")
        assert msg["Message-ID"] == f"<{row.id}@certreg.localhost>"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert "http://certreg.test/activation?token=t0k3n" in text and "28 novembre 2026" in text
        assert 'href="http://certreg.test/activation?token=t0k3n"' in html
        await wait(lambda: n.mail_rows("camille@example.org")[0].status == "sent")
        assert n.mail_rows()[0].sent_at is not None


async def test_a_redelivered_event_sends_one_mail(notifier_factory, wait) -> None:
    async with notifier_factory() as n:
        event = sample_event("identity.account.password_reset_requested", email="twice@example.org")
        envelope = await n.publish(event)
        await n.settle()
        await n.redeliver(envelope)
        await n.redeliver(envelope)
        await n.settle()
        await wait(lambda: all(m.status == "sent" for m in n.mail_rows()))
        assert len(n.mail_rows("twice@example.org")) == 1
        assert len(n.eml("twice@example.org")) == 1


async def test_filing_events_reach_the_entity_members_and_their_bell(notifier_factory, wait) -> None:
    async with notifier_factory() as n:
        entity, other_entity = uuid.uuid4(), uuid.uuid4()
        manager = await approve(n, "manager@a.example", entity, roles=("depositor", "entity_manager"))
        depositor = await approve(n, "depositor@a.example", entity)
        outsider = await approve(n, "outsider@b.example", other_entity)
        filing = uuid.uuid4()
        await n.publish(sample_event("filings.filing.submitted", filing_id=filing, entity_id=entity, title="Cariste"))
        await n.publish(
            sample_event(
                "review.case.completeness_checked",
                filing_id=filing,
                entity_id=entity,
                title="Cariste",
                complete=False,
                missing=["criminal_record"],
                due_date=dt.date(2027, 1, 15),
            )
        )
        await n.settle()
        for to in ("manager@a.example", "depositor@a.example"):
            subjects = sorted(m["Subject"] for m in await wait(lambda to=to: len(n.eml(to)) >= 3 and n.eml(to)))
            assert any("Accusé de réception" in s for s in subjects), subjects
            assert any("incomplet" in s for s in subjects), subjects
        assert not n.eml("outsider@b.example")[1:]  # only their own approval mail

        headers = n.auth(depositor, entity_id=entity)
        page = (await n.client.get("/api/notifier/notifications", headers=headers)).json()
        assert page["total"] == 3
        titles = [i["title"] for i in page["items"]]
        assert "incomplet" in titles[0] and "Accusé de réception" in titles[1]  # newest first
        assert page["items"][0]["link"] == f"/dossiers/{filing}"
        assert "bulletin n°3" in page["items"][0]["body"]
        assert (await n.client.get("/api/notifier/notifications/unread-count", headers=headers)).json() == {"count": 3}

        one = page["items"][0]["id"]
        # not yours: 404, and nothing changes
        assert (
            await n.client.post(f"/api/notifier/notifications/{one}/read", headers=n.auth(manager, entity_id=entity))
        ).status_code == 404
        assert (
            await n.client.post(f"/api/notifier/notifications/{one}/read", headers=n.auth(outsider, entity_id=other_entity))
        ).status_code == 404
        assert (await n.client.post(f"/api/notifier/notifications/{one}/read", headers=headers)).status_code == 204
        assert (await n.client.post(f"/api/notifier/notifications/{one}/read", headers=headers)).status_code == 204
        assert (await n.client.get("/api/notifier/notifications/unread-count", headers=headers)).json() == {"count": 2}
        unread = (await n.client.get("/api/notifier/notifications?unread=true&limit=1", headers=headers)).json()
        assert unread["total"] == 2 and len(unread["items"]) == 1 and unread["items"][0]["id"] != one
        read = (await n.client.get("/api/notifier/notifications?unread=false", headers=headers)).json()
        assert [i["id"] for i in read["items"]] == [one] and read["items"][0]["read"] is True
        assert (await n.client.post("/api/notifier/notifications/read-all", headers=headers)).status_code == 204
        assert (await n.client.get("/api/notifier/notifications/unread-count", headers=headers)).json() == {"count": 0}
        # the manager's own bell is untouched
        assert (await n.client.get("/api/notifier/notifications/unread-count", headers=n.auth(manager, entity_id=entity))).json() == {
            "count": 3
        }


async def test_the_api_needs_a_valid_token_and_checks_its_input(notifier_factory) -> None:
    async with notifier_factory() as n:
        assert (await n.client.get("/api/notifier/notifications")).status_code == 401
        bad = {"Authorization": "Bearer not-a-token"}
        assert (await n.client.get("/api/notifier/notifications", headers=bad)).status_code == 401
        r = await n.client.get("/api/notifier/notifications?limit=1000", headers=n.auth())
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "limit"]
        assert (await n.client.post(f"/api/notifier/notifications/{uuid.uuid4()}/read", headers=n.auth())).status_code == 404


async def test_validators_are_told_of_pending_accounts(notifier_factory, wait) -> None:
    async with notifier_factory() as n:
        admin = await staff(n, "admin@fc.example", ["si_admin"])
        await staff(n, "reviewer@fc.example", ["reviewer"])
        await n.publish(
            sample_event(
                "identity.account.validation_requested",
                email="new@a.example",
                first_name="Léa",
                last_name="Roux",
                validator="si_admin",
                entity_id=uuid.uuid4(),
            )
        )
        await n.settle()
        msg = await wait(lambda: [m for m in n.eml("admin@fc.example") if "validation" in m["Subject"]])
        assert "Léa Roux" in msg[0]["Subject"]
        assert [m["Subject"] for m in n.eml("new@a.example")] == ["Votre demande de compte est en attente de validation"]
        assert not [m for m in n.eml("reviewer@fc.example") if "validation" in m["Subject"]]
        assert len(n.notifications(admin)) == 1


async def test_registration_letter_is_stored_attached_and_served_to_members_and_staff(notifier_factory, wait) -> None:
    async with notifier_factory(service_name="Certif et Pro") as n:
        entity = uuid.uuid4()
        member = await approve(n, "member@a.example", entity)
        filing = uuid.uuid4()
        # The dossier's number, kept from the submission (issue 13, point 14).
        await n.publish(sample_event("filings.filing.submitted", filing_id=filing, entity_id=entity, reference="2026-000321"))
        await wait(lambda: [m for m in n.eml("member@a.example") if "Accusé de réception" in m["Subject"]])
        await n.publish(registration(filing_id=filing, entity_id=entity, title="Conducteur de travaux"))
        await n.settle()
        [msg] = await wait(lambda: [m for m in n.eml("member@a.example") if "RNCP40123" in m["Subject"]])
        assert msg["Subject"].endswith("(dossier n° 2026-000321)")
        text = msg.get_body(("plain",)).get_content()
        assert text.startswith("Dossier n° 2026-000321\n") and "L'équipe « Certif et Pro » — France compétences" in text
        [attachment] = list(msg.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == "decision-enregistrement-RNCP40123.pdf"
        pdf = attachment.get_content()
        assert pdf.startswith(b"%PDF") and "Numéro de dossier 2026-000321" in pdf_text(pdf)

        listing = (await n.client.get(f"/api/notifier/letters?filing_id={filing}", headers=n.auth(member, entity_id=entity))).json()
        [letter] = listing["items"]
        assert letter["kind"] == "registration" and letter["sha256"] == hashlib.sha256(pdf).hexdigest()
        content = await n.client.get(letter["content_url"], headers=n.auth(member, entity_id=entity))
        assert content.status_code == 200 and content.headers["content-type"] == "application/pdf" and content.content == pdf
        staff_headers = n.auth(roles=("director",))
        assert (await n.client.get(letter["content_url"], headers=staff_headers)).status_code == 200
        assert len((await n.client.get(f"/api/notifier/letters?filing_id={filing}", headers=staff_headers)).json()["items"]) == 1
        # another entity's depositor sees nothing of it
        stranger = n.auth(entity_id=uuid.uuid4())
        assert (await n.client.get(letter["content_url"], headers=stranger)).status_code == 404
        assert (await n.client.get(f"/api/notifier/letters?filing_id={filing}", headers=stranger)).json()["items"] == []
        assert (await n.client.get(letter["content_url"], headers=n.auth(entity_id=None))).status_code == 404


async def test_refusal_letter_carries_the_appeal(notifier_factory, wait) -> None:
    async with notifier_factory() as n:
        entity, filing = uuid.uuid4(), uuid.uuid4()
        member = await approve(n, "member@a.example", entity)
        # Adjourned first (issue 13, point 6): the adjournment's letter, attached and listed.
        await n.publish(sample_event("review.case.opinion_given", filing_id=filing, entity_id=entity))
        [adjourned] = await wait(lambda: [m for m in n.eml("member@a.example") if "ajournement" in m["Subject"]])
        [attachment] = list(adjourned.iter_attachments())
        assert attachment.get_filename() == "avis-ajournement-2027-02-15.pdf" and attachment.get_content().startswith(b"%PDF")
        listing = (await n.client.get(f"/api/notifier/letters?filing_id={filing}", headers=n.auth(member, entity_id=entity))).json()
        assert [(i["kind"], i["filename"]) for i in listing["items"]] == [("adjournment", "avis-ajournement-2027-02-15.pdf")]
        await n.publish(
            sample_event(
                "review.case.refused",
                filing_id=filing,
                entity_id=entity,
                appeal_deadline=dt.date(2027, 1, 27),
                reasons=[{"criterion": "Insertion professionnelle", "text": "Trop peu de titulaires en emploi."}],
            )
        )
        await n.settle()
        [msg] = await wait(lambda: [m for m in n.eml("member@a.example") if "refus" in m["Subject"]])
        text = " ".join(msg.get_body(("plain",)).get_content().split())
        assert "Tribunal administratif de Paris" in text and "27 janvier 2027" in text
        assert "Insertion professionnelle : Trop peu de titulaires en emploi." in text
        [attachment] = list(msg.iter_attachments())
        assert attachment.get_filename().startswith("decision-refus-") and attachment.get_content().startswith(b"%PDF")


async def test_outbox_is_for_the_si_admin(notifier_factory, wait) -> None:
    async with notifier_factory() as n:
        await n.publish(sample_event("identity.account.registered", email="viewer@example.org"))
        await n.settle()
        await wait(lambda: n.mail_rows() and n.mail_rows()[0].status == "sent")
        assert (await n.client.get("/api/notifier/outbox", headers=n.auth(roles=("depositor",)))).status_code == 403
        assert (await n.client.get("/api/notifier/outbox", headers=n.auth(roles=("reviewer",)))).status_code == 403
        page = (await n.client.get("/api/notifier/outbox", headers=n.auth(roles=("si_admin",)))).json()
        assert page["total"] == 1
        [item] = page["items"]
        assert item["to"] == "viewer@example.org" and item["status"] == "sent" and "Activez" in item["subject"]
        assert "Bonjour" in item["text"]


async def test_smtp_down_then_up_mail_stays_pending_then_is_sent(notifier_factory, wait) -> None:
    port = free_port()
    sink = SmtpSink(port=port)  # not started yet: the server is down
    async with notifier_factory(smtp_host="127.0.0.1", smtp_port=port) as n:
        await n.publish(sample_event("identity.account.registered", email="patient@example.org"))
        await n.settle()
        [row] = await wait(lambda: [m for m in n.mail_rows("patient@example.org") if m.last_error])
        assert row.status == "pending" and row.sent_at is None and row.attempts == 3  # three tries in a row, each recorded
        assert row.next_attempt_at.replace(tzinfo=dt.UTC) > row.created_at.replace(tzinfo=dt.UTC)
        sink.start()
        try:
            n.advance_clock(3600)  # past the back-off
            msg = await sink.wait_for_async("patient@example.org", "Activez", timeout=20)
            assert msg["Message-ID"] == f"<{row.id}@certreg.localhost>"
            await wait(lambda: n.mail_rows("patient@example.org")[0].status == "sent")
            assert len(sink.messages("patient@example.org")) == 1
            text = msg.get_body(("plain",))
            assert text is not None and "token=" in text.get_content()
            # delivered: the stored copy keeps no usable one-time link
            [sent] = n.mail_rows("patient@example.org")
            assert "token=" not in sent.text_body + sent.html_body and "[lien masqué]" in sent.text_body
            assert not n.eml()  # real SMTP: nothing in the local outbox folder
        finally:
            sink.close()
