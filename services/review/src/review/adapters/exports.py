"""The files the service hands out: the back office's case list as CSV, the public registry
as France compétences' open-data XML. Both are written as they are read, a chunk at a time."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

from certreg_contracts.calendar import PARIS, paris_date
from certreg_reference import nomenclature
from certreg_runtime.text import xml_text
from review.adapters.tables import RegistryRecord
from review.domain import procedure, rules
from review.domain.partners import HABILITATION

# The back office's export of a queue (issue 13, point 10): what a person reads, in French —
# labels, names and dates, no code and no account id. (header, how a row gives it)
CSV_COLUMNS: tuple[tuple[str, Callable[[Mapping[str, Any], date], Any]], ...] = (
    ("Numéro de dossier", lambda r, _: r.get("reference")),
    ("Intitulé", lambda r, _: r["title"]),
    ("Organisme", lambda r, _: r.get("organisation")),
    ("SIRET", lambda r, _: r.get("siret")),
    ("Répertoire", lambda r, _: rules.NUMBER_PREFIX.get(r["repertoire"], r["repertoire"])),
    ("Niveau", lambda r, _: r.get("qualification_level")),
    ("État", lambda r, _: procedure.STATE_LABELS.get(r["status"], r["status"])),
    ("Déposé le", lambda r, _: rules.fr_date(paris_date(r["opened_at"]))),
    ("Jours depuis le dépôt", lambda r, today: max(0, (today - paris_date(r["opened_at"])).days)),
    ("Échéance", lambda r, _: rules.fr_date(r["due_date"]) if r.get("due_date") else None),
    ("Échéance dépassée", lambda r, _: "Oui" if r.get("overdue") else "Non"),
    ("Instructeur", lambda r, _: r.get("assignee_name") or ("Non affecté" if r.get("assignee_id") is None else "Agent non identifié")),
    ("Numéro d’enregistrement", lambda r, _: r.get("registration_number")),
    ("Dépôt n°", lambda r, _: r.get("submission_round")),
    ("Mis à jour le", lambda r, _: paris_moment(r["updated_at"])),
)


def paris_moment(at: datetime) -> str:
    """« 31/12/2026 14:05 », Paris time."""
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


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


def cases_csv(rows: Iterable[Mapping[str, Any]], today: date, *, every: int = 500) -> Iterator[str]:
    """A byte-order mark (so that a spreadsheet reads the accents as UTF-8), the header,
    then the rows, ``every`` rows a chunk; ``today`` (Paris) counts the days since the deposit."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    # Every field quoted: a delimiter inside a cell stays inside it for any reader that
    # honours quotes, whatever delimiter it assumes.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow([header for header, _ in CSV_COLUMNS])
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_cell(value(row, today)) for _, value in CSV_COLUMNS])
        if n % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# The registrations awaiting their publication in the Journal officiel (issue 12, point 5):
# what the legal service sends for publication, in French, oldest decision first.
PUBLICATION_CSV_COLUMNS: tuple[tuple[str, Callable[[Mapping[str, Any], date], Any]], ...] = (
    ("Numéro d’enregistrement", lambda r, _: r.get("registration_number")),
    ("Répertoire", lambda r, _: rules.NUMBER_PREFIX.get(r["repertoire"], r["repertoire"])),
    ("Numéro de dossier", lambda r, _: r.get("reference")),
    ("Intitulé", lambda r, _: r["title"]),
    ("Niveau", lambda r, _: r.get("qualification_level")),
    ("Organisme", lambda r, _: r.get("organisation")),
    ("SIRET", lambda r, _: r.get("siret")),
    ("Décision du", lambda r, _: rules.fr_date(r["decision_date"])),
    ("Durée d’enregistrement (années)", lambda r, _: r.get("years")),
    ("Jours depuis la décision", lambda r, today: max(0, (today - r["decision_date"]).days)),
)


