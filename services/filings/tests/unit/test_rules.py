"""The table of pieces per repertoire and its variants, the level rules, dated pieces."""

import datetime as dt
from dataclasses import dataclass

import pytest

from certreg_contracts.calendar import add_months, paris_date
from certreg_contracts.types import DOC_TYPES
from filings.domain import rules
from filings.domain.status import may_edit, may_submit, may_withdraw, procedure_status


@dataclass
class F:
    repertoire: str
    is_cqp: bool = False
    cqp_filed_by: str | None = None
    rests_on_standards: bool = False


@dataclass
class D:
    doc_type: str
    document_date: dt.date | None = None
    submitted_in_round: int | None = None


def on(today: dt.date, **kw) -> rules.DatedReference:
    return rules.DatedReference(today, **kw)


def required(f: F) -> set[str]:
    return {p.doc_type for p in rules.pieces_for(f) if p.required}


def optional(f: F) -> set[str]:
    return {p.doc_type for p in rules.pieces_for(f) if not p.required}


RNCP_BASE = {"legal_existence", "activity_framework", "competence_framework", "assessment_framework", "criminal_record"}
RS_BASE = {
    "legal_existence",
    "competence_framework",
    "assessment_framework",
    "criminal_record",
    "certificate_specimen",
    "assessment_organisation",
    "opportunity_note",
}


def test_rncp() -> None:
    f = F("rncp")
    assert required(f) == RNCP_BASE
    assert optional(f) == {"organisation_presentation", "validation_rules", "sector_studies"}


def test_rncp_cqp_filed_by_the_cpne() -> None:
    assert required(F("rncp", True, "cpne")) == RNCP_BASE | {"cpne_deliberation"}


def test_rncp_cqp_filed_by_a_mandated_organisation() -> None:
    assert required(F("rncp", True, "mandated")) == RNCP_BASE | {"cpne_deliberation", "cpne_mandate"}


def test_rs() -> None:
    f = F("rs")
    assert required(f) == RS_BASE
    assert optional(f) == {"support_letter"}
    assert "activity_framework" not in {p.doc_type for p in rules.pieces_for(f)}


def test_rs_cqp() -> None:
    assert required(F("rs", True, "cpne")) == RS_BASE | {"activity_framework", "cpne_deliberation", "ip_transfer"}
    assert required(F("rs", True, "mandated")) == RS_BASE | {"activity_framework", "cpne_deliberation", "ip_transfer", "cpne_mandate"}


def test_rs_resting_on_standards() -> None:
    assert required(F("rs", rests_on_standards=True)) == RS_BASE | {"standards"}
    assert "standards" not in {p.doc_type for p in rules.pieces_for(F("rs"))}


def test_catalogue_covers_the_contract_and_flags_dated_and_multiple() -> None:
    assert set(rules.CATALOGUE) | {"mandate_delegation"} == set(DOC_TYPES)
    assert {t for t, k in rules.CATALOGUE.items() if k.dated} == {"criminal_record", "cpne_mandate"}
    assert {t for t, k in rules.CATALOGUE.items() if k.multiple} == {"support_letter"}
    for repertoire, table in rules.PIECES.items():
        assert len({r.doc_type for r in table}) == len(table), repertoire
        assert all(r.when in rules.CONDITIONS for r in table)


@pytest.mark.parametrize("level", [1, 5, 8])
def test_rncp_requires_a_level_cqps_included(level: int) -> None:
    assert rules.level_problem("rncp", level) is None
    assert rules.level_problem("rncp", None) is not None


@pytest.mark.parametrize("level", [0, 9, -1])
def test_rncp_level_is_between_1_and_8(level: int) -> None:
    assert "entre 1 et 8" in (rules.level_problem("rncp", level) or "")


def test_rs_never_carries_a_level() -> None:
    assert rules.level_problem("rs", None) is None
    assert rules.level_problem("rs", 5) is not None


def test_cqp_says_who_files_it() -> None:
    assert rules.cqp_problem(True, None) is not None
    assert rules.cqp_problem(False, "cpne") is not None
    assert rules.cqp_problem(True, "mandated") is None
    assert rules.cqp_problem(False, None) is None


def test_months_before_keeps_the_day_or_the_last_of_the_month() -> None:
    assert add_months(dt.date(2026, 5, 15), -3) == dt.date(2026, 2, 15)
    assert add_months(dt.date(2026, 5, 31), -3) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 2, 10), -3) == dt.date(2025, 11, 10)


