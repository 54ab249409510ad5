"""The notifier's use cases without the platform (``certreg_testing.unit``): what handling
an event writes, the letters the job makes after the commit, the mails sent with them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from certreg_contracts import Envelope, Event
from certreg_contracts.calendar import paris_date
from certreg_runtime.clock import FixedClock
from certreg_runtime.messaging import record_processed
from certreg_testing.unit import MemoryBlobStore, Unit, unit
from notifier.adapters import letters
from notifier.adapters.tables import Letter, Mail, Notification, metadata
from notifier.app.deps import NotifierDeps
from notifier.app.handlers import handlers
from notifier.config import NotifierConfig
from notifier.domain.formatting import date_fr
from notifier.jobs import letter_maker, mail_sender
from services.notifier.tests.samples import registration, sample_event

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def notifier_unit(at: dt.datetime = NOW) -> Unit[NotifierDeps]:
    return unit(NotifierDeps, "notifier", metadata, clock=FixedClock(at), config=NotifierConfig())


def deliver(u: Unit[NotifierDeps], event: Event | None = None, *, envelope: Envelope | None = None) -> Envelope:
    """As the runner does: the inbox record and the handler's effect in one transaction."""
    if envelope is None:
        assert event is not None
        envelope = Envelope.wrap(event, producer=event.routing_key.split(".")[0])
    handle = handlers.bind(u.deps)[envelope.type]
    with u.deps.uow(cause=envelope) as uow:
        if record_processed(uow.session, u.metadata, "notifier", envelope):
            handle(uow, envelope.open(), envelope)
            uow.commit()
    return envelope


def member(u: Unit[NotifierDeps], email: str, entity_id: uuid.UUID, roles: tuple[str, ...] = ("depositor",)) -> uuid.UUID:
    account = uuid.uuid4()
    deliver(u, sample_event("identity.account.approved", account_id=account, email=email, entity_id=entity_id, roles=list(roles)))
    return account


def rows(u: Unit[NotifierDeps], model: Any, event_id: uuid.UUID | None = None) -> list[Any]:
    with u.deps.uow() as uow:
        query = select(model)
        if event_id is not None:
            query = query.where(col(model.event_id) == event_id)
        found = list(uow.session.exec(query).all())
        uow.session.expunge_all()
    return found


def blobs(u: Unit[NotifierDeps]) -> MemoryBlobStore:
    assert isinstance(u.deps.blobs, MemoryBlobStore)
    return u.deps.blobs


class Outbox:
    """A transport that keeps what it is given."""

    leaves_platform = False

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def deliver(self, mail_id: uuid.UUID, message: EmailMessage) -> None:
        self.sent.append(message)


# --- handling an event ----------------------------------------------------------------------


def test_an_event_gives_each_recipient_one_notification_and_one_mail() -> None:
    u = notifier_unit()
    entity = uuid.uuid4()
    manager = member(u, "manager@a.example", entity, ("depositor", "entity_manager"))
    depositor = member(u, "depositor@a.example", entity)
    member(u, "outsider@b.example", uuid.uuid4())
    filing = uuid.uuid4()

    envelope = deliver(u, sample_event("filings.filing.submitted", filing_id=filing, entity_id=entity, title="Cariste"))

    mails = rows(u, Mail, envelope.event_id)
    assert sorted(m.to_addr for m in mails) == ["depositor@a.example", "manager@a.example"]
    assert all("Accusé de réception" in m.subject and m.status == "pending" and m.attachments == "[]" for m in mails)
    bell = rows(u, Notification, envelope.event_id)
    assert sorted(str(n.account_id) for n in bell) == sorted(str(a) for a in (manager, depositor))
    assert {n.link for n in bell} == {f"/dossiers/{filing}"}
    assert rows(u, Letter) == [] and u.emitted() == []


def test_a_redelivered_event_adds_nothing() -> None:
    u = notifier_unit()
    entity = uuid.uuid4()
    member(u, "member@a.example", entity)
    envelope = deliver(u, registration(entity_id=entity))
    before = [len(rows(u, model)) for model in (Mail, Notification, Letter)]
    assert before == [2, 2, 1]  # the approval's mail and notification, then the decision's and its letter

    deliver(u, envelope=envelope)
    deliver(u, envelope=envelope)

    assert [len(rows(u, model)) for model in (Mail, Notification, Letter)] == before