def publications_csv(rows: Iterable[Mapping[str, Any]], today: date, *, every: int = 500) -> Iterator[str]:
    """The decisions awaiting publication, as ``cases_csv`` writes a queue (BOM, every
    field quoted, no cell a spreadsheet would run as a formula)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow([header for header, _ in PUBLICATION_CSV_COLUMNS])
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_cell(value(row, today)) for _, value in PUBLICATION_CSV_COLUMNS])
        if n % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# France compétences' open-data export of the fiches, version 4.1 (the « flux XML V4.1 » of
# the data.gouv.fr dataset « Répertoire national des certifications professionnelles et
# répertoire spécifique », id 5eebbc067a14b6fecc9c9976, Licence Ouverte 2.0; its schema is
# published there as rncp-rs-france-competence-v4.1.xsd, 02/01/2025, with the data dictionary
# v3.1 of 16/03/2023). The schema file itself could not be read from here: the element names,
# their nesting and their order below follow real v4.1 fiches as France compétences exports
# them (20 fiches of the export of 16/08/2026 reproduced in ALDEBERTArnaud/mcp-rncp,
# fixtures/export_fiches_{RNCP,RS}_fixture.xml, with that project's docs/DATA-MAPPING.md of
# the v4.1 tags). services/review/tests/data/fiches-v4.1.xsd is written from them and checks
# this writer; docs/API-NOTES.md says which elements certreg has no source for.
EXPORT_VERSION = "4.1"

# Characters that never reach an export: XML 1.0's forbidden ones and every other control
# character (C0 but tab and line breaks, DEL, C1), whatever an older row holds.
_NOT_EXPORTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def export_text(value: str) -> str:
    """``value`` as an export may carry it: no control character, nothing XML cannot hold."""
    return _NOT_EXPORTED.sub("", xml_text(value))


def _fr(day: date) -> str:
    return rules.fr_date(day)


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = export_text(text)
    return element


def _lines(items: Iterable[Any]) -> str:
    return "\n".join(str(i) for i in items)


def registration_years(r: RegistryRecord) -> int | None:
    """The registration's length in whole years (DUREE_ENREGISTREMENT), when its dates make one."""
    years = r.registration_end.year - r.registration_start.year
    return years if years > 0 and rules.registration_end(r.registration_start, years) == r.registration_end else None


def is_active(r: RegistryRecord, today: date) -> bool:
    """Registered and not past its end date (the end date is its last day), on ``today``."""
    return r.status == "active" and r.registration_start <= today <= r.registration_end


def block_code(number: str, code: str) -> str:
    """A block's code as the open data writes it: the fiche's number then the block's (RNCP34762BC01)."""
    return code if code.upper().startswith(number) else f"{number}{code}"


