"""Every template renders, in French, with the content that matters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from certreg_contracts.subscriptions import CONSUMERS
from certreg_runtime.contacts import Contacts
from notifier.adapters import templating
from notifier.domain.formatting import date_fr, datetime_fr
from notifier.domain.rules import ROUTES, Recipient
from services.notifier.tests.samples import sample_event

TODAY = dt.date(2026, 11, 27)
TO = Recipient(email="camille@example.org", account_id=uuid.uuid4(), first_name="Camille", last_name="Martin")

# Variants of the events whose wording depends on a field.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "review.case.completeness_checked": [
        {"complete": False, "missing": ["criminal_record", "summary"], "due_date": dt.date(2026, 12, 15)},
        {"complete": True, "missing": []},
        {"complete": True, "missing": [], "registration_type": "by_right"},
    ],
    "review.case.admissibility_decided": [{"admissible": True}, {"admissible": False}],
    "review.case.opinion_given": [
        {"opinion": "favourable", "resubmission_due": None},
        {"opinion": "unfavourable", "resubmission_due": None},
        {"opinion": "adjourned", "resubmission_due": dt.date(2027, 2, 15)},
    ],
    "review.message.posted": [{"author_side": "staff"}, {"author_side": "depositor"}],
    "identity.account.validation_requested": [{"validator": "si_admin"}, {"validator": "entity_manager"}],
    "identity.account.activated": [{"status": "pending_validation"}, {"status": "active"}],
    "review.case.status_changed": [{"status": "under_instruction", "banner": None}, {"status": "under_instruction"}],
    "filings.filing.submitted": [{"submission_round": 1}, {"submission_round": 2}],
}


REF = "2026-000042"  # the dossier's number, as the notifier keeps it (Dossier.reference)


def render_all(key: str, **fields: Any) -> list[templating.Rendered]:
    event = sample_event(key, **fields)
    number = REF if hasattr(event, "filing_id") else None
    out = []
    for rule in ROUTES[key]:
        if rule.applies(event):
            ctx = templating.context(
                event, TO, public_url="http://certreg.test", today=TODAY, letter_filename="lettre.pdf", reference=number
            )
            out.append(templating.render(rule.template, ctx))
    return out


@pytest.mark.parametrize("key,fields", [(k, v) for k in CONSUMERS["notifier"] for v in VARIANTS.get(k, [{}])], ids=lambda x: str(x)[:40])
def test_each_template_renders_a_complete_message(key: str, fields: dict[str, Any]) -> None:
    rendered = render_all(key, **fields)
    assert rendered or key == "review.case.status_changed"
    about_a_dossier = hasattr(sample_event(key, **fields), "filing_id")
    for r in rendered:
        assert r.subject and "\n" not in r.subject
        assert r.summary
        # A mail about a dossier names it by its number (issue 13, point 14), first.
        if about_a_dossier:
            assert r.subject.endswith(f"(dossier n° {REF})"), r.subject
            assert r.text.startswith(f"Dossier n° {REF}\n\nBonjour Camille,") and f"<p>Dossier n° {REF}</p>" in r.html
        else:
            assert r.text.startswith("Bonjour Camille,") and "dossier n°" not in r.subject
        assert "France compétences" in r.text
        for part in (r.subject, r.summary, r.text, r.html):
            assert "None" not in part and "{{" not in part and "{%" not in part
            # The service by its configured name, never « certreg » (the test's host aside).
            assert "certreg" not in part.replace("http://certreg.test", "").lower(), part
        assert r.html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in r.html


def test_html_part_escapes_what_users_typed() -> None:
    [r] = render_all("review.message.posted", author_side="staff", excerpt='<script>alert("x")</script> & co', title="A <b>")
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html and "&amp; co" in r.html
    assert '<script>alert("x")</script>' in r.text


def test_activation_mail_has_the_link_and_its_expiry() -> None:
    [r] = render_all(
        "identity.account.registered",
        activation_url="http://certreg.test/activation?token=abc",
        expires_at=dt.datetime(2026, 11, 28, 13, 30, tzinfo=dt.UTC),
    )
    assert "Activez" in r.subject
    assert "http://certreg.test/activation?token=abc" in r.text
    assert "28 novembre 2026 à 14 h 30" in r.text
    assert 'href="http://certreg.test/activation?token=abc"' in r.html


def test_validator_is_told_an_account_waits_for_their_validation() -> None:
    _, to_validator = render_all("identity.account.validation_requested", validator="si_admin", first_name="Léa", last_name="Roux")
    assert "en attente de votre validation" in to_validator.subject
    assert "Léa Roux" in to_validator.text


def test_rejection_gives_the_reason() -> None:
    [r] = render_all("identity.account.rejected", reason="La délégation de mandat date de plus de 3 mois.")
    assert "La délégation de mandat date de plus de 3 mois." in r.text


def test_reset_and_staff_links() -> None:
    [reset] = render_all("identity.account.password_reset_requested", reset_url="http://certreg.test/reset?t=1")
    assert "http://certreg.test/reset?t=1" in reset.text
    [staff] = render_all("identity.staff.created", set_password_url="http://certreg.test/pw?t=2", roles=["instructor", "reviewer"])
    assert "http://certreg.test/pw?t=2" in staff.text and "instructeur" in staff.text


def test_incomplete_lists_what_is_missing_and_the_due_date() -> None:
    [r] = render_all(
        "review.case.completeness_checked",
        complete=False,
        missing=["criminal_record", "qualification_level"],
        message="Le bulletin n°3 date de plus de 3 mois.",
        due_date=dt.date(2026, 12, 15),
    )
    assert "bulletin n°3 du casier judiciaire" in r.text and "qualification_level" in r.text
    assert "15 décembre 2026" in r.text and "dans 18 jours" in r.text
    assert "Le bulletin n°3 date de plus de 3 mois." in r.text


def test_a_complete_request_by_right_is_told_no_admissibility_or_commission_follows() -> None:
    [on_request] = render_all("review.case.completeness_checked", complete=True, missing=[])
    assert "recevabilité" in on_request.text
    [by_right] = render_all("review.case.completeness_checked", complete=True, missing=[], registration_type="by_right")
    assert "recevabilité" not in by_right.text and "sans examen par la commission" in by_right.summary
    assert "décision d'enregistrement du directeur général" in by_right.text


def test_inadmissible_gives_reasons_and_recommendations() -> None:
    [r] = render_all("review.case.admissibility_decided", admissible=False, reasons="Pas de blocs.", recommendations="Découpez en blocs.")
    assert "irrecevable" in r.subject and "Pas de blocs." in r.text and "Découpez en blocs." in r.text


def test_request_gives_its_deadline_and_days_left() -> None:
    [r] = render_all("review.request.opened", due_date=dt.date(2026, 12, 7), message="Merci.")
    assert "7 décembre 2026" in r.subject
    assert "dans 10 jours" in r.text


def test_opinion_adjourned_gives_reasons_and_resubmission_deadline() -> None:
    reasons = [{"criterion": "Blocs de compétences", "text": "Trop larges."}]
    [r] = render_all("review.case.opinion_given", opinion="adjourned", resubmission_due=dt.date(2027, 2, 15), reasons=reasons)
    assert "Blocs de compétences : Trop larges." in r.text and "15 février 2027" in r.text


def test_registered_gives_the_number_and_the_period() -> None:
    [r] = render_all(
        "review.case.registered",
        registration_number="RNCP12345",
        registration_start=dt.date(2026, 12, 1),
        registration_end=dt.date(2031, 12, 1),
    )
    assert "RNCP12345" in r.subject
    assert "du 1er décembre 2026 au 1er décembre 2031" in r.text and "lettre.pdf" in r.text


def test_refusal_gives_the_contentious_appeal_and_no_gracious_one() -> None:
    [r] = render_all("review.case.refused", appeal_deadline=dt.date(2027, 2, 1), appeal_court="Tribunal administratif de Paris")
    text = " ".join(r.text.split())
    assert "recours contentieux devant le Tribunal administratif de Paris dans un délai de deux mois à compter de sa notification" in text
    assert "1er février 2027 inclus" in text
    assert "ne peut faire l'objet ni d'un recours gracieux ni d'un recours hiérarchique" in text


def test_a_refusal_not_yet_notified_gives_no_appeal_date_but_how_it_is_notified() -> None:
    """Issue 12, point 3: the decision is made available, not notified; the appeal runs
    from the notification, so no day is printed before it is fixed."""
    [r] = render_all("review.case.refused", appeal_deadline=None, notified_at=None, appeal_court="Tribunal administratif de Paris")
    text = " ".join(r.text.split())
    assert "dans un délai de deux mois à compter de sa notification (la consultation de la décision" in text
    assert "jusqu'au" not in text and "dans les deux mois de sa notification" in r.summary


def test_filing_links_go_to_the_filing_page() -> None:
    filing = uuid.uuid4()
    [r] = render_all("filings.filing.submitted", filing_id=filing)
    assert f"http://certreg.test/dossiers/{filing}" in r.text


def test_french_dates() -> None:
    assert date_fr(dt.date(2026, 11, 27)) == "27 novembre 2026"
    assert date_fr(dt.date(2027, 8, 1)) == "1er août 2027"
    assert date_fr(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)) == "1er janvier 2027"  # Paris time
    assert datetime_fr(dt.datetime(2026, 7, 14, 8, 5, tzinfo=dt.UTC)) == "14 juillet 2026 à 10 h 05"


# --------------------------------------------------------------------------- links and contacts (issue 12, points 8 and 10)

STAFF = Recipient(email="ines@francecompetences.example", account_id=uuid.uuid4(), first_name="Inès", staff=True)


def rendered_for(key: str, to: Recipient, **fields: Any) -> list[templating.Rendered]:
    event = sample_event(key, **fields)
    ctx = templating.context(event, to, public_url="http://certreg.test", today=TODAY, letter_filename="lettre.pdf")
    return [templating.render(rule.template, ctx) for rule in ROUTES[key] if rule.applies(event)]


def test_staff_are_sent_to_the_back_office_and_depositors_to_the_portal() -> None:
    _, to_admin = rendered_for("identity.account.validation_requested", STAFF, validator="si_admin")
    assert "http://certreg.test/back-office/demandes-de-compte" in to_admin.text
    _, to_manager = rendered_for("identity.account.validation_requested", TO, validator="entity_manager")
    assert "http://certreg.test/entite/demandes" in to_manager.text and "/back-office" not in to_manager.text
    [session] = rendered_for("review.session.created", STAFF)
    assert "http://certreg.test/back-office/commission" in session.text
    filing = uuid.uuid4()
    [assigned] = rendered_for("review.case.instructor_assigned", STAFF, filing_id=filing)
    assert f"http://certreg.test/back-office/dossiers/{filing}" in assigned.text
    [to_staff] = rendered_for("review.message.posted", STAFF, author_side="depositor", filing_id=filing)
    assert f"http://certreg.test/back-office/dossiers/{filing}" in to_staff.text
    [to_depositor] = rendered_for("review.message.posted", TO, author_side="staff", filing_id=filing)
    assert f"http://certreg.test/dossiers/{filing}" in to_depositor.text and "/back-office" not in to_depositor.text


def test_every_mail_ends_with_the_contacts_and_the_notices_from_the_configuration() -> None:
    contacts = Contacts(
        support_email="aide@exemple.gouv.fr", contact_email="questions@exemple.gouv.fr", notice_rs_url="https://exemple.gouv.fr/rs.pdf"
    )
    event = sample_event("identity.account.registered")
    ctx = templating.context(event, TO, public_url="http://certreg.test", today=TODAY, contacts=contacts)
    r = templating.render("account_registered", ctx)
    assert "Un problème pour activer votre compte ? Écrivez à aide@exemple.gouv.fr." in " ".join(r.text.split())
    assert "Questions sur la procédure d'enregistrement : questions@exemple.gouv.fr" in r.text
    assert "https://exemple.gouv.fr/rs.pdf" in r.text and 'href="https://exemple.gouv.fr/rs.pdf"' in r.html
    # The defaults: France compétences' addresses.
    [default] = render_all("filings.filing.submitted")
    assert "support.certificationprofessionnelle@francecompetences.fr" in default.text
    assert "Questions sur la procédure d'enregistrement : certificationprofessionnelle@francecompetences.fr" in default.text


def test_mails_name_the_service_as_configured() -> None:
    """Issue 13, point 14: CERTREG_SERVICE_NAME in the subjects, the text, the signature and
    the HTML header, escaped there; the default is the French name, never « certreg »."""
    contacts = Contacts(service_name="Certif & Pro")
    for key, template in (("identity.account.registered", "account_registered"), ("identity.account.approved", "account_approved")):
        ctx = templating.context(sample_event(key), TO, public_url="http://portail.test", today=TODAY, contacts=contacts)
        r = templating.render(template, ctx)
        assert "« Certif & Pro »" in r.subject, r.subject
        assert "L'équipe « Certif & Pro » — France compétences" in r.text
        assert "par la plateforme « Certif & Pro » de France compétences" in r.text
        assert "France compétences — Certif &amp; Pro</p>" in r.html and "Certif & Pro" not in r.html
    [default] = render_all("identity.account.approved")
    assert default.subject == "Votre compte est validé — « Enregistrement des certifications professionnelles »"


def test_a_mail_about_a_dossier_gives_its_number_from_the_submission() -> None:
    """Without a number kept for the dossier, the submission's own (the event carries it)."""
    event = sample_event("filings.filing.submitted", reference="2026-000777", submission_round=1)
    [rule] = ROUTES["filings.filing.submitted"]
    r = templating.render(rule.template, templating.context(event, TO, public_url="http://certreg.test", today=TODAY))
    assert r.subject.endswith("(dossier n° 2026-000777)") and r.text.startswith("Dossier n° 2026-000777\n")
    unknown = sample_event("review.case.opened")
    r = templating.render("case_opened", templating.context(unknown, TO, public_url="http://certreg.test", today=TODAY))
    assert "dossier n°" not in r.subject.lower() and r.text.startswith("Bonjour Camille,")  # unknown: left out