@pytest.mark.parametrize(
    "at, days",
    [
        (dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC), 3),  # 00:30 on 7 December in Paris (6 December in UTC)
        (dt.datetime(2026, 12, 6, 22, 30, tzinfo=dt.UTC), 4),  # 23:30 on 6 December in Paris
        (dt.datetime(2026, 7, 6, 22, 30, tzinfo=dt.UTC), 3),  # 00:30 on 7 July in Paris (summer time)
    ],
)
def test_days_left_are_counted_in_paris_days(at: dt.datetime, days: int) -> None:
    u = notifier_unit(at)
    entity = uuid.uuid4()
    member(u, "member@a.example", entity)
    due = dt.date(at.year, at.month, 10)
    envelope = deliver(u, sample_event("review.request.opened", entity_id=entity, due_date=due, message="Merci."))
    [mail] = rows(u, Mail, envelope.event_id)
    assert f"(dans {days} jours)" in mail.text_body


# --- letters: recorded by the handler, made by the job, sent with their mails -----------------


def test_a_decision_records_its_letter_and_its_mails_wait_for_it() -> None:
    u = notifier_unit()
    entity = uuid.uuid4()
    member(u, "member@a.example", entity)
    mail_sender.claim(u.deps, owner="another sender")  # the approval's mail is out of the way

    envelope = deliver(u, registration(entity_id=entity))

    [letter] = rows(u, Letter)
    assert letter.status == "pending" and letter.filename == "decision-enregistrement-RNCP40123.pdf"
    assert letter.event_id == envelope.event_id and letter.source == envelope.model_dump_json()
    assert blobs(u).objects == {}  # nothing rendered nor stored inside the handler's transaction
    [mail] = rows(u, Mail, envelope.event_id)
    assert json.loads(mail.attachments) == [str(letter.id)] and "decision-enregistrement-RNCP40123.pdf" in mail.text_body
    assert mail_sender.claim(u.deps) == []  # waits for its letter

    assert letter_maker.make_due(u.deps) == 1

    [letter] = rows(u, Letter)
    [(key, (pdf, content_type))] = [((k, v)) for (_, k), v in blobs(u).objects.items()]
    assert letter.status == "ready" and letter.object_key == key and content_type == "application/pdf"
    assert pdf.startswith(b"%PDF") and letter.sha256 == hashlib.sha256(pdf).hexdigest() and letter.size == len(pdf)
    assert mail_sender.claim(u.deps) == [mail.id]


def test_two_makers_racing_for_a_letter_leave_one_letter_and_one_object(monkeypatch: pytest.MonkeyPatch) -> None:
    u = notifier_unit()
    deliver(u, registration(entity_id=uuid.uuid4()))
    [letter] = rows(u, Letter)
    render = letters.render
    calls = []

    def render_while_another_replica_makes_it(event: Any, target: Path, facts: Any = None) -> None:
        calls.append(target)
        if len(calls) == 1:
            letter_maker.make(u.deps, letter.id)  # the other replica, whose claim expired, wins
        render(event, target, facts)

    monkeypatch.setattr(letters, "render", render_while_another_replica_makes_it)
    letter_maker.make(u.deps, letter.id)

    assert len(calls) == 2
    [made] = rows(u, Letter)
    [(_, key)] = blobs(u).objects
    assert made.status == "ready" and made.object_key == key  # the loser deleted its object
    letter_maker.make(u.deps, letter.id)  # a late retry: nothing to do
    assert len(calls) == 2 and len(blobs(u).objects) == 1


def test_a_letter_that_fails_is_tried_again_after_the_back_off(monkeypatch: pytest.MonkeyPatch) -> None:
    u = notifier_unit()
    deliver(u, registration(entity_id=uuid.uuid4()))
    render = letters.render

    def broken(event: Any, target: Path, facts: Any = None) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(letters, "render", broken)
    assert letter_maker.make_due(u.deps) == 1
    [letter] = rows(u, Letter)
    assert letter.status == "pending" and letter.attempts == 1 and letter.last_error == "OSError: disk full"
    assert letter.next_attempt_at is not None and letter.next_attempt_at.replace(tzinfo=dt.UTC) == NOW + dt.timedelta(seconds=30)

    monkeypatch.setattr(letters, "render", render)
    assert letter_maker.make_due(u.deps) == 0  # not before the back-off
    assert isinstance(u.deps.clock, FixedClock)
    u.deps.clock.advance(seconds=30)
    assert letter_maker.make_due(u.deps) == 1
    assert [letter.status for letter in rows(u, Letter)] == ["ready"]


async def test_the_mails_of_a_decision_are_sent_once_with_their_letter() -> None:
    u = notifier_unit()
    entity = uuid.uuid4()
    member(u, "one@a.example", entity)
    member(u, "two@a.example", entity)
    outbox = Outbox()
    assert await mail_sender.send_due(u.deps, outbox) == 2  # the approvals
    envelope = deliver(u, registration(entity_id=entity))
    assert await mail_sender.send_due(u.deps, outbox) == 0  # the letter is not made yet

    letter_maker.make_due(u.deps)
    assert await mail_sender.send_due(u.deps, outbox) == 2
    assert await mail_sender.send_due(u.deps, outbox) == 0

    decisions = [m for m in outbox.sent if "RNCP40123" in str(m["Subject"])]
    assert sorted(parseaddr(str(m["To"]))[1] for m in decisions) == ["one@a.example", "two@a.example"]
    [(pdf, _)] = blobs(u).objects.values()
    for message in decisions:
        [attachment] = list(message.iter_attachments())
        assert attachment.get_filename() == "decision-enregistrement-RNCP40123.pdf" and attachment.get_content() == pdf
    assert {m.status for m in rows(u, Mail, envelope.event_id)} == {"sent"}