def fiche_element(r: RegistryRecord, today: date) -> ET.Element:
    """One FICHE, its elements in the order of the v4.1 export (see above). What certreg has
    no source for is left out, never filled with a guess."""
    fiche = ET.Element("FICHE")
    # ID_FICHE (France compétences' technical id): no source in certreg.
    _sub(fiche, "NUMERO_FICHE", r.number)
    f = r.fiche or {}
    # A renewal's links: the registration that renewed this one (NOUVELLES_CERTIFICATIONS), and
    # the ones it follows: the one it renews and those the filing said it follows.
    if r.renewed_by:
        _sub(_sub(_sub(fiche, "NOUVELLES_CERTIFICATIONS"), "NOUVELLE_CERTIFICATION"), "ID_FICHE_NOUVELLE_CERTIFICATION", r.renewed_by)
    formers = list(dict.fromkeys([*([r.renews] if r.renews else []), *(str(n) for n in f.get("former_numbers") or [])]))
    if formers:
        anciennes = _sub(fiche, "ANCIENNES_CERTIFICATIONS")
        for former in formers:
            _sub(_sub(anciennes, "ANCIENNE_CERTIFICATION"), "ID_FICHE_ANCIENNE_CERTIFICATION", former)
    _sub(fiche, "INTITULE", r.title)
    if r.is_cqp:
        abrege = _sub(fiche, "ABREGE")
        _sub(abrege, "CODE", "CQP")
        _sub(abrege, "LIBELLE", "Certificat de qualification professionnelle")
    _sub(fiche, "ETAT_FICHE", "Publiée")
    # FORMACODES: not shipped (certreg_reference).
    if r.qualification_level:
        nomenclature = _sub(fiche, "NOMENCLATURE_EUROPE")
        _sub(nomenclature, "NIVEAU", f"NIV{r.qualification_level}")
        _sub(nomenclature, "LIBELLE", rules.LEVEL_LABELS[r.qualification_level])
    _codes(fiche, "CODES_NSF", "NSF", "nsf", f.get("nsf_codes") or [])
    certificateurs = _sub(fiche, "CERTIFICATEURS")
    for siret, name in certifiers_of(r):
        certificateur = _sub(certificateurs, "CERTIFICATEUR")
        if siret:
            _sub(certificateur, "SIRET_CERTIFICATEUR", siret)
        _sub(certificateur, "NOM_CERTIFICATEUR", name)
        _sub(certificateur, "ETAT_CERTIFICATEUR", "Actif")
    partners_element(fiche, r.partners or [])
    if r.activities:
        _sub(fiche, "ACTIVITES_VISEES", _lines(r.activities))
    if r.competences:
        _sub(fiche, "CAPACITES_ATTESTEES", _lines(r.competences))
    if f.get("sectors"):
        _sub(fiche, "SECTEURS_ACTIVITE", _lines(f["sectors"]))
    if f.get("job_types"):
        _sub(fiche, "TYPE_EMPLOI_ACCESSIBLES", _lines(f["job_types"]))
    _codes(fiche, "CODES_ROME", "ROME", "rome", f.get("rome_codes") or [])
    # REGLEMENTATIONS_ACTIVITES (the regulation of the activity): real v4.1 fiches put it after
    # CAPACITES_ATTESTEES and before SI_JURY_FI (RS6232, RS5719, RS6547 of the RS fixture named
    # above); none of them has SECTEURS_ACTIVITE, TYPE_EMPLOI_ACCESSIBLES or CODES_ROME, so its
    # place among those three comes from the tag order of France compétences' earlier export
    # (RNCP XML of 11/2019, as StartupsPoleEmploi/avril lists it in
    # update_certifications.ex, its @discard list: … TYPE_EMPLOI_ACCESSIBLES, CODES_ROME,
    # REGLEMENTATIONS_ACTIVITES, SI_JURY_FI …), which every v4.1 sample seen agrees with — not
    # verified on a v4.1 fiche having both (docs/API-NOTES.md).
    if (f.get("regulation") or "").strip():
        _sub(fiche, "REGLEMENTATIONS_ACTIVITES", f["regulation"])
    _juries(fiche, f.get("access_routes") or [])
    # Publications (PUBLICATION_DECRET_*), LIEN_URL_DESCRIPTION: no source in certreg.
    _sub(fiche, "DATE_DECISION", _fr(r.decision_date))
    years = registration_years(r)
    if years is not None:
        _sub(fiche, "DUREE_ENREGISTREMENT", str(years))
    _statistics(fiche, f.get("statistics") or [])
    _sub(fiche, "DATE_FIN_ENREGISTREMENT", _fr(r.registration_end))
    by_right = f.get("registration_type") == "by_right"
    if by_right:  # the export gives DATE_EFFET for registrations by right only
        _sub(fiche, "DATE_EFFET", _fr(r.registration_start))
    _sub(fiche, "TYPE_ENREGISTREMENT", "Enregistrement de droit" if by_right else "Enregistrement sur demande")
    if r.competence_blocks:
        blocs = _sub(fiche, "BLOCS_COMPETENCES")
        for block in r.competence_blocks:
            bloc = _sub(blocs, "BLOC_COMPETENCES")
            _sub(bloc, "CODE", block_code(r.number, str(block.get("code", ""))))
            _sub(bloc, "LIBELLE", str(block.get("title", "")))
            competences = block.get("competences") or []
            if competences:
                _sub(bloc, "LISTE_COMPETENCES", _lines(competences))
            methods = block.get("assessment_methods") or []
            if methods:
                _sub(bloc, "MODALITES_EVALUATION", _lines(methods))
    if r.summary.strip():
        _sub(fiche, "OBJECTIFS_CONTEXTE", r.summary)
    _sub(fiche, "ACTIF", "Oui" if is_active(r, today) else "Non")
    if (f.get("prerequisites") or "").strip():
        _sub(fiche, "PREREQUIS_ENTREE_FORMATION", f["prerequisites"])
    # CORRESPONDANCES: real v4.1 fiches have it after PREREQUIS_ENTREE_FORMATION (RNCP36490 of
    # the RNCP fixture), as correspondences between blocks: CORRESPONDANCE/SOURCE/BLOC_COMPETENCES/
    # CODE (this fiche's blocks, always given) → DESTINATION/NUMERO_FICHE (+ its blocks). The
    # fiche's equivalences name a certification (number, label) with no block on either side:
    # they have no CORRESPONDANCE of their own, so they are on the record page and in the CSV only.
    return fiche


def certifiers_of(r: RegistryRecord) -> list[tuple[str | None, str]]:
    """(SIRET, name) of each certifier: the filing entity as review knows it, then the
    co-certifiers of the fiche (named by review when it knows them, see certifiers.co_certifiers)."""
    found: list[tuple[str | None, str]] = [(r.certifier_siret, r.certifier_name or "")]
    for c in (r.fiche or {}).get("certifiers") or []:
        if not c.get("filer") and c.get("siret") != r.certifier_siret:
            found.append((str(c["siret"]), str(c.get("name", ""))))
    return found


