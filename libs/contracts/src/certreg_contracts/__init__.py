"""certreg's integration events, defined once. Pure data: no I/O here."""

from certreg_contracts.envelope import Envelope, Event, UnknownEvent, event_class, register, registry
from certreg_contracts.types import (
    CASE_STATUSES,
    DOC_TYPES,
    REPERTOIRES,
    ROLES,
    CaseStatus,
    DocType,
    EntityKind,
    LegalForm,
    Repertoire,
    Role,
)

__all__ = [
    "CASE_STATUSES",
    "DOC_TYPES",
    "REPERTOIRES",
    "ROLES",
    "CaseStatus",
    "DocType",
    "EntityKind",
    "Envelope",
    "Event",
    "LegalForm",
    "Repertoire",
    "Role",
    "UnknownEvent",
    "event_class",
    "register",
    "registry",
]