# --------------------------------------------------------------------------- the letters' wording (issue 12, point 9)


def letter_text(u: Unit[NotifierDeps]) -> str:
    import io

    import pypdf

    assert letter_maker.make_due(u.deps) == 1
    [(pdf, _)] = blobs(u).objects.values()
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())


def test_a_refusal_letter_names_the_certifier_the_certification_and_the_appeal() -> None:
    u = notifier_unit()
    entity, filing = uuid.uuid4(), uuid.uuid4()
    deliver(
        u, sample_event("entities.entity.verified", entity_id=entity, denomination="Institut des métiers du vent", siret="73282932000074")
    )
    first = sample_event(
        "filings.filing.submitted",
        filing_id=filing,
        entity_id=entity,
        submission_round=1,
        qualification_level=5,
        submitted_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
    )
    deliver(u, first)
    deliver(
        u,
        sample_event(
            "filings.filing.submitted",
            filing_id=filing,
            entity_id=entity,
            submission_round=2,
            qualification_level=6,
            submitted_at=dt.datetime(2026, 5, 4, 10, tzinfo=dt.UTC),
        ),
    )
    deliver(u, first)  # a redelivery of the first round changes nothing (inbox) …
    # issue 12, point 7: a reason prints its criterion as the article's item, however long (3° of R. 6113-9 from 1 October 2025)
    label = (
        "3° La qualité des référentiels d'activités, de compétences et d'évaluation ainsi que leur cohérence d'ensemble. Les "
        "référentiels d'activités et de compétences intègrent, en fonction de la certification professionnelle concernée : a) "
        "Les effets de la transition écologique et de la transition numérique sur les compétences et connaissances nécessaires "
        "à l'exercice des métiers ou emplois concernés par le projet de certification professionnelle ; b) Les principes de "
        "prévention en matière de santé et de sécurité au travail ; c) Les compétences liées à la prise en compte des "
        "situations de handicap, de l'accessibilité et de la conception universelle telle que définie par l'article 2 de la "
        "convention relative aux droits des personnes handicapées du 30 mars 2007 (article R. 6113-9 du code du travail)"
    )
    reasons = [{"criterion": "qualite_referentiels", "text": "Le référentiel d'évaluation ne couvre pas le bloc 2.", "label": label}]
    deliver(
        u,
        sample_event(
            "review.case.refused", filing_id=filing, entity_id=entity, title="Technicien éolien", repertoire="rncp", reasons=reasons
        ),
    )
    text = letter_text(u)
    assert "Numéro de dossier 2026-000123" in text  # kept from the submission (issue 13, point 14)
    assert "Critère d'enregistrement Motif" in text and "qualite_referentiels" not in text
    for words in (label[:60], "prévention en matière de santé et de sécurité", "(article R. 6113-9 du code du travail)"):
        assert words in text
    assert "ne couvre pas le bloc 2." in text
    assert "Organisme certificateur Institut des métiers du vent (SIRET 73282932000074)" in text
    assert "Niveau de qualification niveau 6 du cadre national des certifications professionnelles" in text  # the latest round's
    assert "Vu la demande d'enregistrement déposée en ligne le 2 mars 2026 par Institut des métiers du vent" in text
    assert "L'enregistrement de la certification « Technicien éolien », de niveau 6, de Institut des métiers du vent" in text
    assert "Répertoire national des certifications professionnelles (RNCP)" in text
    assert "recours contentieux devant le Tribunal administratif de Paris" in text
    # made before the notification (issue 12, point 3): no day, how the two months start
    assert "dans un délai de deux mois à compter de sa notification ; sa consultation sur la plateforme vaut notification" in text
    assert "Date de notification" not in text
    assert "ni d'un recours gracieux ni d'un recours hiérarchique" in text