def _codes(fiche: ET.Element, tag: str, item: str, name: Literal["nsf", "rome"], codes: list[str]) -> None:
    """CODES_NSF / CODES_ROME: each code with its label from the nomenclature shipped."""
    if not codes:
        return
    known = nomenclature(name)
    element = _sub(fiche, tag)
    for code in codes:
        entry = _sub(element, item)
        _sub(entry, "CODE", code)
        found = known.get(code)
        _sub(entry, "LIBELLE", found.label if found else "")


# The v4.1 fiche's jury elements, in its order, and the access route each one says.
JURIES = (
    ("SI_JURY_FI", "initial_training"),
    ("SI_JURY_CA", "apprenticeship"),
    ("SI_JURY_FC", "continuing_training"),
    ("SI_JURY_CQ", "professionalisation"),
    ("SI_JURY_CL", "individual_application"),
    ("SI_JURY_VAE", "vae"),
)
# The registry's access-route filter indexes each route by its tag's suffix (FI, CA, FC, CQ,
# CL, VAE: short enough for registry_codes, the open data's own names).
ROUTE_CODES = {route: tag.removeprefix("SI_JURY_") for tag, route in JURIES}


def _juries(fiche: ET.Element, routes: list[dict[str, Any]]) -> None:
    """SI_JURY_*: for a fiche that lists its access routes, each route open (``Oui`` with its
    jury's composition) or not (``Non``); nothing for a fiche that lists none."""
    if not routes:
        return
    by_route = {str(r["route"]): str(r.get("jury", "")) for r in routes}
    for tag, route in JURIES:
        jury = _sub(fiche, tag)
        _sub(jury, "ACTIF", "Oui" if route in by_route else "Non")
        if by_route.get(route):
            _sub(jury, "COMPOSITION", by_route[route])


_STATISTICS = (
    ("NOMBRE_CERTIFIES", "certified"),
    ("NOMBRE_CERTIFIES_VAE", "certified_by_vae"),
    ("TAUX_INSERTION_GLOBAL_6MOIS", "employed_6_months_rate"),
    ("TAUX_INSERTION_METIER_2ANS", "employed_in_job_2_years_rate"),
)


