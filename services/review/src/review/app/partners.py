"""A registered certification's partner organisations (issue 14): its certifier — a member of
the entity holding the registration — adds and removes them at any time while it is in force;
each change is dated, published with the record (the public page and API, ``export.xml``, the
change feed and so the incremental exports), written in the case's audit trail, and flagged
to staff when declared later than ``CERTREG_PARTNER_DECLARATION_DAYS`` after it took effect."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from certreg_contracts import siret as siret_rules
from certreg_contracts.calendar import paris_date
from certreg_contracts.types import PUBLIC_ROLES
from certreg_runtime.auth import Principal
from certreg_runtime.errors import conflict, field_error, forbidden, invalid, not_found
from certreg_runtime.messaging import UnitOfWork
from review.adapters import audit_log, registry_feed
from review.adapters.tables import RegistryPartner, RegistryRecord
from review.app.deps import ReviewDeps
from review.app.transitions import get_case
from review.domain import partners as rules
from review.domain import rules as procedure_rules
from review.domain.actor import Actor


@dataclass(frozen=True)
class PartnerChange:
    record: RegistryRecord
    partner: RegistryPartner


def _record_of_certifier(session: Session, user: Principal, number: str) -> RegistryRecord:
    """The record, when ``user`` is a member of the entity holding it, under its case's row
    lock (the audit trail's) and its own, in that order (the order of a publication)."""
    if not user.has_any(*PUBLIC_ROLES) or user.is_staff:
        raise forbidden("Seul le certificateur déclare ses organismes partenaires.")
    exact = procedure_rules.normalise_number(number)
    record = None if exact is None else session.get(RegistryRecord, exact)
    if record is None or user.entity_id != record.entity_id:
        raise not_found("registration")
    get_case(session, record.filing_id, lock=True)
    locked = session.exec(select(RegistryRecord).where(RegistryRecord.number == record.number).with_for_update()).one()
    session.refresh(locked)
    return locked


def _in_force(record: RegistryRecord, today: date) -> None:
    state = procedure_rules.record_state(record.status, record.registration_start, record.registration_end, today)
    if state != "active":
        raise conflict(
            "La certification n'est plus enregistrée : ses organismes partenaires ne peuvent plus changer.",
            code="registration_ended",
            state=state,
        )


def _dated(field: str, day: date, today: date, problems: list[dict[str, object]]) -> None:
    if day > today:
        problems.append(
            field_error(field, "La date ne peut pas être à venir : déclarez le changement une fois qu'il a pris effet.", "future")
        )


def add_partner(deps: ReviewDeps, user: Principal, number: str, *, siret: str, name: str, scope: str, since: date | None) -> PartnerChange:
    now = deps.clock.now()
    today = paris_date(now)
    since = since or today
    problems: list[dict[str, object]] = []
    if not siret_rules.is_siret(siret):
        problems.append(field_error("siret", "Ce SIRET n'existe pas : 14 chiffres dont la clé de contrôle est correcte.", "siret_checksum"))
    if scope not in rules.SCOPES:
        problems.append(field_error("scope", "Habilitation inconnue : preparation, assessment ou both.", "unknown_scope"))
    _dated("since", since, today, problems)
    with deps.uow() as uow:
        record = _record_of_certifier(uow.session, user, number)
        _in_force(record, today)
        if since < record.registration_start:
            problems.append(
                field_error(
                    "since",
                    f"La certification est enregistrée à compter du {procedure_rules.fr_date(record.registration_start)} : "
                    "une habilitation ne peut pas la précéder.",
                    "before_registration",
                )
            )
        if problems:
            raise invalid(*problems)
        if _in_force_for(uow.session, record.number, siret) is not None:
            raise conflict(
                "Cet organisme est déjà habilité pour cette certification : retirez-le d'abord pour changer son habilitation.",
                code="partner_exists",
                state="active",
            )
        late = rules.days_late(since, today, deps.config.partner_declaration_days)
        partner = RegistryPartner(
            number=record.number,
            siret=siret,
            name=name,
            scope=scope,
            since=since,
            declared_at=now,
            declared_by=user.account_id,
            days_late=late,
            late=late > 0,
        )
        uow.session.add(partner)
        _published(uow.session, record, now)
        audit_log.append(
            uow.session,
            record.filing_id,
            now,
            Actor.of(user),
            "partner_added",
            reason=f"Organisme partenaire habilité : {name} (SIRET {siret}), {rules.SCOPE_LABELS[scope].lower()}, "
            f"à compter du {procedure_rules.fr_date(since)}.",
            details={"number": record.number, "siret": siret, "scope": scope, "since": since.isoformat(), "days_late": late},
        )
        _commit(uow)
        return PartnerChange(record, partner)


def remove_partner(deps: ReviewDeps, user: Principal, number: str, siret: str, *, until: date | None) -> PartnerChange:
    now = deps.clock.now()
    today = paris_date(now)
    until = until or today
    problems: list[dict[str, object]] = []
    _dated("until", until, today, problems)
    with deps.uow() as uow:
        record = _record_of_certifier(uow.session, user, number)
        _in_force(record, today)
        partner = _in_force_for(uow.session, record.number, siret)
        if partner is None:
            raise not_found("Aucun organisme partenaire habilité avec ce SIRET pour cette certification.")
        if until < partner.since:
            problems.append(
                field_error(
                    "until",
                    f"L'habilitation court depuis le {procedure_rules.fr_date(partner.since)} : elle ne peut finir avant.",
                    "before_since",
                )
            )
        if problems:
            raise invalid(*problems)
        late = rules.days_late(until, today, deps.config.partner_declaration_days)
        partner.until = until
        partner.removal_declared_at = now
        partner.removal_declared_by = user.account_id
        partner.removal_days_late = late
        partner.late = partner.late or late > 0
        uow.session.add(partner)
        _published(uow.session, record, now)
        audit_log.append(
            uow.session,
            record.filing_id,
            now,
            Actor.of(user),
            "partner_removed",
            reason=f"Organisme partenaire retiré : {partner.name} (SIRET {siret}), à compter du {procedure_rules.fr_date(until)}.",
            details={"number": record.number, "siret": siret, "until": until.isoformat(), "days_late": late},
        )
        _commit(uow)
        return PartnerChange(record, partner)


def _commit(uow: UnitOfWork) -> None:
    try:
        uow.commit()
    except IntegrityError as exc:  # a concurrent twin declared the same organisation first
        raise conflict("Cet organisme vient d'être déclaré pour cette certification.", code="partner_exists", state="active") from exc


def _in_force_for(session: Session, number: str, siret: str) -> RegistryPartner | None:
    return session.exec(
        select(RegistryPartner).where(
            RegistryPartner.number == number, RegistryPartner.siret == siret, col(RegistryPartner.until).is_(None)
        )
    ).first()


def partners_of(session: Session, number: str) -> list[RegistryPartner]:
    """Every authorisation of the record, in force or ended, oldest first."""
    return list(
        session.exec(
            select(RegistryPartner)
            .where(RegistryPartner.number == number)
            .order_by(col(RegistryPartner.since), col(RegistryPartner.declared_at), col(RegistryPartner.siret))
        )
    )


def published(partner: RegistryPartner) -> dict[str, object]:
    """A partner as the record publishes it (``RegistryRecord.partners``)."""
    return {
        "siret": partner.siret,
        "name": partner.name,
        "scope": partner.scope,
        "since": partner.since.isoformat(),
        "until": partner.until.isoformat() if partner.until else None,
        "declared_at": partner.declared_at.isoformat(),
        "removal_declared_at": partner.removal_declared_at.isoformat() if partner.removal_declared_at else None,
    }


def _published(session: Session, record: RegistryRecord, now: datetime) -> None:
    """The record's published copy of its partners, and the change in the registry's feed
    (its ``updated_at`` with it: the next incremental export carries the record)."""
    session.flush()
    record.partners = [published(p) for p in partners_of(session, record.number)]
    registry_feed.record_change(session, record, "updated", now)


@dataclass(frozen=True)
class LatePartner:
    partner: RegistryPartner
    title: str
    filing_id: uuid.UUID


def late_partners(deps: ReviewDeps, *, limit: int, offset: int) -> tuple[list[LatePartner], int]:
    """The partner changes declared late, latest first: what staff are shown."""
    with deps.uow() as uow:
        query = select(RegistryPartner, RegistryRecord.title, RegistryRecord.filing_id).join(
            RegistryRecord, col(RegistryRecord.number) == col(RegistryPartner.number)
        )
        query = query.where(col(RegistryPartner.late).is_(True))
        total = uow.session.exec(select(func.count()).select_from(RegistryPartner).where(col(RegistryPartner.late).is_(True))).one()
        rows = uow.session.exec(
            query.order_by(col(RegistryPartner.declared_at).desc(), col(RegistryPartner.id)).limit(limit).offset(offset)
        ).all()
        return [LatePartner(p, title, filing_id) for p, title, filing_id in rows], int(total)