def test_dated_piece_is_under_three_months_and_not_in_the_future() -> None:
    today = dt.date(2026, 5, 15)
    assert rules.date_problem(dt.date(2026, 5, 15), today) is None
    assert rules.date_problem(dt.date(2026, 2, 16), today) is None
    assert rules.date_problem(dt.date(2026, 2, 15), today) == (
        "Le document doit dater de moins de trois mois au 15 mai 2026 : daté du 15 février 2026, il ne l'était plus après le 14 mai 2026."
    )
    assert rules.date_problem(dt.date(2026, 5, 16), today) == (
        "La date du document (16 mai 2026) ne peut pas être dans le futur : nous sommes le 15 mai 2026."
    )
    # Dates in words, « 1er » for the first of the month.
    assert "au 1er décembre 2026" in (rules.date_problem(dt.date(2026, 9, 1), dt.date(2026, 12, 1)) or "")
    assert "obligatoire" in (rules.date_problem(None, today) or "")


def test_today_is_the_date_in_paris() -> None:
    late_evening_utc = dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)
    assert paris_date(late_evening_utc) == dt.date(2026, 7, 1)


COMPLETE_FIELDS = {
    "title": "Technicien",
    "qualification_level": 4,
    "activities": ["a"],
    "competences": ["c"],
    "competence_blocks": [{"code": "B1", "title": "t", "competences": ["c"], "assessment_methods": ["Mise en situation professionnelle"]}],
    "assessment_methods": ["m"],
}


def test_submission_lists_every_missing_piece_and_field() -> None:
    f = F("rncp", True, "mandated")
    problems = rules.submission_problems(f, {"title": "T", "qualification_level": 4}, [D("legal_existence")], on(dt.date(2026, 5, 15)))
    locs = {p.loc for p in problems}
    assert locs == {
        ("activities",),
        ("competences",),
        ("competence_blocks",),
        ("assessment_methods",),
        *(("documents", t) for t in required(f) - {"legal_existence"}),
    }


def test_submission_rechecks_the_age_of_dated_pieces() -> None:
    f = F("rncp")
    docs = [D(t) for t in RNCP_BASE - {"criminal_record"}] + [D("criminal_record", dt.date(2026, 1, 10))]
    assert rules.submission_problems(f, COMPLETE_FIELDS, docs, on(dt.date(2026, 3, 1))) == []
    aged = rules.submission_problems(f, COMPLETE_FIELDS, docs, on(dt.date(2026, 4, 10)))
    assert [(p.loc, p.type) for p in aged] == [(("documents", "criminal_record"), "document_date")]


def test_submission_refuses_a_piece_that_no_longer_belongs_to_the_filing() -> None:
    f = F("rncp")
    docs = [D(t) for t in RNCP_BASE - {"criminal_record"}] + [D("criminal_record", dt.date(2026, 3, 1)), D("ip_transfer")]
    problems = rules.submission_problems(f, COMPLETE_FIELDS, docs, on(dt.date(2026, 3, 2)))
    assert [(p.loc, p.type) for p in problems] == [(("documents", "ip_transfer"), "unexpected")]


def test_rs_submission_needs_no_blocks_and_no_level_but_a_cqp_needs_activities() -> None:
    fields = {"title": "T", "competences": ["c"], "assessment_methods": ["m"]}
    docs = [D(t) for t in RS_BASE - {"criminal_record"}] + [D("criminal_record", dt.date(2026, 3, 1))]
    assert rules.submission_problems(F("rs"), fields, docs, on(dt.date(2026, 3, 2))) == []
    cqp = F("rs", True, "cpne")
    locs = {p.loc for p in rules.submission_problems(cqp, fields, docs, on(dt.date(2026, 3, 2)))}
    assert locs == {("activities",), ("documents", "activity_framework"), ("documents", "cpne_deliberation"), ("documents", "ip_transfer")}


def test_checklist_shows_provided_and_invalid_pieces() -> None:
    lines = {
        line["doc_type"]: line
        for line in rules.checklist(
            F("rs"), [D("criminal_record", dt.date(2025, 1, 1)), D("support_letter"), D("support_letter")], on(dt.date(2026, 3, 2))
        )
    }
    assert lines["criminal_record"]["provided"] and not lines["criminal_record"]["valid"]
    assert lines["criminal_record"]["dated"] and "moins de trois mois" in lines["criminal_record"]["issue"]
    assert lines["criminal_record"]["valid_until"] == dt.date(2025, 3, 31)
    assert lines["support_letter"]["multiple"] and len(lines["support_letter"]["documents"]) == 2
    assert not lines["legal_existence"]["provided"] and lines["legal_existence"]["required"]