def _statistics(fiche: ET.Element, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    element = _sub(fiche, "STATISTIQUES_PROMOTIONS")
    for row in sorted(rows, key=lambda r: int(r["year"])):
        promotion = _sub(element, "STATISTIQUES_PROMOTION")
        _sub(promotion, "ANNEE", str(row["year"]))
        for tag, key in _STATISTICS:
            if row.get(key) is not None:
                _sub(promotion, tag, str(row[key]))


def partners_element(fiche: ET.Element, partners: list[dict[str, Any]]) -> None:
    """EXISTENCE_PARTENAIRES and PARTENAIRES: every authorisation the certifier declared, in
    force (``Actif``) or removed (``Supprimé``, with the day it ended as DATE_DERNIERE_MODIFICATION_ETAT)."""
    _sub(fiche, "EXISTENCE_PARTENAIRES", "Oui" if partners else "Non")
    if not partners:
        return
    element = _sub(fiche, "PARTENAIRES")
    for p in partners:
        partenaire = _sub(element, "PARTENAIRE")
        _sub(partenaire, "NOM_PARTENAIRE", str(p["name"]))
        _sub(partenaire, "SIRET_PARTENAIRE", str(p["siret"]))
        _sub(partenaire, "HABILITATION_PARTENAIRE", HABILITATION[str(p["scope"])])
        _sub(partenaire, "ETAT_HABILITATION", "Supprimé" if p.get("until") else "Actif")
        _sub(partenaire, "DATE_ACTIF", _fr(date.fromisoformat(str(p["since"]))))
        _sub(partenaire, "DATE_DERNIERE_MODIFICATION_ETAT", _fr(date.fromisoformat(str(p.get("until") or p["since"]))))


def fiches_xml(records: Iterable[RegistryRecord], today: date) -> Iterator[bytes]:
    """The FICHES document, one FICHE at a time (never the whole document in memory)."""
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<FICHES>'
    yield f"<VERSION_FLUX>{EXPORT_VERSION}</VERSION_FLUX>".encode()
    for record in records:
        yield ET.tostring(fiche_element(record, today), encoding="utf-8", xml_declaration=False)
    yield b"</FICHES>\n"


# The registry as CSV: the same records and fields as the XML fiches, one line each.
REGISTRY_CSV_COLUMNS = (
    "numero_fiche",
    "repertoire",
    "intitule",
    "abrege",
    "niveau",
    "siret_certificateur",
    "nom_certificateur",
    "date_decision",
    "duree_enregistrement",
    "date_debut_enregistrement",
    "date_fin_enregistrement",
    "etat",
    "actif",
    "activites_visees",
    "capacites_attestees",
    "blocs_competences",
    "modalites_evaluation",
    "objectifs_contexte",
    "type_enregistrement",
    "anciennes_certifications",
    "certificateurs",
    "codes_nsf",
    "codes_rome",
    "voies_acces",
    "prerequis",
    "secteurs_activite",
    "types_emplois",
    "reglementation",
    "equivalences",
    "statistiques",
    "partenaires",
    "date_derniere_modification",
)

# The access routes' names in the CSV (the v4.1 fiche's SI_JURY_* say them by their tag).
ROUTE_NAMES = {
    "initial_training": "Formation initiale",
    "continuing_training": "Formation continue",
    "apprenticeship": "Apprentissage",
    "professionalisation": "Contrat de professionnalisation",
    "individual_application": "Candidature individuelle",
    "vae": "VAE",
}


def fiche_columns(r: RegistryRecord) -> list[Any]:
    """The fiche's values in the CSV's order (lists one item a line)."""
    f = r.fiche or {}
    by_right = f.get("registration_type") == "by_right"
    return [
        "Enregistrement de droit" if by_right else "Enregistrement sur demande",
        _lines(f.get("former_numbers") or []),
        _lines(f"{siret or ''} {name}".strip() for siret, name in certifiers_of(r)),
        _lines(f.get("nsf_codes") or []),
        _lines(f.get("rome_codes") or []),
        _lines(f"{ROUTE_NAMES.get(str(a['route']), a['route'])} : {a.get('jury', '')}" for a in f.get("access_routes") or []),
        f.get("prerequisites") or "",
        _lines(f.get("sectors") or []),
        _lines(f.get("job_types") or []),
        f.get("regulation") or "",
        _lines(" ".join(filter(None, (e.get("number"), e.get("label")))) for e in f.get("equivalences") or []),
        _lines(
            f"{row['year']} : " + ", ".join(f"{key}={row[key]}" for _, key in _STATISTICS if row.get(key) is not None)
            for row in f.get("statistics") or []
        ),
    ]


def partner_lines(partners: list[dict[str, Any]]) -> str:
    """The CSV's ``partenaires``: every authorisation the certifier declared (in force or
    removed), as the XML's PARTENAIRE, one a line: ``SIRET | name | HABILITATION_… | Actif or
    Supprimé | since | until`` (dates AAAA-MM-JJ, ``until`` empty while in force)."""
    return _lines(
        " | ".join(
            (
                str(p["siret"]),
                " ".join(str(p["name"]).split()).replace("|", "/"),
                HABILITATION[str(p["scope"])],
                "Supprimé" if p.get("until") else "Actif",
                str(p["since"]),
                str(p.get("until") or ""),
            )
        )
        for p in partners
    )


def registry_row(r: RegistryRecord, today: date) -> list[str]:
    blocks = [f"{block_code(r.number, str(b.get('code', '')))} {b.get('title', '')}" for b in r.competence_blocks]
    values: list[Any] = [
        r.number,
        r.repertoire.upper(),
        r.title,
        "CQP" if r.is_cqp else "",
        r.qualification_level or "",
        r.certifier_siret or "",
        r.certifier_name or "",
        r.decision_date,
        registration_years(r) or "",
        r.registration_start,
        r.registration_end,
        rules.record_state(r.status, r.registration_start, r.registration_end, today),
        "Oui" if is_active(r, today) else "Non",
        _lines(r.activities),
        _lines(r.competences),
        _lines(blocks),
        _lines(r.assessment_methods),
        r.summary,
        *fiche_columns(r),
        partner_lines(r.partners or []),
        r.updated_at,
    ]
    return [csv_cell(export_text(csv_cell(v))) for v in values]


def registry_csv(records: Iterable[RegistryRecord], today: date, *, every: int = 500) -> Iterator[str]:
    """The header, then one line per record, ``every`` lines a chunk (all fields quoted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(REGISTRY_CSV_COLUMNS)
    for n, record in enumerate(records, 1):
        writer.writerow(registry_row(record, today))
        if n % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
