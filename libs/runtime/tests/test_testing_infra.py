"""The test infrastructure itself, against the real servers."""

import io
import smtplib
import socket
from email.message import EmailMessage

import aio_pika
import pytest
import sqlalchemy

from certreg_testing import infra

pytestmark = pytest.mark.infra


def test_free_port_and_wait_for_port():
    port = infra.free_port()
    with pytest.raises(TimeoutError):
        infra.wait_for_port("127.0.0.1", port, timeout=0.3)
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        infra.wait_for_port("127.0.0.1", port, timeout=5)


def test_postgres_create_select_drop(postgres):
    name = f"{infra.unique_db_prefix()}_probe"
    url = postgres.create_database(name)
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT 1")).scalar() == 1
            assert conn.execute(sqlalchemy.text("SELECT current_database()")).scalar() == name
        postgres.drop_database(name)  # with the pooled connection still open
    finally:
        engine.dispose()
    with postgres._admin() as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None


def test_a_kept_database_outlives_its_server_object(postgres):
    """A bench's BENCH_REGISTRY_KEEP: close() drops what the object created, except what it keeps."""
    server = infra.PostgresServer(postgres.admin_url)  # the same server, a second object
    name = f"{infra.unique_db_prefix()}_kept"
    server.create_database(name)
    server.keep(name)
    server.close()
    try:
        with postgres._admin() as conn:
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    finally:
        postgres.drop_database(name)


def test_postgres_service_databases(postgres):
    prefix = infra.unique_db_prefix()
    template = postgres.database_url_template(prefix)
    assert "{service}" in template
    urls = postgres.create_service_databases(prefix, ["identity", "filings"])
    assert urls["filings"] == template.format(service="filings")
    engine = sqlalchemy.create_engine(urls["filings"])
    with engine.connect() as conn:
        assert conn.execute(sqlalchemy.text("SELECT current_database()")).scalar() == f"{prefix}_filings"
    engine.dispose()


async def test_amqp_publish_consume(amqp_url):
    ns = infra.unique_namespace()
    queue_name = f"{ns}.probe"
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(f"{ns}.events", aio_pika.ExchangeType.TOPIC)
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(exchange, routing_key="probe.#")
        await exchange.publish(aio_pika.Message(b"hello"), routing_key="probe.sent")
        async with queue.iterator(timeout=10) as messages:
            async for message in messages:
                async with message.process():
                    assert message.body == b"hello"
                    assert message.routing_key == "probe.sent"
                break

    await infra.delete_namespace(amqp_url, ns, [queue_name])
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await (await connection.channel()).declare_queue(queue_name, passive=True)
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await (await connection.channel()).declare_exchange(f"{ns}.events", passive=True)


def test_s3_bucket_roundtrip(s3):
    client = s3.client()
    bucket = f"certreg-{infra.unique_namespace()}"
    client.make_bucket(bucket)
    try:
        client.put_object(bucket, "dossier/piece.pdf", io.BytesIO(b"%PDF-1.4 test"), 13, content_type="application/pdf")
        response = client.get_object(bucket, "dossier/piece.pdf")
        assert response.read() == b"%PDF-1.4 test"
        response.close()
        response.release_conn()
        assert [o.object_name for o in client.list_objects(bucket, recursive=True)] == ["dossier/piece.pdf"]
        client.remove_object(bucket, "dossier/piece.pdf")
    finally:
        client.remove_bucket(bucket)
    assert not client.bucket_exists(bucket)


def test_smtp_sink_receives(smtp_sink):
    smtp_sink.clear()
    msg = EmailMessage()
    msg["From"] = "noreply@certreg.test"
    msg["To"] = "Élodie <elodie@example.org>"
    msg["Subject"] = "Confirmez votre adresse"
    msg.set_content("Bonjour,\nconfirmez ici : http://127.0.0.1:8000/confirm?token=abc123.\nMerci")
    msg.add_alternative('<p><a href="http://127.0.0.1:8000/confirm?token=abc123">confirmer</a></p>', subtype="html")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as client:
        client.send_message(msg)

    received = smtp_sink.wait_for("elodie@example.org", subject_contains="Confirmez", timeout=10)
    assert received["Subject"] == "Confirmez votre adresse"
    assert "confirmez ici" in infra.text_body(received)
    assert infra.links(received) == ["http://127.0.0.1:8000/confirm?token=abc123"]
    assert smtp_sink.messages(to="ELODIE@example.org") == [received]
    with pytest.raises(AssertionError, match="Confirmez votre adresse"):
        smtp_sink.wait_for("someone-else@example.org", timeout=0.2)
    smtp_sink.clear()
    assert smtp_sink.messages() == []


async def test_smtp_sink_wait_async(smtp_sink):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@certreg.test", "b@example.org", "async"
    msg.set_content("x")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as client:
        client.send_message(msg)
    assert (await smtp_sink.wait_for_async("b@example.org", timeout=10))["Subject"] == "async"


def test_unreachable_postgres_says_what_to_set(monkeypatch):
    monkeypatch.setenv(infra.PG_VAR, "postgresql+psycopg://postgres@127.0.0.1:1/postgres")
    with pytest.raises(infra.InfraUnavailable, match="CERTREG_TEST_DATABASE_URL") as excinfo:
        infra.resolve_postgres()
    assert "127.0.0.1:1" in str(excinfo.value)


def test_unreachable_amqp_says_what_to_set(monkeypatch):
    monkeypatch.setenv(infra.AMQP_VAR, "amqp://guest:secret@127.0.0.1:1/")
    with pytest.raises(infra.InfraUnavailable, match="CERTREG_TEST_AMQP_URL") as excinfo:
        infra.resolve_amqp()
    assert "secret" not in str(excinfo.value)
