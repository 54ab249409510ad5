"""Decision letters (PDF): their wording, made from the decision event and what the
notifier knows of the filing (``LetterFacts``), and their rendering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from certreg_contracts import Event, legal_dates
from certreg_contracts.calendar import paris_date
from certreg_contracts.events import review as rv
from certreg_runtime.pdf import Block, Fields, Grid, Heading, Para, Signature, render_pdf
from notifier.domain.formatting import REPERTOIRE_NAMES, date_fr

Decision = rv.CaseRegistered | rv.CaseRefused | rv.CaseOpinionGiven  # the last: an adjourned opinion
ISSUER = "France compétences"
SIGNATORY = "Le directeur général de France compétences"


@dataclass(frozen=True)
class Signatory:
    """Who signs the letters (configuration: ``NotifierConfig.signatory_*``)."""

    first_name: str | None = None
    last_name: str | None = None
    capacity: str = SIGNATORY

    def lines(self) -> list[str]:
        """``Prénom NOM``, then the capacity; the capacity alone when no name is configured."""
        name = " ".join(p for p in (self.first_name, self.last_name.upper() if self.last_name else None) if p)
        return [name, self.capacity] if name else [self.capacity]


TITLES = {
    "registration": "Décision d'enregistrement",
    "refusal": "Décision de refus d'enregistrement",
    "adjournment": "Avis d'ajournement de la commission",
}


@dataclass(frozen=True)
class LetterFacts:
    """What a letter says of the request beyond its decision event: the certifier (from
    ``entities.entity.verified``) and the filing (from ``filings.filing.submitted``).
    Unknown facts are left out of the letter, never guessed."""

    reference: str | None = None  # the dossier's number, « 2026-000123 »
    certifier: str | None = None
    siret: str | None = None
    qualification_level: int | None = None
    is_cqp: bool = False
    first_submitted_on: dt.date | None = None
    # The day the letter is made from its event (the envelope's date, Paris time): the date
    # of a letter whose event carries none (the adjournment); today when unknown.
    dated: dt.date | None = None
    signatory: Signatory = Signatory()  # who signs (configuration, not a fact learned)

    @property
    def certifier_text(self) -> str | None:
        if not self.certifier:
            return None
        return f"{self.certifier} (SIRET {self.siret})" if self.siret else self.certifier


def level_text(level: int) -> str:
    """« niveau 6 du cadre national des certifications professionnelles » (décret n° 2019-14)."""
    return f"niveau {level} du cadre national des certifications professionnelles"


def identification(e: Decision, facts: LetterFacts) -> list[tuple[str, str]]:
    """The request a decision is about: its dossier number, certifier, certification (title,
    level, CQP), repertoire, and its registration number when it has one."""
    rows = []
    if facts.reference:
        rows.append(("Numéro de dossier", facts.reference))
    if facts.certifier_text:
        rows.append(("Organisme certificateur", facts.certifier_text))
    if isinstance(e, rv.CaseRegistered):
        rows.append(("Numéro d'enregistrement", e.registration_number))
    rows.append(("Intitulé de la certification", e.title))
    if e.repertoire == "rncp" and facts.qualification_level:
        rows.append(("Niveau de qualification", level_text(facts.qualification_level)))
    if facts.is_cqp:
        rows.append(("Nature", "certificat de qualification professionnelle (CQP)"))
    rows.append(("Répertoire", REPERTOIRE_NAMES[e.repertoire]))
    return rows


def considering(facts: LetterFacts) -> Para:
    """The « Vu » of both letters: the law, the request (when and by whom it was filed)."""
    request = "Vu la demande d'enregistrement déposée en ligne"
    if facts.first_submitted_on:
        request += f" le {date_fr(facts.first_submitted_on)}"
    if facts.certifier:
        request += f" par {facts.certifier}"
    return Para(
        "Vu le code du travail, notamment ses articles L. 6113-1 et suivants et R. 6113-1 et suivants ;\n"
        f"{request} et l'avis de la commission de la certification professionnelle ;"
    )


def _subject(e: Decision, facts: LetterFacts) -> str:
    """« La certification « T », de niveau 6, de X »."""
    text = f"la certification « {e.title} »"
    if e.repertoire == "rncp" and facts.qualification_level:
        text += f", de niveau {facts.qualification_level},"
    if facts.certifier:
        text += f" de {facts.certifier}"
    return text


def registration_blocks(e: rv.CaseRegistered, facts: LetterFacts | None = None) -> list[Block]:
    facts = facts or LetterFacts()
    signatory = facts.signatory
    rows = [
        *identification(e, facts),
        ("Date de la décision", date_fr(e.decision_date)),
        ("Début de l'enregistrement", date_fr(e.registration_start)),
        ("Fin de l'enregistrement", date_fr(e.registration_end)),
    ]
    if e.jo_reference:
        published = f"Journal officiel du {date_fr(e.jo_date)}, {e.jo_reference}" if e.jo_date else e.jo_reference
        rows.append(("Publication au Journal officiel", published))
    subject = _subject(e, facts)
    return [
        Para("Le directeur général de France compétences,"),
        considering(facts),
        Heading("Décide"),
        Para(f"{subject[0].upper()}{subject[1:]} est enregistrée au {REPERTOIRE_NAMES[e.repertoire]} dans les conditions suivantes :"),
        Fields(rows),
        Heading("Motivation"),
        Para(e.motivation),
        Para(f"La certification est enregistrée sous le numéro {e.registration_number}, qui doit toujours être cité avec son préfixe."),
        Signature([f"Fait à Paris, le {date_fr(e.decision_date)}", *signatory.lines()]),
    ]


def reasons_grid(reasons: Sequence[rv.Reason]) -> Grid:
    """The reasons of a refusal or an adjournment, one row per criterion not met."""
    return Grid(["Critère d'enregistrement", "Motif"], [[r.label or r.criterion, r.text] for r in reasons])


def refusal_blocks(e: rv.CaseRefused, facts: LetterFacts | None = None) -> list[Block]:
    facts = facts or LetterFacts()
    signatory = facts.signatory
    blocks: list[Block] = [
        Para("Le directeur général de France compétences,"),
        considering(facts),
        Fields(
            [
                *identification(e, facts),
                ("Date de la décision", date_fr(e.decision_date)),
                *([("Date de notification", date_fr(e.notified_at))] if e.notified_at else []),
            ]
        ),
        Heading("Décide"),
        Para(f"L'enregistrement de {_subject(e, facts)} au {REPERTOIRE_NAMES[e.repertoire]} est refusé."),
        Heading("Motivation"),
        Para(e.motivation),
    ]
    if e.reasons:
        blocks.append(reasons_grid(e.reasons))
    blocks += [
        Heading("Voies et délais de recours"),
        Para(
            f"La présente décision peut faire l'objet d'un recours contentieux devant le {e.appeal_court} {appeal_wording(e)}. "
            "Elle ne peut faire l'objet ni d'un recours gracieux ni d'un recours hiérarchique."
        ),
        Signature([f"Fait à Paris, le {date_fr(e.decision_date)}", *signatory.lines()]),
    ]
    return blocks


def adjournment_blocks(e: rv.CaseOpinionGiven, facts: LetterFacts | None = None) -> list[Block]:
    """The commission's adjourned opinion, told to the certifier: its reasons against the
    registration criteria and the day by which the improved dossier is due."""
    facts = facts or LetterFacts()
    assert e.resubmission_due is not None  # an adjourned opinion always has one (the event checks it)
    dated = facts.dated or paris_date(dt.datetime.now(dt.UTC))
    blocks: list[Block] = [
        Fields(
            [
                *identification(e, facts),
                ("Avis de la commission", "ajournement"),
                (legal_dates.DEADLINE_LABELS["adjournment"].capitalize(), date_fr(e.resubmission_due)),
            ]
        ),
        Para(
            f"La commission de la certification professionnelle a examiné la demande d'enregistrement de {_subject(e, facts)} "
            f"au {REPERTOIRE_NAMES[e.repertoire]} et a rendu un avis d'ajournement, pour les motifs suivants."
        ),
        Heading("Motifs de l'ajournement"),
    ]
    if e.reasons:
        blocks.append(reasons_grid(e.reasons))
    blocks += [
        Heading("Suite de la procédure"),
        Para(
            f"Vous pouvez déposer en ligne un dossier amélioré, qui réponde à ces motifs, au plus tard le {date_fr(e.resubmission_due)}. "
            "Passé ce délai, sauf retrait de votre demande, le dossier sera présenté en l'état à une prochaine séance de la commission."
        ),
        Signature([f"Fait à Paris, le {date_fr(dated)}", *facts.signatory.lines()]),
    ]
    return blocks


def appeal_wording(e: rv.CaseRefused) -> str:
    """« dans un délai de deux mois à compter de sa notification » (art. R.421-5 CJA), with
    the last day when the event fixes it; else how the notification happens: the letter
    is made when the decision is made available, before it is notified (legal_dates)."""
    if e.appeal_deadline is not None:
        return f"{legal_dates.APPEAL_PENDING_WORDING}, soit jusqu'au {date_fr(e.appeal_deadline)} inclus"
    return (
        f"{legal_dates.APPEAL_PENDING_WORDING} ; sa consultation sur la plateforme vaut notification, et à défaut elle est "
        f"réputée notifiée {legal_dates.NOTIFICATION_AFTER_DAYS} jours après sa mise à disposition"
    )


def decision(kind: str, event: Event) -> Decision:
    """The decision event a letter of ``kind`` is made from (a routing table that names
    the wrong kind for an event is a bug, not a message to retry)."""
    kinds: dict[str, type[Event]] = {"registration": rv.CaseRegistered, "refusal": rv.CaseRefused, "adjournment": rv.CaseOpinionGiven}
    expected = kinds[kind]
    if not isinstance(event, expected):
        raise TypeError(f"a {kind} letter is made from {expected.routing_key}, not {event.routing_key}")
    if isinstance(event, rv.CaseOpinionGiven) and event.opinion != "adjourned":
        raise TypeError(f"an adjournment letter is made from an adjourned opinion, not a {event.opinion} one")
    assert isinstance(event, rv.CaseRegistered | rv.CaseRefused | rv.CaseOpinionGiven)
    return event


def filename(event: Decision) -> str:
    if isinstance(event, rv.CaseRegistered):
        return f"decision-enregistrement-{event.registration_number}.pdf"
    if isinstance(event, rv.CaseOpinionGiven):
        return f"avis-ajournement-{event.resubmission_due}.pdf"
    return f"decision-refus-{event.decision_date.isoformat()}.pdf"


def kind_of(event: Decision) -> str:
    if isinstance(event, rv.CaseOpinionGiven):
        return "adjournment"
    return "registration" if isinstance(event, rv.CaseRegistered) else "refusal"


def render(event: Decision, target: Path, facts: LetterFacts | None = None) -> None:
    kind = kind_of(event)
    blocks: list[Block]
    if isinstance(event, rv.CaseRegistered):
        blocks = registration_blocks(event, facts)
    elif isinstance(event, rv.CaseOpinionGiven):
        blocks = adjournment_blocks(event, facts)
    else:
        blocks = refusal_blocks(event, facts)
    render_pdf(target, title=TITLES[kind], issuer=ISSUER, blocks=blocks, subject=f"{TITLES[kind]} — {event.title}")
