"""Pieces on a real S3-compatible server and a real PostgreSQL: the row and the object
go together, or neither is written."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import entities.app.commands
from certreg_contracts.events.identity import AccountApproved
from certreg_runtime.storage import S3BlobStore
from entities.adapters.tables import Document, Entity

pytestmark = pytest.mark.infra

PDF = b"%PDF-1.7\n" + b"% a real-looking PDF body\n" * 4000 + b"%%EOF\n"
EXE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 4096
SIRET = "73282932000074"


def company(siret=SIRET):
    return {
        "kind": "other",
        "legal_form": "company",
        "has_siret": True,
        "siret": siret,
        "denomination": "ACME",
        "named_on_legal_proof": False,
    }


async def test_upload_download_and_failed_uploads_leave_nothing(make_harness, postgres, s3, tmp_path, monkeypatch):
    async with make_harness(tmp_path, database_url=postgres.database_url_template(), **s3.settings()) as h:
        assert h.ctx.engine.dialect.name == "postgresql"
        assert isinstance(h.ctx.blobs, S3BlobStore)
        account_id, headers = h.onboarding()
        app = (await h.apply(headers, **company())).json()
        app_id = app["application_id"]
        prefix = f"applications/{app_id}/"

        # A good piece: stored in S3 with its digest, streamed back identical.
        stored = await h.upload(headers, app_id, "legal_existence", PDF)
        assert stored.status_code == 201, stored.text
        assert stored.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
        [key] = h.stored_keys(prefix)
        assert key.endswith(stored.json()["document_id"])
        admin = h.access(roles=("si_admin",))
        download = await h.client.get(f"/api/entities/applications/{app_id}/documents/{stored.json()['document_id']}", headers=admin)
        assert download.status_code == 200 and download.content == PDF

        # A refused upload writes nothing.
        refused = await h.upload(headers, app_id, "legal_existence", EXE, filename="kbis.pdf")
        assert refused.status_code == 415
        assert h.stored_keys(prefix) == [key]
        assert len(h.rows(Document)) == 1

        # The object is written but the row cannot be (the application was submitted in
        # between): the object is deleted again.
        mandate_date = (datetime.now(ZoneInfo("Europe/Paris")).date() - timedelta(days=5)).isoformat()
        assert (await h.upload(headers, app_id, "mandate_delegation", document_date=mandate_date)).status_code == 201
        assert (await h.client.post(f"/api/entities/applications/{app_id}/submit", headers=headers)).status_code == 202
        keys_before = h.stored_keys(prefix)
        monkeypatch.setattr(entities.app.commands, "start_upload", lambda *args: None)
        written: list[str] = []
        put_file = h.ctx.blobs.put_file

        def spy(bucket, key, path, content_type):
            put_file(bucket, key, path, content_type)
            written.append(key)

        monkeypatch.setattr(h.ctx.blobs, "put_file", spy)
        late = await h.upload(headers, app_id, "legal_existence", PDF)
        assert late.status_code == 409
        assert len(written) == 1 and written[0] not in keys_before  # it was written, then deleted
        assert h.stored_keys(prefix) == keys_before
        assert len(h.rows(Document)) == 2

        # The SI administrator's approval, handled on PostgreSQL: the new entity is verified.
        await h.publish(
            AccountApproved(
                account_id=account_id,
                email="x@example.fr",
                first_name="Camille",
                last_name="Martin",
                entity_id=uuid.UUID(app["entity_id"]),
                roles=["depositor", "entity_manager"],
                decided_by=uuid.uuid4(),
                decided_at=datetime.now(UTC),
            )
        )
        assert await h.ctx.bus.parked() == []
        assert [e.status for e in h.rows(Entity)] == ["verified"]
        assert len(h.emitted("entities.entity.verified")) == 1
