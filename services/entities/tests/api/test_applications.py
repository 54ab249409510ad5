"""The entities routes through the gateway, on the real service runner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from certreg_contracts.events.identity import AccountApproved, AccountRejected
from certreg_testing.samples import PDF, PNG
from entities.adapters.tables import Application, Document, Entity, Membership

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"This program cannot be run in DOS mode" + b"\x00" * 200

VALID_SIRET = "73282932000074"
OTHER_SIRET = "44306184100047"
LA_POSTE_BRANCH = "35600000000015"
PARIS_ADDRESS = {"street": "1 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "France"}


def today():
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def company(siret=VALID_SIRET, **extra):
    return {
        "kind": "other",
        "legal_form": "company",
        "has_siret": True,
        "siret": siret,
        "denomination": "ACME Formation",
        "named_on_legal_proof": False,
        **extra,
    }


def locs(response):
    return [tuple(e["loc"]) for e in response.json()["detail"]]


async def new_entity_application(h, siret=VALID_SIRET, **extra):
    account_id, headers = h.onboarding()
    response = await h.apply(headers, **company(siret, **extra))
    assert response.status_code == 201, response.text
    return account_id, headers, response.json()


async def approve(h, account_id, entity_id, roles=("depositor", "entity_manager")):
    admin = uuid.uuid4()
    await h.publish(
        AccountApproved(
            account_id=account_id,
            email="x@example.fr",
            first_name="Camille",
            last_name="Martin",
            entity_id=entity_id,
            roles=list(roles),
            decided_by=admin,
            decided_at=datetime.now(UTC),
        )
    )
    return admin


# --------------------------------------------------------------------------- declaring


async def test_a_new_entity_with_siret_lists_its_required_pieces(harness):
    _, _, body = await new_entity_application(harness)
    assert body["new_entity"] is True
    assert body["required_documents"] == ["legal_existence", "mandate_delegation"]
    assert body["status"] == "draft"
    # A candidate entity exists for nobody else until the SI administrator verifies it.
    lookup = await harness.client.get("/api/entities/lookup", params={"siret": VALID_SIRET})
    assert lookup.status_code == 404


async def test_named_on_the_proof_only_the_proof_is_required(harness):
    _, _, body = await new_entity_application(harness, named_on_legal_proof=True)
    assert body["required_documents"] == ["legal_existence"]


async def test_a_public_establishment_always_needs_the_mandate(harness):
    _, _, body = await new_entity_application(harness, legal_form="public_establishment", named_on_legal_proof=True)
    assert body["required_documents"] == ["legal_existence", "mandate_delegation"]


async def test_a_siret_with_spaces_is_refused_and_nothing_is_written(harness):
    _, headers = harness.onboarding()
    response = await harness.apply(headers, **company("732 829 320 00074"))
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "siret"]
    assert error["type"] == "siret_spaces"
    assert "espaces" in error["msg"]
    assert harness.rows(Entity) == [] and harness.rows(Application) == []


async def test_a_bad_checksum_and_la_poste(harness):
    _, headers = harness.onboarding()
    bad = await harness.apply(headers, **company("73282932000075"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "siret_checksum"
    poste = await harness.apply(headers, **company(LA_POSTE_BRANCH, denomination="La Poste — agence"))
    assert poste.status_code == 201, poste.text


async def test_a_ministry_cannot_be_a_public_establishment(harness):
    _, headers = harness.onboarding()
    response = await harness.apply(headers, **company(kind="ministry", legal_form="public_establishment"))
    assert response.status_code == 422
    assert [e["type"] for e in response.json()["detail"]] == ["ministry_public_establishment"]


async def test_a_ministry_is_not_asked_its_legal_form_and_the_limits_are_public(harness):
    """Issue 13, point 13: the sign-up page hides « Forme juridique » for a ministry (an
    administration of the State: ``other``), and shows the size limit of a piece."""
    _, headers = harness.onboarding()
    declared = {k: v for k, v in company(kind="ministry").items() if k != "legal_form"}
    response = await harness.apply(headers, **declared)
    assert response.status_code == 201, response.text
    assert response.json()["entity"]["legal_form"] == "other"
    # Another organisation still must say it.
    _, headers = harness.onboarding()
    missing = await harness.apply(headers, **{k: v for k, v in company(OTHER_SIRET).items() if k != "legal_form"})
    assert missing.status_code == 422 and locs(missing) == [("body", "legal_form")]
    limits = await harness.client.get("/api/entities/upload-limits")
    assert limits.status_code == 200
    assert limits.json() == {"max_bytes": 64 * 1024, "max_dossier_bytes": 1024 * 1024 * 1024}  # the harness's CERTREG_MAX_UPLOAD_BYTES


async def test_without_siret_denomination_and_full_address_are_required(harness):
    _, headers = harness.onboarding()
    response = await harness.apply(
        headers, kind="other", legal_form="association", has_siret=False, address={"street": "1 rue", "country": "France"}
    )
    assert response.status_code == 422
    assert locs(response) == [("body", "denomination"), ("body", "address", "postal_code"), ("body", "address", "city")]
    ok = await harness.apply(
        headers, kind="other", legal_form="association", has_siret=False, denomination="Les Amis du Bois", address=PARIS_ADDRESS
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["entity"]["siret"] is None
    assert ok.json()["entity"]["address"] == PARIS_ADDRESS


async def verified_entity(h, siret=VALID_SIRET):
    account_id, headers, app = await new_entity_application(h, siret, named_on_legal_proof=True)
    await h.upload(headers, app["application_id"], "legal_existence")
    assert (await h.client.post(f"/api/entities/applications/{app['application_id']}/submit", headers=headers)).status_code == 202
    await approve(h, account_id, uuid.UUID(app["entity_id"]))
    return account_id, app


async def test_a_verified_siret_joins_its_entity_and_needs_nothing_more(harness):
    _, first = await verified_entity(harness)
    lookup = await harness.client.get("/api/entities/lookup", params={"siret": VALID_SIRET})
    assert lookup.json() == {"entity_id": first["entity_id"], "denomination": "ACME Formation", "status": "verified"}
    _, joiner = harness.onboarding()
    response = await harness.apply(joiner, has_siret=True, siret=VALID_SIRET)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["new_entity"] is False
    assert body["entity_id"] == first["entity_id"]
    assert body["required_documents"] == []
    submitted = await harness.client.post(f"/api/entities/applications/{body['application_id']}/submit", headers=joiner)
    assert submitted.status_code == 202, submitted.text
    event = harness.emitted("entities.application.submitted")[-1]
    assert event["new_entity"] is False and event["entity_id"] == first["entity_id"]
    assert len(harness.rows(Entity)) == 1


async def test_a_second_applicant_of_an_unverified_siret_competes_and_joins_once_one_is_verified(harness):
    first_id, first_headers, first = await new_entity_application(harness, named_on_legal_proof=True)
    second_id, second_headers, second = await new_entity_application(harness, denomination="Usurpateur", named_on_legal_proof=True)
    assert second["new_entity"] is True and second["entity_id"] != first["entity_id"]
    assert second["required_documents"] == ["legal_existence"]
    for headers, app in ((first_headers, first), (second_headers, second)):
        await harness.upload(headers, app["application_id"], "legal_existence")
        assert (await harness.client.post(f"/api/entities/applications/{app['application_id']}/submit", headers=headers)).status_code == 202
    await approve(harness, first_id, uuid.UUID(first["entity_id"]))
    statuses = {str(e.id): e.status for e in harness.rows(Entity)}
    assert statuses == {first["entity_id"]: "verified", second["entity_id"]: "superseded"}
    [moved] = harness.rows(Application, account_id=second_id)
    assert moved.new_entity is False and str(moved.entity_id) == first["entity_id"] and moved.status == "submitted"
    resent = harness.emitted("entities.application.submitted")[-1]
    assert resent["account_id"] == str(second_id) and resent["entity_id"] == first["entity_id"] and resent["new_entity"] is False
    # Its pieces stay with its own candidate: the verified entity shows only its own.
    manager = harness.access(first_id, roles=("depositor", "entity_manager"), entity_id=first["entity_id"])
    record = (await harness.client.get(f"/api/entities/entities/{first['entity_id']}", headers=manager)).json()
    assert len(record["documents"]) == 1


async def test_declaring_again_replaces_the_draft(harness):
    account_id, headers, first = await new_entity_application(harness)
    assert (await harness.upload(headers, first["application_id"], "legal_existence")).status_code == 201
    second = await harness.apply(headers, **company(OTHER_SIRET, denomination="Autre nom"))
    assert second.status_code == 201
    assert [a.id for a in harness.rows(Application, account_id=account_id)] == [uuid.UUID(second.json()["application_id"])]
    assert [e.siret for e in harness.rows(Entity)] == [OTHER_SIRET]
    assert harness.rows(Document) == [] and harness.stored_keys() == []


async def test_the_onboarding_token_is_required(harness):
    assert (await harness.client.post("/api/entities/applications", json=company())).status_code == 401
    access = harness.access()
    assert (await harness.apply(access, **company())).status_code == 401


# --------------------------------------------------------------------------- pieces


async def test_upload_versions_and_submit(harness):
    account_id, headers, app = await new_entity_application(harness)
    app_id = app["application_id"]

    missing = await harness.client.post(f"/api/entities/applications/{app_id}/submit", headers=headers)
    assert missing.status_code == 422
    assert locs(missing) == [("body", "documents", "legal_existence"), ("body", "documents", "mandate_delegation")]
    assert missing.json()["missing"] == ["legal_existence", "mandate_delegation"]

    first = await harness.upload(headers, app_id, "legal_existence", filename="../../Kbis société.pdf")
    assert first.status_code == 201, first.text
    again = await harness.upload(headers, app_id, "legal_existence", PNG, filename="kbis.png")
    assert again.status_code == 201
    assert again.json()["version"] == 2 and again.json()["content_type"] == "image/png"
    assert first.json()["filename"] == "Kbis_societe.pdf"

    no_date = await harness.upload(headers, app_id, "mandate_delegation")
    assert no_date.status_code == 422 and locs(no_date) == [("query", "document_date")]
    too_old = await harness.upload(headers, app_id, "mandate_delegation", document_date=(today() - timedelta(days=100)).isoformat())
    assert too_old.status_code == 422 and too_old.json()["detail"][0]["type"] == "document_too_old"
    future = await harness.upload(headers, app_id, "mandate_delegation", document_date=(today() + timedelta(days=2)).isoformat())
    assert future.status_code == 422 and future.json()["detail"][0]["type"] == "date_in_future"
    bad_type = await harness.upload(headers, app_id, "criminal_record")
    assert bad_type.status_code == 422 and locs(bad_type) == [("path", "doc_type")]

    still = await harness.client.post(f"/api/entities/applications/{app_id}/submit", headers=headers)
    assert still.status_code == 422 and locs(still) == [("body", "documents", "mandate_delegation")]

    mandate = await harness.upload(headers, app_id, "mandate_delegation", document_date=(today() - timedelta(days=10)).isoformat())
    assert mandate.status_code == 201, mandate.text

    done = await harness.client.post(f"/api/entities/applications/{app_id}/submit", headers=headers)
    assert done.status_code == 202, done.text
    [event] = harness.emitted("entities.application.submitted")
    assert event == {
        "application_id": app_id,
        "entity_id": app["entity_id"],
        "account_id": str(account_id),
        "new_entity": True,
        "denomination": "ACME Formation",
        "siret": VALID_SIRET,
        "kind": "other",
        "legal_form": "company",
    }
    late = await harness.upload(headers, app_id, "legal_existence")
    assert late.status_code == 409 and late.json()["state"] == "submitted"
    twice = await harness.client.post(f"/api/entities/applications/{app_id}/submit", headers=headers)
    assert twice.status_code == 409

    view = await harness.client.get(f"/api/entities/applications/{app_id}", headers=headers)
    assert view.status_code == 200
    pieces = {p["doc_type"]: p for p in view.json()["documents"]}
    # A draft's re-upload replaced the piece: one file per piece (issue 11, point 17).
    assert [v["version"] for v in pieces["legal_existence"]["versions"]] == [2]
    assert len(harness.stored_keys(f"applications/{app_id}/legal_existence/")) == 1
    assert view.json()["status"] == "submitted" and view.json()["missing_documents"] == []


async def test_a_mandate_that_aged_past_three_months_blocks_the_submission(harness):
    _, headers, app = await new_entity_application(harness)
    app_id = app["application_id"]
    assert (await harness.upload(headers, app_id, "legal_existence")).status_code == 201
    dated = (today() - timedelta(days=80)).isoformat()
    assert (await harness.upload(headers, app_id, "mandate_delegation", document_date=dated)).status_code == 201
    harness.settings.clock_offset_file.write_text(str(20 * 86400))
    response = await harness.client.post(f"/api/entities/applications/{app_id}/submit", headers=headers)
    assert response.status_code == 422
    assert [(tuple(e["loc"]), e["type"]) for e in response.json()["detail"]] == [
        (("body", "documents", "mandate_delegation"), "document_too_old")
    ]


async def test_a_renamed_executable_is_refused_and_nothing_is_stored(harness):
    _, headers, app = await new_entity_application(harness)
    response = await harness.upload(headers, app["application_id"], "legal_existence", EXE, filename="kbis.pdf")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_type"
    assert harness.rows(Document) == []
    assert harness.stored_keys() == []


async def test_an_oversized_file_is_refused_and_nothing_is_stored(harness):
    _, headers, app = await new_entity_application(harness)
    big = PDF + b"0" * (harness.settings.max_upload_bytes + 1)
    multipart = await harness.upload(headers, app["application_id"], "legal_existence", big)
    assert multipart.status_code == 413
    raw = await harness.client.put(
        f"/api/entities/applications/{app['application_id']}/documents/legal_existence",
        content=big,
        headers={**headers, "Content-Type": "application/pdf"},
    )
    assert raw.status_code == 413 and raw.json()["code"] == "too_large"
    assert harness.rows(Document) == []
    assert harness.stored_keys() == []


async def test_a_raw_body_upload_works(harness):
    _, headers, app = await new_entity_application(harness)
    response = await harness.client.put(
        f"/api/entities/applications/{app['application_id']}/documents/legal_existence",
        content=PDF,
        headers={**headers, "Content-Type": "application/octet-stream", "Content-Disposition": 'attachment; filename="statuts.pdf"'},
    )
    assert response.status_code == 201, response.text
    import hashlib

    assert response.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert response.json()["size"] == len(PDF) and response.json()["filename"] == "statuts.pdf"


async def test_someone_else_cannot_touch_an_application(harness):
    _, _, app = await new_entity_application(harness)
    _, stranger = harness.onboarding()
    app_id = app["application_id"]
    assert (await harness.upload(stranger, app_id, "legal_existence")).status_code == 404
    assert (await harness.client.post(f"/api/entities/applications/{app_id}/submit", headers=stranger)).status_code == 404
    assert (await harness.client.get(f"/api/entities/applications/{app_id}", headers=stranger)).status_code == 404
    assert harness.stored_keys() == []


# --------------------------------------------------------------------------- validation and after


async def test_approval_verifies_the_new_entity_and_the_manager_downloads(harness):
    account_id, headers, app = await new_entity_application(harness, named_on_legal_proof=True)
    app_id, entity_id = app["application_id"], app["entity_id"]
    doc = (await harness.upload(headers, app_id, "legal_existence")).json()
    assert (await harness.client.post(f"/api/entities/applications/{app_id}/submit", headers=headers)).status_code == 202

    admin = await approve(harness, account_id, uuid.UUID(entity_id))
    [entity] = harness.rows(Entity)
    assert entity.status == "verified" and entity.verified_by == admin
    [membership] = harness.rows(Membership)
    assert membership.role == "entity_manager" and membership.account_id == account_id
    [verified] = harness.emitted("entities.entity.verified")
    assert verified["entity_id"] == entity_id and verified["verified_by"] == str(admin)
    assert harness.rows(Application)[0].status == "approved"

    manager = harness.access(account_id, roles=("depositor", "entity_manager"), entity_id=entity_id)
    url = f"/api/entities/applications/{app_id}/documents/{doc['document_id']}"
    download = await harness.client.get(url, headers=manager)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"

    si_admin = harness.access(roles=("si_admin",))
    assert (await harness.client.get(url, headers=si_admin)).content == PDF
    listing = await harness.client.get("/api/entities/applications", params={"account_id": str(account_id)}, headers=si_admin)
    assert listing.status_code == 200 and listing.json()["total"] == 1
    assert listing.json()["items"][0]["entity"]["denomination"] == "ACME Formation"

    record = await harness.client.get(f"/api/entities/entities/{entity_id}", headers=manager)
    assert record.status_code == 200
    assert record.json()["status"] == "verified"
    assert [p["doc_type"] for p in record.json()["documents"]] == ["legal_existence"]
    assert [m["role"] for m in record.json()["members"]] == ["entity_manager"]

    # Someone of another entity: unknown. A member of this entity without the role: refused.
    outsider = harness.access(roles=("depositor", "entity_manager"), entity_id=uuid.uuid4())
    assert (await harness.client.get(url, headers=outsider)).status_code == 404
    assert (await harness.client.get(f"/api/entities/entities/{entity_id}", headers=outsider)).status_code == 404
    member = harness.access(roles=("depositor",), entity_id=entity_id)
    assert (await harness.client.get(url, headers=member)).status_code == 403
    reviewer = harness.access(roles=("reviewer",))
    assert (await harness.client.get(url, headers=reviewer)).status_code == 403
    assert (await harness.client.get(url)).status_code == 401
    other_manager_listing = await harness.client.get("/api/entities/applications", params={"entity_id": entity_id}, headers=outsider)
    assert other_manager_listing.status_code == 404
    depositor_listing = await harness.client.get("/api/entities/applications", headers=member)
    assert depositor_listing.status_code == 403


async def test_a_redelivered_approval_has_no_second_effect(harness):
    account_id, headers, app = await new_entity_application(harness, named_on_legal_proof=True)
    await harness.upload(headers, app["application_id"], "legal_existence")
    await harness.client.post(f"/api/entities/applications/{app['application_id']}/submit", headers=headers)
    event = AccountApproved(
        account_id=account_id,
        email="x@example.fr",
        first_name="Camille",
        last_name="Martin",
        entity_id=uuid.UUID(app["entity_id"]),
        roles=["depositor", "entity_manager"],
        decided_by=uuid.uuid4(),
        decided_at=datetime.now(UTC),
    )
    from certreg_contracts import Envelope
    from certreg_runtime.bus import OutgoingMessage

    envelope = Envelope.wrap(event, producer="identity")
    await harness.ctx.bus.publish([OutgoingMessage(envelope), OutgoingMessage(envelope)])
    await harness.settle()
    assert len(harness.emitted("entities.entity.verified")) == 1


async def test_a_joiner_approved_by_the_manager_becomes_a_member(harness):
    creator, app = await verified_entity(harness)
    joiner_id, joiner = harness.onboarding()
    joined = (await harness.apply(joiner, has_siret=True, siret=VALID_SIRET)).json()
    await harness.client.post(f"/api/entities/applications/{joined['application_id']}/submit", headers=joiner)
    await approve(harness, joiner_id, uuid.UUID(app["entity_id"]), roles=("depositor",))
    assert sorted((str(m.account_id), m.role) for m in harness.rows(Membership)) == sorted(
        [(str(joiner_id), "depositor"), (str(creator), "entity_manager")]
    )
    assert len(harness.emitted("entities.entity.verified")) == 1


async def test_rejection_drops_a_new_entity_and_frees_its_siret(harness):
    account_id, headers, app = await new_entity_application(harness, named_on_legal_proof=True)
    await harness.upload(headers, app["application_id"], "legal_existence")
    await harness.client.post(f"/api/entities/applications/{app['application_id']}/submit", headers=headers)
    await harness.publish(
        AccountRejected(
            account_id=account_id,
            email="x@example.fr",
            first_name="Camille",
            entity_id=uuid.UUID(app["entity_id"]),
            reason="Justificatif illisible",
            decided_by=uuid.uuid4(),
            decided_at=datetime.now(UTC),
        )
    )
    [application] = harness.rows(Application)
    assert application.status == "rejected" and application.rejection_reason == "Justificatif illisible"
    assert harness.rows(Entity)[0].status == "rejected"
    assert (await harness.client.get("/api/entities/lookup", params={"siret": VALID_SIRET})).status_code == 404
    _, again = harness.onboarding()
    fresh = await harness.apply(again, **company())
    assert fresh.status_code == 201 and fresh.json()["new_entity"] is True


# --------------------------------------------------------------------------- public helpers


async def test_lookup(harness):
    assert (await harness.client.get("/api/entities/lookup", params={"siret": OTHER_SIRET})).status_code == 404
    spaced = await harness.client.get("/api/entities/lookup", params={"siret": "443 061 841 00047"})
    assert spaced.status_code == 422 and locs(spaced) == [("query", "siret")]


async def test_the_mandate_template_is_a_filled_in_pdf(harness):
    response = await harness.client.get(
        "/api/entities/mandate-template.pdf",
        params={
            "denomination": "ACME Formation",
            "siret": VALID_SIRET,
            "representative": "Jeanne Dupont",
            "delegate": "Camille Martin",
            "delegate_role": "Responsable qualité",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "delegation-de-mandat.pdf" in response.headers["content-disposition"]
    import io

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("ACME Formation", "Jeanne Dupont", "Camille Martin", "Responsable qualité", "administrateur entité"):
        assert expected in text


async def test_an_approval_for_an_unknown_entity_is_parked(harness):
    await approve(harness, uuid.uuid4(), uuid.uuid4())
    [parked] = await harness.ctx.bus.parked("entities")
    assert parked.type == "identity.account.approved"
    assert "unknown entity" in parked.error
    assert harness.rows(Membership) == []
