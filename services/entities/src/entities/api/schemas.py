"""The bodies the entities API reads and the answers it gives (API.md)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints

from certreg_contracts.types import LegalForm
from certreg_runtime.text import ONE_LINE
from entities.domain.rules import Address, Declaration

# --------------------------------------------------------------------------- bodies


# Free text (certreg_runtime.text): no control character gets in.
Field200 = Annotated[str, StringConstraints(max_length=200), ONE_LINE]


class AddressIn(BaseModel):
    street: Field200 | None = None
    postal_code: Field200 | None = None
    city: Field200 | None = None
    country: Field200 | None = None


class ApplicationIn(BaseModel):
    kind: Field200 | None = None
    legal_form: Field200 | None = None
    # When left out, a given SIRET means "with SIRET".
    has_siret: bool | None = None
    siret: Annotated[str, StringConstraints(max_length=200)] | None = None
    denomination: Field200 | None = None
    address: AddressIn | None = None
    named_on_legal_proof: bool = False

    def declaration(self) -> Declaration:
        def clean(value: str | None) -> str | None:
            return value.strip() if value is not None and value.strip() else None

        address = None
        if self.address is not None:
            address = Address(
                street=clean(self.address.street),
                postal_code=clean(self.address.postal_code),
                city=clean(self.address.city),
                country=clean(self.address.country),
            )
        has_siret = self.has_siret if self.has_siret is not None else bool(self.siret)
        return Declaration(
            kind=self.kind,
            # A ministry is not asked its legal form (the account page hides it): a State
            # administration, "other" of the legal forms.
            legal_form=self.legal_form or ("other" if self.kind == "ministry" else None),
            has_siret=has_siret,
            # Never strip the SIRET: spaces inside it get their own message.
            siret=self.siret if self.siret else None,
            denomination=clean(self.denomination),
            address=address,
            named_on_legal_proof=self.named_on_legal_proof,
        )


class EntityCorrectionIn(BaseModel):
    """The SI administrator's correction of an entity's details: only what is given changes
    (an address part given empty is cleared); the reason is kept with the change."""

    denomination: Field200 | None = None
    legal_form: LegalForm | None = None
    address: AddressIn | None = None
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


# --------------------------------------------------------------------------- answers


class LookupOut(BaseModel):
    entity_id: uuid.UUID
    denomination: str
    status: str


class AddressOut(BaseModel):
    street: str | None
    postal_code: str | None
    city: str | None
    country: str | None


class EntityOut(BaseModel):
    entity_id: uuid.UUID
    kind: str
    legal_form: str
    siret: str | None
    denomination: str
    address: AddressOut | None
    status: str
    created_at: datetime
    verified_by: uuid.UUID | None
    verified_at: datetime | None


class StoredDocumentOut(BaseModel):
    """The piece just received."""

    document_id: uuid.UUID
    doc_type: str
    version: int
    sha256: str
    size: int
    content_type: str
    filename: str
    document_date: date | None


class DocumentOut(StoredDocumentOut):
    """One version of a piece: where it belongs, who sent it and when, where to get it."""

    application_id: uuid.UUID
    uploaded_by: uuid.UUID
    uploaded_at: datetime
    download_url: str


class PieceOut(BaseModel):
    """A piece and its versions, newest first."""

    doc_type: str
    label: str
    latest_version: int
    versions: list[DocumentOut]


class ApplicationOut(BaseModel):
    application_id: uuid.UUID
    entity_id: uuid.UUID
    account_id: uuid.UUID
    email: str
    new_entity: bool
    named_on_legal_proof: bool
    status: str
    required_documents: list[str]
    missing_documents: list[str]
    documents: list[PieceOut]
    entity: EntityOut
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    decided_by: uuid.UUID | None
    rejection_reason: str | None


class ApplicationsOut(BaseModel):
    items: list[ApplicationOut]
    total: int
    limit: int
    offset: int


class SubmittedOut(BaseModel):
    application_id: uuid.UUID
    entity_id: uuid.UUID
    new_entity: bool
    status: Literal["submitted"]


class MemberOut(BaseModel):
    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    role: str
    since: datetime


class EntityChangeOut(BaseModel):
    changed_by: uuid.UUID
    changed_at: datetime
    before: dict[str, str | None]
    after: dict[str, str | None]
    reason: str


class EntityDetailOut(EntityOut):
    documents: list[PieceOut]
    members: list[MemberOut]
    changes: list[EntityChangeOut] | None = None  # staff only: the SI administrator's corrections


class UploadLimitsOut(BaseModel):
    """What the pages say of the pieces before they are sent."""

    max_bytes: int  # one file (CERTREG_MAX_UPLOAD_BYTES)
    max_dossier_bytes: int  # every piece of an application or filing, all versions (CERTREG_MAX_DOSSIER_BYTES)
