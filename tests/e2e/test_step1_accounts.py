"""Step 1 (issue 3) through the gateway, each service in its own process: an account
and a new entity with its pieces, activation by the mail's link, validation by the SI
administrator, a colleague approved and another rejected by the entity manager; and
what bad input answers."""

from __future__ import annotations

from typing import Any

import pytest

from certreg_testing.infra import text_body
from certreg_testing.samples import random_siret

from .conftest import EXE, PDF, Api, Person, bad_checksum, eventually, expect, field_errors, unique_email

pytestmark = pytest.mark.e2e


def test_account_entity_activation_and_validations(api: Api, si_admin: Person) -> None:
    client = api.client

    # A person creates an account and declares a new entity with its pieces.
    camille, onboarding = api.register("Camille", "Durand")
    siret = random_siret()
    expect(client.get("/api/entities/lookup", params={"siret": siret}), 404)
    app = api.new_entity_application(camille, onboarding, siret, "Les Compagnons du Numérique")
    assert app["new_entity"] is True
    assert app["required_documents"] == ["legal_existence", "mandate_delegation"]
    pieces = api.upload_entity_pieces(camille, onboarding)
    assert pieces["legal_existence"]["content_type"] == "application/pdf" and pieces["legal_existence"]["size"] == len(PDF)
    api.submit_application(camille, onboarding)
    # Not verified yet: the SIRET is nobody's for the others (issue 11, point 1).
    expect(client.get("/api/entities/lookup", params={"siret": siret}), 404)

    # Before activation, logging in says so (once identity has heard of the submitted
    # application; until then it answers "application_missing").
    def login_code() -> str:
        response = client.post("/api/identity/token", data={"username": camille.email, "password": camille.password})
        assert response.status_code == 403, response.text
        code: str = response.json()["code"]
        return code

    eventually(lambda: login_code() == "not_activated", "login answers not_activated")

    # The activation mail's link, then the account waits for the SI administrator.
    api.activate(camille)
    waiting = client.post("/api/identity/token", data={"username": camille.email, "password": camille.password})
    assert waiting.status_code == 403 and waiting.json()["code"] == "pending_validation"

    # The SI administrator sees the request, the entity and downloads its piece, then approves.
    admin = api.login(si_admin)
    request = api.pending_request(admin, camille)
    assert request["new_entity"] is True and request["entity_id"] == camille.entity_id
    entity = expect(client.get(f"/api/entities/entities/{camille.entity_id}", headers=admin), 200)
    assert entity["siret"] == siret and entity["status"] == "pending_verification"
    assert {p["doc_type"] for p in entity["documents"]} == {"legal_existence", "mandate_delegation"}
    legal = next(p for p in entity["documents"] if p["doc_type"] == "legal_existence")["versions"][0]
    download = client.get(legal["download_url"], headers=admin)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"].startswith("application/pdf")
    approved = expect(client.post(f"/api/identity/account-requests/{camille.account_id}/approve", headers=admin, json={}), 200)
    assert approved["status"] == "active" and sorted(approved["roles"]) == ["depositor", "entity_manager"]
    mail = api.mail(camille.email, "Votre compte est validé")
    assert "gestionnaire de votre entité" in text_body(mail)

    # The person logs in as the entity manager; the entity becomes verified.
    manager = api.login(camille)
    me = expect(client.get("/api/identity/me", headers=manager), 200)
    assert me["status"] == "active" and me["entity_id"] == camille.entity_id
    assert "entity_manager" in me["roles"] and "depositor" in me["roles"]

    def verified_entity() -> dict[str, Any]:
        entity: dict[str, Any] = expect(client.get(f"/api/entities/entities/{camille.entity_id}", headers=manager), 200)
        assert entity["status"] == "verified", entity["status"]
        return entity

    verified = eventually(verified_entity, "entity verified after the approval")
    assert [m["email"] for m in verified["members"]] == [camille.email]

    # A colleague joins the same SIRET; the manager (not the SI administrator) approves.
    dominique = api.join_entity("Dominique", "Petit", siret)
    assert dominique.entity_id == camille.entity_id
    try:
        api.mail(camille.email, "Un compte est en attente de votre validation")
    except AssertionError as exc:
        listed = client.get("/api/identity/account-requests", params={"limit": 200}, headers=manager).json()["items"]
        application = client.get(f"/api/entities/applications/{dominique.application_id}", headers=manager).json()
        pytest.fail(
            f"{exc}\nthe colleague's application is {application.get('status')!r}; listed for the manager: "
            f"{any(i['account_id'] == dominique.account_id for i in listed)}"
            f"\nBUG (identity), most likely: activation and the handling of entities.application.submitted raced; each read "
            "the account without a row lock, saw the other step not done yet, and neither emitted "
            "identity.account.validation_requested (write skew). Fix: lock the account row in both: "
            "services/identity/src/identity/operations.py consume() `session.get(Account, token.account_id, "
            "with_for_update=True)` and services/identity/src/identity/handlers.py application_submitted "
            "`uow.session.get(Account, event.account_id, with_for_update=True)`."
        )
    listed = api.pending_request(manager, dominique)
    assert listed["new_entity"] is False
    admin_try = client.post(f"/api/identity/account-requests/{dominique.account_id}/approve", headers=api.login(si_admin), json={})
    assert admin_try.status_code == 403, admin_try.text
    expect(client.post(f"/api/identity/account-requests/{dominique.account_id}/approve", headers=manager, json={}), 200)
    assert "Vous pouvez vous connecter" in text_body(api.mail(dominique.email, "Votre compte est validé"))
    colleague = expect(client.get("/api/identity/me", headers=api.login(dominique)), 200)
    assert colleague["roles"] == ["depositor"] and colleague["entity_id"] == camille.entity_id

    # A third request is rejected with a reason: the mail carries it, login answers 403 rejected.
    sacha = api.join_entity("Sacha", "Inconnu", siret)
    api.pending_request(manager, sacha)
    reason = "Cette personne ne fait pas partie de notre organisme."
    no_reason = client.post(f"/api/identity/account-requests/{sacha.account_id}/reject", headers=manager, json={"reason": " "})
    assert no_reason.status_code == 422 and field_errors(no_reason.json()) == {"reason": "missing"}
    rejected = expect(
        client.post(f"/api/identity/account-requests/{sacha.account_id}/reject", headers=manager, json={"reason": reason}), 200
    )
    assert rejected["status"] == "rejected"
    assert reason in text_body(api.mail(sacha.email, "a été refusée"))
    login = client.post("/api/identity/token", data={"username": sacha.email, "password": sacha.password})
    assert login.status_code == 403 and login.json()["code"] == "rejected"
    again = client.post(f"/api/identity/account-requests/{sacha.account_id}/approve", headers=manager, json={})
    assert again.status_code == 409 and again.json()["code"] == "not_pending_validation"

    # The entity's members: the manager and the approved colleague, not the rejected person.
    members = expect(client.get(f"/api/entities/entities/{camille.entity_id}", headers=manager), 200)["members"]
    assert sorted(m["email"] for m in members) == sorted([camille.email, dominique.email])


