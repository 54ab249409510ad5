"""The files the service hands out: the back office's case list as CSV, the public registry
as France compétences' open-data XML. Both are written as they are read, a chunk at a time."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from certreg_runtime.text import xml_text
from review.adapters.tables import RegistryRecord
from review.domain import rules

CSV_COLUMNS = (
    "filing_id",
    "registration_number",
    "repertoire",
    "title",
    "qualification_level",
    "status",
    "overdue",
    "due_date",
    "assignee_id",
    "entity_id",
    "submission_round",
    "opened_at",
    "updated_at",
)


# A spreadsheet reads a cell starting with one of these as a formula; its locale may
# split a cell on any usual delimiter first (a French Excel splits on ";"), so every
# piece of a cell that could become a cell is guarded, not only its first character.
_FORMULA_START = "=+-@\uff1d\uff0b\uff0d\uff20"
_FORMULA = re.compile(f"(^|[,;\t|\r\n])([ \t]*)([{re.escape(_FORMULA_START)}])")


def csv_cell(value: Any) -> str:
    """``value`` as a CSV cell no spreadsheet runs as a formula, however it splits the
    line: a ``'`` before any ``= + - @`` that starts the text or follows a delimiter (and
    the fields are all quoted, see ``cases_csv``)."""
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    return _FORMULA.sub(lambda m: f"{m.group(1)}{m.group(2)}'{m.group(3)}", text)


def cases_csv(rows: Iterable[Mapping[str, Any]], *, every: int = 500) -> Iterator[str]:
    """The header, then the rows, ``every`` rows a chunk."""
    buffer = io.StringIO()
    # Every field quoted: a delimiter inside a cell stays inside it for any reader that
    # honours quotes, whatever delimiter it assumes.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_cell(row.get(c)) for c in CSV_COLUMNS])
        if n % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


EXPORT_VERSION = "4.1"


def _fr(day: date | None) -> str:
    return rules.fr_date(day) if day else ""


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        # Never a character XML 1.0 cannot carry, whatever an older row holds.
        element.text = xml_text(text)
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


def fiches_xml(records: Iterable[RegistryRecord], today: date) -> Iterator[bytes]:
    """The whole registry, one FICHE at a time (never the whole document in memory)."""
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<FICHES>'
    yield f"<VERSION_FLUX>{EXPORT_VERSION}</VERSION_FLUX>".encode()
    for record in records:
        yield ET.tostring(fiche_element(record, today), encoding="utf-8", xml_declaration=False)
    yield b"</FICHES>\n"