def test_a_value_is_never_markup_nor_a_foreign_link() -> None:
    """Issue 11, points 9 and 15: a depositor's line ``=> URL | Label`` stays text in the
    staff mail; a URL in a value is no link; the platform's own links still are."""
    excerpt = "Voir ci-dessous.\n\n=> https://evil.example/phish | Valider votre dossier\n- https://evil.example/list"
    [mail] = render_all("review.message.posted", author_side="depositor", excerpt=excerpt)
    assert "evil.example" in mail.html
    assert 'href="https://evil.example' not in mail.html and "background:#000091" in mail.html  # the template's own button only
    assert mail.html.count("background:#000091") == 1
    assert "Valider votre dossier :\nhttps://evil.example" not in mail.text
    assert 'href="http://certreg.test/dossiers/' in mail.html
    assert "\ue000" not in mail.html + mail.text + mail.subject + mail.summary


def test_a_name_with_line_breaks_makes_a_sendable_message() -> None:
    from datetime import UTC, datetime

    from notifier.adapters.mailer import build_message
    from notifier.adapters.tables import Mail

    mail = Mail(
        id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        kind="account_registered",
        to_addr="camille@example.org",
        to_name="Camille\r\nBcc: victim@example.org",
        subject="Activez\r\nvotre compte",
        text_body="x",
        html_body="<p>x</p>",
        created_at=datetime(2026, 11, 27, tzinfo=UTC),
        next_attempt_at=datetime(2026, 11, 27, tzinfo=UTC),
    )
    message = build_message(mail, [], "certreg <no-reply@certreg.test>")
    assert bytes(message)  # was: ValueError "Header values may not contain linefeed or carriage return characters"
    assert message["Subject"] == "Activez votre compte" and "Bcc" not in message


def test_completeness_deadlines_are_told_as_such() -> None:
    """Issue 12, point 4: an incomplete dossier's reminder and overdue are not « demande de compléments »."""
    [reminder] = render_all("review.request.reminder_due", kind="completeness", days_left=7)
    assert "est incomplet et n'a pas encore été complété" in reminder.text and "demande de compléments" not in reminder.text
    for r in render_all("review.request.overdue", kind="completeness"):
        assert "demande de compléments" not in " ".join(r.text.split()) and "complét" in r.text


def test_reasons_print_the_criterion_label_and_article_never_the_key() -> None:
    """Issue 12, point 7: mails printed `valeur_ajoutee`."""
    label = "1° ter Le respect des objectifs fixés à l'article L. 6313-3 (article R. 6113-11 du code du travail)"
    reasons = [{"criterion": "objectifs_formation", "text": "Non démontrée.", "label": label}]
    rendered = [*render_all("review.case.refused", reasons=reasons)]
    rendered += render_all("review.case.opinion_given", reasons=reasons, opinion="unfavourable", resubmission_due=None)
    for r in rendered:
        text = " ".join(r.text.split())
        assert f"{label} : Non démontrée." in text and "objectifs_formation" not in text