def test_a_registration_letter_names_the_certifier_and_leaves_out_what_is_unknown() -> None:
    u = notifier_unit()
    entity, filing = uuid.uuid4(), uuid.uuid4()
    deliver(u, sample_event("entities.entity.verified", entity_id=entity, denomination="Branche du bâtiment", siret=None))
    deliver(
        u,
        sample_event(
            "filings.filing.submitted",
            filing_id=filing,
            entity_id=entity,
            repertoire="rs",
            qualification_level=None,
            is_cqp=True,
            cqp_filed_by="cpne",
        ),
    )
    deliver(
        u,
        sample_event(
            "review.case.registered",
            entity_id=entity,
            filing_id=filing,
            repertoire="rs",
            registration_number="RS5476",
            title="Travaux en hauteur",
            registration_start=dt.date(2026, 12, 1),
            registration_end=dt.date(2031, 12, 1),
        ),
    )
    text = letter_text(u)
    assert "Organisme certificateur Branche du bâtiment" in text and "SIRET" not in text
    assert "Numéro d'enregistrement RS5476" in text and "Nature certificat de qualification professionnelle (CQP)" in text
    assert "Niveau de qualification" not in text  # the RS has no level
    assert "La certification « Travaux en hauteur » de Branche du bâtiment est enregistrée au Répertoire spécifique (RS)" in text


def test_letters_name_the_configured_signatory_and_the_journal_officiel() -> None:
    """Issue 12, points 5 and 9: the registration letter carries the JO date and reference,
    and both letters the signatory's first name, name and capacity from the configuration."""
    config = NotifierConfig(
        signatory_first_name="Camille", signatory_last_name="Martin", signatory_capacity="Directrice générale de France compétences"
    )
    u = unit(NotifierDeps, "notifier", metadata, clock=FixedClock(NOW), config=config)
    deliver(
        u,
        sample_event(
            "review.case.registered",
            registration_number="RNCP34825",
            repertoire="rncp",
            registration_start=dt.date(2026, 12, 3),
            registration_end=dt.date(2031, 12, 3),
            jo_reference="JORF n°0280 texte n° 42",
            jo_date=dt.date(2026, 12, 1),
        ),
    )
    text = letter_text(u)
    assert "Publication au Journal officiel Journal officiel du 1er décembre 2026, JORF n°0280 texte n° 42" in text
    assert "Camille MARTIN Directrice générale de France compétences" in text
    assert "Le directeur général de France compétences Fait à Paris" not in text


def test_an_adjourned_opinion_makes_a_letter_with_its_reasons_and_the_resubmission_date() -> None:
    """Issue 13, point 6: the commission's adjournment is a letter too (attached to its mail),
    with the dossier's number, the reasons under their criteria's labels, the day the
    improved dossier is due and the signatory; a favourable opinion makes none."""
    config = NotifierConfig(signatory_first_name="Camille", signatory_last_name="Martin")
    u = unit(NotifierDeps, "notifier", metadata, clock=FixedClock(NOW), config=config)
    entity, filing = uuid.uuid4(), uuid.uuid4()
    member(u, "member@a.example", entity)
    deliver(u, sample_event("entities.entity.verified", entity_id=entity, denomination="Institut des métiers du vent"))
    deliver(u, sample_event("filings.filing.submitted", filing_id=filing, entity_id=entity, reference="2026-000777"))
    deliver(u, sample_event("review.case.opinion_given", filing_id=filing, entity_id=entity, opinion="favourable", resubmission_due=None))
    assert rows(u, Letter) == []
    label = (  # review's label of adequation_emplois (R. 6113-9 from 1 October 2025)
        "1° L'adéquation du métier concerné par le projet de certification professionnelle par rapport aux emplois occupés, "
        "s'appuyant sur l'analyse des promotions de titulaires retenues dans les conditions mentionnées au II "
        "(article R. 6113-9 du code du travail)"
    )
    reasons = [{"criterion": "adequation_emplois", "text": "Les données d'insertion sont incomplètes.", "label": label}]
    envelope = deliver(
        u,
        sample_event(
            "review.case.opinion_given",
            filing_id=filing,
            entity_id=entity,
            title="Technicien éolien",
            opinion="adjourned",
            resubmission_due=dt.date(2027, 2, 15),
            reasons=reasons,
        ),
    )
    [letter] = rows(u, Letter)
    assert letter.kind == "adjournment" and letter.filename == "avis-ajournement-2027-02-15.pdf"
    [mail] = rows(u, Mail, envelope.event_id)
    assert json.loads(mail.attachments) == [str(letter.id)] and "avis-ajournement-2027-02-15.pdf" in mail.text_body
    text = letter_text(u)
    assert "Avis d'ajournement de la commission" in text and "Numéro de dossier 2026-000777" in text
    assert "Critère d'enregistrement Motif" in text and label in text and "adequation_emplois" not in text
    assert "Les données d'insertion sont incomplètes." in text
    assert "Date limite d'envoi du dossier amélioré 15 février 2027" in text and "au plus tard le 15 février 2027" in text
    assert "de la certification « Technicien éolien », de niveau 6, de Institut des métiers du vent" in text
    assert f"Fait à Paris, le {date_fr(paris_date(envelope.occurred_at))} Camille MARTIN Le directeur général de France compétences" in text
