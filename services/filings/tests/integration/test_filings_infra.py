"""Filings on the real infrastructure: PostgreSQL and S3 (weed mini) for the documents,
RabbitMQ for the submission event."""

import datetime as dt
import hashlib
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from certreg_contracts import Envelope
from certreg_contracts.events.filings import FilingSubmitted
from certreg_contracts.types import SERVICES
from certreg_runtime.bus.rabbit import RabbitBus
from certreg_testing.infra import delete_namespace, unique_namespace
from certreg_testing.platform import eventually
from certreg_testing.samples import PDF

pytestmark = pytest.mark.infra


def objects(s3, bucket: str, prefix: str) -> list[str]:
    return [o.object_name for o in s3.client().list_objects(bucket, prefix=prefix, recursive=True)]


def document_rows(h, filing_id: str) -> int:
    table = h.ctx.metadata.tables["documents"]
    with h.ctx.engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.filing_id == uuid.UUID(filing_id))).scalar_one()
        )


async def test_documents_on_postgresql_and_s3(tmp_path: Path, postgres, s3, monkeypatch, make_platform) -> None:
    async with make_platform(tmp_path, database_url=postgres.database_url_template(), max_upload_bytes=256 * 1024, **s3.settings()) as h:
        assert h.ctx.engine.dialect.name == "postgresql"
        bucket = h.ctx.bucket("documents")
        dep = h.depositor()
        filing = await h.create(dep)
        fid = filing["filing_id"]

        # A 200 KiB piece goes up and comes back byte for byte.
        content = PDF + bytes(range(256)) * 800
        response = await h.upload(dep, fid, "legal_existence", content, filename="Kbis société.pdf")
        assert response.status_code == 201, response.text
        doc = response.json()
        assert doc["sha256"] == hashlib.sha256(content).hexdigest() and doc["size"] == len(content)
        assert doc["filename"] == "Kbis_societe.pdf"
        assert objects(s3, bucket, f"{fid}/") == [f"{fid}/{doc['document_id']}"]
        download = await h.client.get(f"/api/filings/{fid}/documents/{doc['document_id']}/content", headers=dep)
        assert download.status_code == 200 and download.content == content

        # Refused uploads leave neither a row nor an object.
        assert (await h.upload(dep, fid, "sector_studies", b"GIF89a not accepted")).status_code == 415
        assert (await h.upload(dep, fid, "sector_studies", PDF + b"x" * 300 * 1024)).status_code == 413
        assert (await h.upload(dep, fid, "criminal_record", document_date=dt.date(2001, 1, 1))).status_code == 422
        assert document_rows(h, fid) == 1 and len(objects(s3, bucket, f"{fid}/")) == 1

        # The filing is withdrawn while a piece is being stored: the object is removed again.
        original = h.ctx.blobs.put_file

        def put_then_withdraw(bucket_: str, key: str, path: Path, content_type: str) -> None:
            original(bucket_, key, path, content_type)
            filings = h.ctx.metadata.tables["filings"]
            with h.ctx.engine.begin() as conn:
                conn.execute(filings.update().where(filings.c.id == uuid.UUID(fid)).values(status="withdrawn"))

        monkeypatch.setattr(h.ctx.blobs, "put_file", put_then_withdraw)
        response = await h.upload(dep, fid, "sector_studies")
        assert response.status_code == 409 and response.json()["code"] == "not_editable"
        assert document_rows(h, fid) == 1 and objects(s3, bucket, f"{fid}/") == [f"{fid}/{doc['document_id']}"]


async def test_the_submission_reaches_a_consumer_on_rabbitmq(tmp_path: Path, amqp_url: str, make_platform) -> None:
    namespace = unique_namespace()
    received: list[Envelope] = []

    async def probe(envelope: Envelope) -> None:
        received.append(envelope)

    listener = RabbitBus(amqp_url, namespace=namespace)
    listener.subscribe("probe", ["filings.filing.submitted"], probe)
    await listener.start()
    try:
        async with make_platform(tmp_path, amqp_url=amqp_url, bus_namespace=namespace) as h:
            dep = h.depositor()
            filing = await h.create(dep)
            await h.complete(dep, filing)
            response = await h.client.post(f"/api/filings/{filing['filing_id']}/submit", json={"sworn_statement": True}, headers=dep)
            assert response.status_code == 202, response.text
            await eventually(lambda: any(e.payload["filing_id"] == filing["filing_id"] for e in received), timeout=30)
        [envelope] = received
        assert envelope.type == "filings.filing.submitted" and envelope.producer == "filings"
        event = envelope.open()
        assert isinstance(event, FilingSubmitted)
        assert event.submission_round == 1 and len(event.documents) == 5
    finally:
        await listener.close()
        queues = [f"{namespace}.{name}{suffix}" for name in (*SERVICES, "probe") for suffix in ("", ".parking")]
        await delete_namespace(amqp_url, namespace, queues)
