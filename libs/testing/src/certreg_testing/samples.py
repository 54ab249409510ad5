"""Small files for upload tests: the services sniff the type from the first bytes."""

from __future__ import annotations

import base64
import uuid
from typing import Any

# A real (small) PDF: one catalog, an empty page tree.
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
# A real 1x1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
# A Windows executable (MZ header), to be uploaded under a .pdf name.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200

# The fields of an RNCP filing that filings accepts as a draft (pieces not included).
RNCP_FILING: dict[str, object] = {
    "repertoire": "rncp",
    "title": "Technicien de maintenance des éoliennes",
    "qualification_level": 4,
    "is_cqp": False,
    "rests_on_standards": False,
    "summary": "Maintenance préventive et corrective des parcs éoliens.",
    "activities": ["Maintenance préventive"],
    "competences": ["Diagnostiquer une panne"],
    "competence_blocks": [
        {
            "code": "B1",
            "title": "Maintenance",
            "competences": ["Diagnostiquer une panne"],
            "assessment_methods": ["Mise en situation professionnelle"],
        }
    ],
    "assessment_methods": ["Mise en situation professionnelle"],
}


def rncp_fiche(filer_siret: str, partner_siret: str) -> dict[str, Any]:
    """A whole fiche (the ``fiche`` field of a filing) with real NSF and ROME 4.0 codes
    (certreg_reference), two co-certifiers (the filer first) and two access routes."""
    return {
        "registration_type": "on_request",
        "certifiers": [
            {"siret": filer_siret, "name": "Organisme déposant", "filer": True},
            {"siret": partner_siret, "name": "École partenaire", "filer": False},
        ],
        "nsf_codes": ["326", "326t"],
        "rome_codes": ["M1805", "M1810"],
        "access_routes": [
            {"route": "continuing_training", "jury": "Trois professionnels du secteur et un formateur"},
            {"route": "vae", "jury": "Deux professionnels du secteur et un représentant du certificateur"},
        ],
        "prerequisites": "Niveau 4 ou expérience équivalente.",
        "sectors": ["Édition de logiciels"],
        "job_types": ["Développeur d'applications"],
        "regulation": "Aucune réglementation de l'activité.",
        "equivalences": [{"label": "Titre professionnel Développeur web (correspondance partielle)"}],
        "statistics": [
            {"year": 2024, "certified": 42, "certified_by_vae": 3, "employed_6_months_rate": 81, "employed_in_job_2_years_rate": 74},
            {"year": 2025, "certified": 51, "employed_6_months_rate": 85},
        ],
    }


def random_siret() -> str:
    """A fresh 14-digit SIRET whose Luhn key holds (never La Poste's SIREN, which has its own rule)."""
    body = str(uuid.uuid4().int)[:13]
    if body.startswith("356000000"):
        body = "1" + body[1:]
    for check in range(10):
        digits = body + str(check)
        total = 0
        for position, ch in enumerate(reversed(digits)):
            value = int(ch) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


__all__ = ["EXE", "PDF", "PNG", "RNCP_FILING", "random_siret", "rncp_fiche"]