def test_bad_input_names_the_field(api: Api) -> None:
    client = api.client
    good = {"email": unique_email("lou"), "password": "Correct-Horse-42!", "first_name": "Lou", "last_name": "Bernard"}

    malformed = client.post("/api/identity/accounts", json={**good, "email": "lou@@example"})
    assert malformed.status_code == 422 and field_errors(malformed.json()) == {"email": "email_invalid"}
    assert malformed.json()["detail"][0]["loc"] == ["body", "email"] and malformed.json()["detail"][0]["msg"]
    weak = client.post("/api/identity/accounts", json={**good, "password": "court"})
    assert weak.status_code == 422 and set(field_errors(weak.json())) == {"password"}
    assert all(e["loc"] == ["body", "password"] for e in weak.json()["detail"])

    person, onboarding = api.register("Lou", "Bernard", good["email"])
    siret = random_siret()
    declaration = {
        "kind": "other",
        "legal_form": "company",
        "has_siret": True,
        "denomination": "Atelier Bernard",
        "named_on_legal_proof": True,
    }
    with_spaces = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    spaced = client.post("/api/entities/applications", headers=onboarding, json={**declaration, "siret": with_spaces})
    assert spaced.status_code == 422 and field_errors(spaced.json()) == {"siret": "siret_spaces"}
    checksum = client.post("/api/entities/applications", headers=onboarding, json={**declaration, "siret": bad_checksum(siret)})
    assert checksum.status_code == 422 and field_errors(checksum.json()) == {"siret": "siret_checksum"}
    assert "clé de contrôle" in checksum.json()["detail"][0]["msg"]
    lookup = client.get("/api/entities/lookup", params={"siret": bad_checksum(siret)})
    assert lookup.status_code == 422 and field_errors(lookup.json()) == {"siret": "siret_checksum"}

    # A renamed executable sent as a PDF is refused; the piece is still missing.
    app = api.new_entity_application(person, onboarding, siret, "Atelier Bernard")
    assert app["required_documents"] == ["legal_existence", "mandate_delegation"]
    base = f"/api/entities/applications/{person.application_id}"
    renamed = client.put(f"{base}/documents/legal_existence", headers=onboarding, files={"file": ("kbis.pdf", EXE, "application/pdf")})
    assert renamed.status_code == 415, renamed.text
    raw = client.put(f"{base}/documents/legal_existence", headers={**onboarding, "Content-Type": "application/pdf"}, content=EXE)
    assert raw.status_code == 415, raw.text
    still = expect(client.get(base, headers=onboarding), 200)
    assert still["missing_documents"] == ["legal_existence", "mandate_delegation"] and still["documents"] == []
    submit = client.post(f"{base}/submit", headers=onboarding)
    assert submit.status_code == 422 and "legal_existence" in submit.json()["missing"]
