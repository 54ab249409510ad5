"""The notifier with identity (``certreg_testing.platform.embedded_platform``): events
committed by identity's unit of work reach the mail outbox, the SMTP server and the bell."""

from __future__ import annotations

import uuid

from certreg_testing.platform import embedded_platform
from services.notifier.tests.samples import sample_event

NAMES = ("identity", "notifier")


def emit_as_identity(p, *events) -> None:
    identity = p.platform.runners["identity"]
    with identity.ctx.uow() as uow:
        for event in events:
            uow.emit(event)
        uow.commit()


async def test_identity_events_reach_the_embedded_outbox_and_the_bell(tmp_path) -> None:
    async with embedded_platform(tmp_path / "platform", names=NAMES) as p:
        account, to = uuid.uuid4(), f"{uuid.uuid4().hex[:8]}@example.org"
        emit_as_identity(
            p,
            sample_event("identity.account.registered", account_id=account, email=to, activation_url="http://certreg.test/a?token=x"),
            sample_event("identity.account.roles_changed", account_id=account, email=to, roles=["depositor", "entity_manager"]),
        )
        msg = await p.wait_for_mail(to, "Activez")
        text = msg.get_body(("plain",))
        assert text is not None and "http://certreg.test/a?token=x" in text.get_content()
        await p.settle()
        page = (await p.client.get("/api/notifier/notifications", headers=p.token(account_id=account))).json()
        assert [i["kind"] for i in page["items"]] == ["roles_changed"]
        assert "gestionnaire entité" in page["items"][0]["body"]
        assert (await p.client.get("/api/notifier/notifications/unread-count", headers=p.token(account_id=uuid.uuid4()))).json() == {
            "count": 0
        }


async def test_embedded_platform_with_a_real_smtp_server(tmp_path, smtp_sink) -> None:
    async with embedded_platform(tmp_path / "platform", names=NAMES, **smtp_sink.settings()) as p:
        to = f"{uuid.uuid4().hex[:8]}@example.org"
        emit_as_identity(p, sample_event("identity.account.registered", email=to))
        msg = await smtp_sink.wait_for_async(to, "Activez")
        assert msg["From"].addresses[0].display_name == "Enregistrement des certifications professionnelles"
        assert p.mails(to) == []  # real mail: nothing in the local folder


async def test_one_trace_from_the_cause_to_the_sent_mail(tmp_path) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from certreg_runtime.telemetry import setup_tracing

    setup_tracing("test")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with embedded_platform(tmp_path / "platform", names=NAMES) as p:
        to = f"{uuid.uuid4().hex[:8]}@example.org"
        with trace.get_tracer("test").start_as_current_span("the user's request") as cause:
            emit_as_identity(p, sample_event("identity.account.registered", email=to))
        await p.wait_for_mail(to, "Activez")
        trace_id = cause.get_span_context().trace_id
        await p.settle()
        sent = [s for s in exporter.get_finished_spans() if s.name == "send mail" and s.context.trace_id == trace_id]
        assert len(sent) == 1 and sent[0].attributes and sent[0].attributes["certreg.mail.kind"]
