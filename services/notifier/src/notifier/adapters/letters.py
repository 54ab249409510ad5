"""Decision letters (PDF): their wording, made from the decision event, and their rendering."""

from __future__ import annotations

from pathlib import Path

from certreg_contracts import Event
from certreg_contracts.events import review as rv
from certreg_runtime.pdf import Block, Fields, Grid, Heading, Para, Signature, render_pdf
from notifier.domain.formatting import REPERTOIRE_NAMES, date_fr

Decision = rv.CaseRegistered | rv.CaseRefused
ISSUER = "France compétences"
SIGNATORY = "Le directeur général de France compétences"
TITLES = {"registration": "Décision d'enregistrement", "refusal": "Décision de refus d'enregistrement"}


def registration_blocks(e: rv.CaseRegistered) -> list[Block]:
    rows = [
        ("Numéro d'enregistrement", e.registration_number),
        ("Intitulé de la certification", e.title),
        ("Répertoire", REPERTOIRE_NAMES[e.repertoire]),
        ("Date de la décision", date_fr(e.decision_date)),
        ("Début de l'enregistrement", date_fr(e.registration_start)),
        ("Fin de l'enregistrement", date_fr(e.registration_end)),
    ]
    if e.jo_reference:
        rows.append(("Publication au Journal officiel", e.jo_reference))
    return [
        Para("Le directeur général de France compétences,"),
        Para(
            "Vu le code du travail, notamment ses articles L. 6113-1 et suivants et R. 6113-1 et suivants ;\n"
            "Vu la demande d'enregistrement déposée en ligne et l'avis de la commission de la certification professionnelle ;"
        ),
        Heading("Décide"),
        Para(f"La certification « {e.title} » est enregistrée au {REPERTOIRE_NAMES[e.repertoire]} dans les conditions suivantes :"),
        Fields(rows),
        Heading("Motivation"),
        Para(e.motivation),
        Para(f"La certification est enregistrée sous le numéro {e.registration_number}, qui doit toujours être cité avec son préfixe."),
        Signature([f"Fait à Paris, le {date_fr(e.decision_date)}", SIGNATORY]),
    ]


def refusal_blocks(e: rv.CaseRefused) -> list[Block]:
    blocks: list[Block] = [
        Para("Le directeur général de France compétences,"),
        Para(
            "Vu le code du travail, notamment ses articles L. 6113-1 et suivants et R. 6113-1 et suivants ;\n"
            "Vu la demande d'enregistrement déposée en ligne et l'avis de la commission de la certification professionnelle ;"
        ),
        Fields(
            [
                ("Intitulé de la certification", e.title),
                ("Répertoire", REPERTOIRE_NAMES[e.repertoire]),
                ("Date de la décision", date_fr(e.decision_date)),
                ("Date de notification", date_fr(e.notified_at)),
            ]
        ),
        Heading("Décide"),
        Para(f"L'enregistrement de la certification « {e.title} » au {REPERTOIRE_NAMES[e.repertoire]} est refusé."),
        Heading("Motivation"),
        Para(e.motivation),
    ]
    if e.reasons:
        blocks.append(Grid(["Critère d'enregistrement", "Motif"], [[r.criterion, r.text] for r in e.reasons]))
    blocks += [
        Heading("Voies et délais de recours"),
        Para(
            f"La présente décision peut faire l'objet d'un recours contentieux devant le {e.appeal_court} dans un délai "
            f"de deux mois à compter de la notification, soit au plus tard le {date_fr(e.appeal_deadline)}. "
            "Elle n'est pas susceptible de recours gracieux."
        ),
        Signature([f"Fait à Paris, le {date_fr(e.decision_date)}", SIGNATORY]),
    ]
    return blocks


def decision(kind: str, event: Event) -> Decision:
    """The decision event a letter of ``kind`` is made from (a routing table that names
    the wrong kind for an event is a bug, not a message to retry)."""
    expected = rv.CaseRegistered if kind == "registration" else rv.CaseRefused
    if not isinstance(event, expected):
        raise TypeError(f"a {kind} letter is made from {expected.routing_key}, not {event.routing_key}")
    return event


def filename(event: Decision) -> str:
    if isinstance(event, rv.CaseRegistered):
        return f"decision-enregistrement-{event.registration_number}.pdf"
    return f"decision-refus-{event.decision_date.isoformat()}.pdf"


def kind_of(event: Decision) -> str:
    return "registration" if isinstance(event, rv.CaseRegistered) else "refusal"


def render(event: Decision, target: Path) -> None:
    kind = kind_of(event)
    blocks = registration_blocks(event) if isinstance(event, rv.CaseRegistered) else refusal_blocks(event)
    render_pdf(target, title=TITLES[kind], issuer=ISSUER, blocks=blocks, subject=f"{TITLES[kind]} — {event.title}")
