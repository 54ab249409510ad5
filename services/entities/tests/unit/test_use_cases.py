"""The entities use cases without the platform: an in-memory database, a fixed clock and
an in-memory blob store (certreg_testing.unit)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from certreg_runtime.auth import ONBOARDING_SCOPE, Principal
from certreg_runtime.clock import FixedClock
from certreg_runtime.errors import Conflict, Invalid
from certreg_runtime.service import Deps
from certreg_runtime.uploads import ReceivedFile
from certreg_testing.unit import MemoryBlobStore, Unit, unit
from entities.adapters.tables import Application, Entity, metadata
from entities.app import commands
from entities.app.queries import reading
from entities.domain.rules import Declaration

SIRET = "73282932000074"
PDF = b"%PDF-1.4\n%%EOF\n"
# 10:00 in Paris on 1 March 2026.
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def u() -> Unit[Deps]:
    return unit(Deps, "entities", metadata, clock=FixedClock(NOW))


def applicant() -> Principal:
    account_id = uuid.uuid4()
    return Principal(account_id, f"{account_id.hex[:8]}@example.fr", frozenset(), None, ONBOARDING_SCOPE)


def company(siret: str = SIRET) -> Declaration:
    return Declaration(kind="other", legal_form="company", has_siret=True, siret=siret, denomination="ACME Formation")


def received(tmp_path: Path, content: bytes = PDF) -> ReceivedFile:
    path = tmp_path / uuid.uuid4().hex
    path.write_bytes(content)
    return ReceivedFile(path, len(content), hashlib.sha256(content).hexdigest(), "application/pdf", "piece.pdf")


def entities(u: Unit[Deps]) -> list[Entity]:
    with reading(u.deps) as session:
        return list(session.exec(select(Entity)).all())


def test_a_new_siret_creates_a_pending_entity_with_its_pieces_to_provide(u):
    record = commands.create_application(u.deps, applicant(), company())
    assert record.application.new_entity is True and record.application.status == "draft"
    assert record.entity.siret == SIRET and record.entity.status == "pending_verification"
    assert record.entity.created_at == NOW
    assert record.required == ["legal_existence", "mandate_delegation"] == record.missing
    assert [e.id for e in entities(u)] == [record.entity.id]
    assert u.emitted() == []


def verify(u: Unit[Deps], entity_id: uuid.UUID) -> None:
    with u.deps.uow() as uow:
        entity = uow.session.get(Entity, entity_id)
        assert entity is not None
        entity.status = "verified"
        uow.session.add(entity)
        uow.commit()


def test_a_verified_siret_joins_its_entity_and_needs_no_piece(u):
    first = commands.create_application(u.deps, applicant(), company())
    verify(u, first.entity.id)
    joined = commands.create_application(u.deps, applicant(), Declaration(has_siret=True, siret=SIRET))
    assert joined.application.new_entity is False
    assert joined.entity.id == first.entity.id
    assert joined.required == []
    assert len(entities(u)) == 1


def test_an_unverified_siret_is_declared_again_by_a_competitor(u):
    first = commands.create_application(u.deps, applicant(), company())
    competing = commands.create_application(u.deps, applicant(), company())
    assert competing.application.new_entity is True and competing.entity.id != first.entity.id
    assert competing.required == ["legal_existence", "mandate_delegation"]
    with pytest.raises(Invalid):  # nothing to join: the competitor declares the entity in full
        commands.create_application(u.deps, applicant(), Declaration(has_siret=True, siret=SIRET))


def test_a_bad_siret_is_refused_and_nothing_is_written(u):
    with pytest.raises(Invalid) as refused:
        commands.create_application(u.deps, applicant(), company("73282932000075"))
    assert refused.value.detail == [
        {
            "loc": ["body", "siret"],
            "msg": "Ce SIRET n'existe pas : sa clé de contrôle est incorrecte. Vérifiez sa saisie.",
            "type": "siret_checksum",
        }
    ]
    assert entities(u) == []


def test_a_submission_with_a_missing_piece_lists_it_and_changes_nothing(u, tmp_path):
    user = applicant()
    application_id = commands.create_application(u.deps, user, company()).application.id
    commands.add_document(u.deps, user, application_id, "legal_existence", None, received(tmp_path))

    with pytest.raises(Invalid) as refused:
        commands.submit_application(u.deps, user, application_id)
    assert [(e["loc"], e["type"]) for e in refused.value.detail] == [(["body", "documents", "mandate_delegation"], "missing_document")]
    assert refused.value.extra == {"missing": ["mandate_delegation"], "required_documents": ["legal_existence", "mandate_delegation"]}
    with reading(u.deps) as session:
        application = session.get(Application, application_id)
    assert application is not None and application.status == "draft"
    assert u.emitted() == []

    # With the mandate (dated in Paris today), the application goes.
    commands.add_document(u.deps, user, application_id, "mandate_delegation", date(2026, 3, 1), received(tmp_path))
    submitted = commands.submit_application(u.deps, user, application_id)
    assert submitted.status == "submitted" and submitted.submitted_at == NOW
    assert [e.type for e in u.emitted()] == ["entities.application.submitted"]


def test_a_piece_arriving_after_the_submission_leaves_no_object(u, tmp_path):
    verify(u, commands.create_application(u.deps, applicant(), company()).entity.id)
    user = applicant()
    joined = commands.create_application(u.deps, user, Declaration(has_siret=True, siret=SIRET))
    commands.submit_application(u.deps, user, joined.application.id)
    blobs = u.deps.storage
    assert isinstance(blobs, MemoryBlobStore)
    with pytest.raises(Conflict) as refused:
        commands.add_document(u.deps, user, joined.application.id, "legal_existence", None, received(tmp_path))
    assert refused.value.code == "application_not_draft"
    assert blobs.objects == {}