def test_editability_follows_the_state_and_review_s_items() -> None:
    assert may_edit("draft", None, [], "title")
    assert not may_edit("submitted", None, [], "title")
    assert may_edit("submitted", "incomplete", ["criminal_record"], "criminal_record")
    assert not may_edit("submitted", "incomplete", ["criminal_record"], "title")
    assert not may_edit("withdrawn", None, ["title"], "title")
    assert not may_edit("submitted", "registered", ["title"], "title")
    assert may_submit("draft", None, []) and not may_submit("submitted", "received", [])
    assert may_submit("submitted", "incomplete", ["criminal_record"])
    assert may_withdraw("submitted", "favourable")
    assert not may_withdraw("submitted", "registered") and not may_withdraw("submitted", "refused")
    assert not may_withdraw("submitted", "awaiting_publication")  # decided, waiting for the JO (issue 12, point 5)


def test_procedure_status_reads_in_french() -> None:
    assert procedure_status("draft", None, 0) == "Brouillon"
    assert procedure_status("submitted", None, 1) == "Déposé — en attente du contrôle de complétude"
    assert procedure_status("submitted", "incomplete", 1) == "Incomplet — pièces demandées"
    # a registration by right waits for the decision, not for an admissibility examination (issue 14)
    assert "recevabilité" in procedure_status("submitted", "completeness_ok", 1, "on_request")
    by_right = procedure_status("submitted", "completeness_ok", 1, "by_right")
    assert "recevabilité" not in by_right and "décision d'enregistrement de droit" in by_right


# --------------------------------------------------------------------------- dated pieces across rounds (issue 12, point 1)

FIRST = dt.date(2026, 9, 15)  # the dossier's first submission
LATER = dt.date(2027, 1, 20)  # a later round: the bulletin of 1 September 2026 is over three months old


def test_a_dated_piece_is_judged_on_the_day_it_was_filed_with_the_request() -> None:
    f = F("rncp")
    bulletin = D("criminal_record", dt.date(2026, 9, 1), submitted_in_round=1)
    docs = [D(t, submitted_in_round=1) for t in RNCP_BASE - {"criminal_record"}] + [bulletin]
    later = on(LATER, round_days={1: FIRST})
    assert later.day_for(bulletin) == FIRST
    assert rules.submission_problems(f, COMPLETE_FIELDS, docs, later) == []
    line = next(line for line in rules.checklist(f, docs, later) if line["doc_type"] == "criminal_record")
    assert line["valid"] and line["issue"] is None and line["judged_on"] == FIRST and not line["asked_anew"]


def test_a_version_not_submitted_yet_is_judged_today() -> None:
    f = F("rncp")
    fresh = D("criminal_record", dt.date(2026, 9, 1))  # uploaded now, filed with the next round
    docs = [D(t, submitted_in_round=1) for t in RNCP_BASE - {"criminal_record"}] + [fresh]
    problems = rules.submission_problems(f, COMPLETE_FIELDS, docs, on(LATER, round_days={1: FIRST}))
    assert [(p.loc, p.type) for p in problems] == [(("documents", "criminal_record"), "document_date")]
    assert "au 20 janvier 2027" in problems[0].msg and "1er septembre 2026" in problems[0].msg


def test_a_piece_asked_for_anew_alone_is_judged_on_the_new_round_s_day() -> None:
    f = F("rs", True, "mandated")
    docs = [D(p.doc_type, dt.date(2026, 9, 1) if p.dated else None, 1) for p in rules.pieces_for(f) if p.required]
    asked = rules.asked_anew(["answer", "criminal_record"], [{"doc_type": "criminal_record", "question": None}])
    assert asked == {"criminal_record"}
    fields = {"title": "T", "competences": ["c"], "assessment_methods": ["m"], "activities": ["a"]}
    problems = rules.submission_problems(f, fields, docs, on(LATER, round_days={1: FIRST}, asked=asked))
    # The bulletin is re-checked; the CPNE's mandate, dated the same day but not asked for, is not.
    assert [(p.loc, p.type) for p in problems] == [(("documents", "criminal_record"), "document_date")]


def test_what_review_asks_for_anew() -> None:
    # An incomplete dossier's missing pieces and a request's pieces are asked for by name.
    assert rules.asked_anew(["criminal_record", "title"]) == {"criminal_record"}
    assert rules.asked_anew(["answer"], [{"doc_type": "cpne_mandate"}, {"question": "?"}]) == {"cpne_mandate"}
    # Undated pieces are never "asked anew" in this sense.
    assert rules.asked_anew(["legal_existence"]) == frozenset()
    # Reopening the whole dossier (inadmissible, adjourned) asks for no piece in particular.
    assert rules.asked_anew([*DOC_TYPES, "title"]) == frozenset()
