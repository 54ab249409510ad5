"""The public registry of published certifications: anyone may read it, no token."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from certreg_contracts.types import REPERTOIRES
from certreg_runtime.api import CtxDep, UowDep
from certreg_runtime.errors import field_error, invalid, not_found
from review import queries
from review.adapters.tables import RegistryRecord
from review.domain import rules

EXPORT_VERSION = "4.1"


def record_summary(r: RegistryRecord) -> dict[str, Any]:
    return {
        "number": r.number,
        "repertoire": r.repertoire,
        "title": r.title,
        "qualification_level": r.qualification_level,
        "is_cqp": r.is_cqp,
        "certifier": {"entity_id": r.entity_id, "siret": r.certifier_siret, "name": r.certifier_name},
        "decision_date": r.decision_date,
        "registration_start": r.registration_start,
        "registration_end": r.registration_end,
        "status": r.status,
    }


def record_view(r: RegistryRecord) -> dict[str, Any]:
    return {
        **record_summary(r),
        "summary": r.summary,
        "frameworks": {
            "activities": r.activities,
            "competences": r.competences,
            "competence_blocks": r.competence_blocks,
            "assessment_methods": r.assessment_methods,
        },
        "published_at": r.published_at,
    }


def _fr(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def fiche_element(r: RegistryRecord, today: date) -> ET.Element:
    """One FICHE in the shape of France compétences' open-data export (v4.1 fields)."""
    fiche = ET.Element("FICHE")
    _sub(fiche, "NUMERO_FICHE", r.number)
    _sub(fiche, "INTITULE", r.title)
    if r.is_cqp:
        abrege = _sub(fiche, "ABREGE")
        _sub(abrege, "CODE", "CQP")
        _sub(abrege, "LIBELLE", "Certificat de qualification professionnelle")
    _sub(fiche, "ETAT_FICHE", "Publiée")
    _sub(fiche, "ACTIF", "Oui" if r.status == "active" and r.registration_end >= today else "Non")
    if r.qualification_level:
        nomenclature = _sub(fiche, "NOMENCLATURE_EUROPE")
        _sub(nomenclature, "NIVEAU", f"NIV{r.qualification_level}")
        _sub(nomenclature, "INTITULE", rules.LEVEL_LABELS[r.qualification_level])
    certificateurs = _sub(fiche, "CERTIFICATEURS")
    certificateur = _sub(certificateurs, "CERTIFICATEUR")
    _sub(certificateur, "SIRET_CERTIFICATEUR", r.certifier_siret or "")
    _sub(certificateur, "NOM_CERTIFICATEUR", r.certifier_name or "")
    if r.competence_blocks:
        blocs = _sub(fiche, "BLOCS_COMPETENCES")
        for block in r.competence_blocks:
            bloc = _sub(blocs, "BLOC_COMPETENCES")
            code = str(block.get("code", ""))
            _sub(bloc, "CODE", code if code.upper().startswith(r.number) else f"{r.number}{code}")
            _sub(bloc, "LIBELLE", str(block.get("title", "")))
            _sub(bloc, "LISTE_COMPETENCES", "\n".join(str(c) for c in block.get("competences", [])))
    _sub(fiche, "DATE_DECISION", _fr(r.decision_date))
    _sub(fiche, "DATE_FIN_ENREGISTREMENT", _fr(r.registration_end))
    _sub(fiche, "ACTIVITES_VISEES", "\n".join(r.activities))
    _sub(fiche, "CAPACITES_ATTESTEES", "\n".join(r.competences))
    _sub(fiche, "MODALITES_EVALUATION", "\n".join(r.assessment_methods))
    return fiche


def export_xml(session: Session, today: date, repertoire: str | None = None) -> Iterator[bytes]:
    """The whole registry, one FICHE at a time (never the whole document in memory)."""
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<FICHES>'
    yield f"<VERSION_FLUX>{EXPORT_VERSION}</VERSION_FLUX>".encode()
    query = sa.select(RegistryRecord).order_by(RegistryRecord.repertoire, RegistryRecord.sequence_value)  # type: ignore[arg-type]
    if repertoire:
        query = query.where(RegistryRecord.repertoire == repertoire)
    for record in session.execute(query.execution_options(yield_per=200)).scalars():
        yield ET.tostring(fiche_element(record, today), encoding="utf-8", xml_declaration=False)
    yield b"</FICHES>\n"


def router() -> APIRouter:
    api = APIRouter(tags=["registry"])

    def check_repertoire(repertoire: str | None) -> None:
        if repertoire and repertoire not in REPERTOIRES:
            raise invalid(field_error("repertoire", "Répertoire inconnu (rncp ou rs).", "unknown_repertoire", where="query"))

    @api.get("/registry")
    def search(
        uow: UowDep,
        q: Annotated[str | None, Query(max_length=200)] = None,
        repertoire: str | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        check_repertoire(repertoire)
        rows, total = queries.list_registry(uow.session, q=q, repertoire=repertoire, limit=limit, offset=offset)
        return {"items": [record_summary(r) for r in rows], "total": total, "limit": limit, "offset": offset}

    @api.get("/registry/export.xml")
    def export(ctx: CtxDep, repertoire: str | None = None) -> StreamingResponse:
        check_repertoire(repertoire)
        today = rules.local_today(ctx.clock.now())

        def body() -> Iterator[bytes]:
            with Session(ctx.engine) as session:
                yield from export_xml(session, today, repertoire)

        return StreamingResponse(
            body(),
            media_type="application/xml",
            headers={"Content-Disposition": 'attachment; filename="fiches-certreg.xml"'},
        )

    @api.get("/registry/{number}")
    def record(number: str, uow: UowDep) -> dict[str, Any]:
        parsed = rules.parse_number(number)
        if parsed is None:
            raise not_found("registration")
        found = uow.session.get(RegistryRecord, rules.format_number(*parsed))
        if found is None:
            raise not_found("registration")
        return record_view(found)

    return api
