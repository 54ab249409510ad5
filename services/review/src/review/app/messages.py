"""The dialogue between France compétences and the depositor's entity, on one case."""

from __future__ import annotations

import uuid
from typing import Literal

from certreg_contracts.events import review as ev
from certreg_contracts.types import PUBLIC_ROLES
from certreg_runtime.auth import Principal
from certreg_runtime.errors import field_error, invalid
from review.adapters import audit_log
from review.adapters.tables import Case, Message
from review.api.schemas import MessageIn
from review.app.deps import ReviewDeps
from review.app.transitions import case_fields, visible_case
from review.domain.actor import CASE_STAFF_ROLES, Actor, is_case_staff


def known_documents(case: Case) -> set[str]:
    """The pieces submitted with the filing, in any round (what a message may point to)."""
    snapshot = case.snapshot or {}
    return set(snapshot.get("known_documents", [])) | {str(d.get("document_id")) for d in snapshot.get("documents", [])}


def post_message(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: MessageIn) -> Message:
    """A message from the staff or the depositor's entity, told to the other side."""
    now = deps.clock.now()
    with deps.uow() as uow:
        case = visible_case(uow, user, filing_id, lock=True)
        if not body.body.strip():
            raise invalid(field_error("body", "Le message est vide.", "missing"))
        known = known_documents(case)
        unknown = [str(d) for d in body.document_ids if str(d) not in known]
        if unknown:
            raise invalid(
                field_error(
                    "document_ids",
                    f"Pièce(s) inconnue(s) dans ce dossier : {', '.join(unknown)}. Seules les pièces déposées avec le dossier "
                    "peuvent être jointes.",
                    "unknown_document",
                )
            )
        side: Literal["staff", "depositor"] = "staff" if is_case_staff(user) else "depositor"
        role = sorted(set(user.roles) & set(CASE_STAFF_ROLES if side == "staff" else PUBLIC_ROLES))[0]
        message = Message(
            filing_id=case.filing_id,
            author_id=user.account_id,
            author_side=side,
            author_role=role,
            author_name=user.name or "",
            subject=(body.subject or "").strip() or None,
            body=body.body,
            document_ids=[str(d) for d in body.document_ids],
            posted_at=now,
        )
        uow.session.add(message)
        uow.session.flush()
        actor = Actor(user.account_id, frozenset(user.roles), role, user.name)
        audit_log.append(
            uow.session,
            case.filing_id,
            now,
            actor,
            "message",
            reason=message.subject,
            details={"message_id": str(message.id), "attachments": len(body.document_ids)},
        )
        uow.emit(
            ev.MessagePosted(
                **case_fields(case),
                message_id=message.id,
                author_id=user.account_id,
                author_side=side,
                subject=message.subject,
                excerpt=body.body[:200],
                attachment_count=len(body.document_ids),
            )
        )
        uow.commit()
        return message
